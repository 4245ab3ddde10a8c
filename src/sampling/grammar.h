// A context-free grammar over BYTES, the form that constrained sampling runs
// on (see grammar_matcher.h for matching, json_schema.h for JSON).
//
//   auto g = Grammar::Parse(R"(root ::= "yes" | "no" [!.]?)");   // GBNF-like text
//   if (!g) return g.error();                                     // line:col message
//
// Text form (a small GBNF dialect):
//   name ::= alternative | alternative ...      rules; "root" is the start
//   "lit\n"   a literal (escapes \n \r \t \\ \" \xHH \uHHHH; UTF-8 kept as bytes)
//   [a-z_]    a class of code points, [^...] its complement ('.' is any);
//             non-ASCII code points match their UTF-8 encodings
//   ( ... )   a group;   x* x+ x? x{n} x{n,} x{n,m}   repetition (n, m <= 100000)
//   # ...     a comment to the end of the line
// A rule ends where the next "name ::=" starts. Code point classes never
// match surrogates, so the bytes a grammar accepts are always valid UTF-8
// (as long as its literals are).
//
// Lowered form: each rule is a list of alternatives; an alternative is a run
// of elements ending in a kEnd element. An element is a byte class or a rule
// reference, each with a repetition range [min, max]. Build() rejects
// grammars the matcher cannot run: undefined rules, left recursion (a rule
// that can reach itself without consuming a byte), rules that can never
// finish, and grammars over the size limits below.
//
// A Grammar is immutable after Build, so it is thread-safe and meant to be
// shared (std::shared_ptr<const Grammar>) by every request that uses it.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"

namespace shimmy {

using ByteSet = std::bitset<256>;

struct GrammarElement {
  enum class Kind : uint8_t { kBytes, kRule, kEnd };
  static constexpr uint32_t kUnbounded = UINT32_MAX;

  Kind kind = Kind::kEnd;
  uint32_t ref = 0;  // byte class index (kBytes) or rule index (kRule)
  uint32_t min = 1;  // repetitions: at least min, at most max
  uint32_t max = 1;
};

class Grammar {
 public:
  // Parses the text form above; errors name the line and column.
  static Result<std::shared_ptr<const Grammar>> Parse(std::string_view text);

  uint32_t root() const { return root_; }
  size_t n_rules() const { return rule_names_.size(); }
  const std::string& rule_name(uint32_t rule) const { return rule_names_[rule]; }
  // Element index where each alternative of `rule` starts.
  std::span<const uint32_t> alternatives(uint32_t rule) const {
    return {alt_starts_.data() + rule_alts_[rule], alt_starts_.data() + rule_alts_[rule + 1]};
  }
  const GrammarElement& element(uint32_t pos) const { return elements_[pos]; }
  size_t n_elements() const { return elements_.size(); }
  const ByteSet& byte_class(uint32_t index) const { return classes_[index]; }

  // Bytes no class tells apart share a partition index; the matcher's
  // transition tables are indexed by partition, not by byte.
  uint8_t partition(uint8_t byte) const { return partition_[byte]; }
  const std::array<uint8_t, 256>& partitions() const { return partition_; }
  int n_partitions() const { return n_partitions_; }

 private:
  friend class GrammarBuilder;
  Grammar() = default;

  std::vector<std::string> rule_names_;
  std::vector<uint32_t> rule_alts_;   // n_rules + 1 offsets into alt_starts_
  std::vector<uint32_t> alt_starts_;  // element index of each alternative
  std::vector<GrammarElement> elements_;
  std::vector<ByteSet> classes_;
  std::array<uint8_t, 256> partition_{};
  int n_partitions_ = 1;
  uint32_t root_ = 0;
};

// Assembles a Grammar rule by rule (the parser and tests use it).
// Not thread-safe; single use: Build() consumes the builder.
class GrammarBuilder {
 public:
  static constexpr size_t kMaxRules = 100000;
  static constexpr size_t kMaxElements = 1000000;
  static constexpr uint32_t kMaxRepeat = 100000;

  // The id of rule `name`, declaring it if new (it may be defined later).
  uint32_t Rule(const std::string& name);
  // A fresh rule named after `hint` (used for groups and classes).
  uint32_t AnonymousRule(const std::string& hint);
  bool IsDefined(uint32_t rule) const { return defined_[rule]; }
  // Defines `rule`; each alternative lists its elements without the kEnd.
  Status Define(uint32_t rule, std::vector<std::vector<GrammarElement>> alternatives);
  // Index of a byte class equal to `set` (shared when equal).
  uint32_t ByteClass(const ByteSet& set);

  Result<std::shared_ptr<const Grammar>> Build(const std::string& root_name);

 private:
  Status Validate(const Grammar& g) const;

  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> by_name_;
  std::unordered_map<std::string, uint32_t> by_class_;  // ByteSet::to_string() -> index
  std::vector<bool> defined_;
  std::vector<std::vector<std::vector<GrammarElement>>> rules_;
  std::vector<ByteSet> classes_;
  size_t n_elements_ = 0;
};

}  // namespace shimmy
