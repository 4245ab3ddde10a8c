// The table of byte-level BPE pre-tokenizer families: which
// tokenizer.ggml.pre names share which regex sequence. Data only; the
// PreTokenizer compiles and runs it.
#pragma once

#include <string_view>
#include <vector>

namespace shimmy {

struct PreTokenizerFamily {
  // names.front() is the family's own name; the rest are aliases that
  // conversion scripts write for models of the same tokenizer.
  std::vector<std::string_view> names;
  // Applied in order, each to the pieces of the previous one.
  std::vector<std::string_view> regexes;
  // A word that is a vocabulary token as a whole skips the merges.
  bool ignore_merges = false;
};

// Every family, "default" first.
const std::vector<PreTokenizerFamily>& PreTokenizerFamilies();

// The family that lists `name`; the default family for "" and unknown names.
const PreTokenizerFamily& FindPreTokenizerFamily(std::string_view name);

}  // namespace shimmy
