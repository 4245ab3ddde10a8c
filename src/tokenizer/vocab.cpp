#include "tokenizer/vocab.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <string_view>

namespace shimmy {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<VocabKind> KindFromName(const std::string& name) {
  if (name == "llama") return VocabKind::kSpm;
  if (name == "gpt2") return VocabKind::kBpe;
  if (name == "bert") return VocabKind::kWordPiece;
  if (name == "t5") return VocabKind::kUnigram;
  if (name == "none" || name == "no_vocab") return VocabKind::kNone;
  return std::nullopt;
}

// Texts that end generation in the major model families. The reference
// implementation also treats these tokens as control tokens whatever their
// stored type, which decides whether plain text can produce them.
constexpr std::string_view kEogTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<｜end▁of▁sentence｜>", "[e~["};

// Fill-in-the-middle markers, likewise treated as control tokens.
constexpr std::string_view kFimTexts[] = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>",
    "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>",
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>",
    "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>",
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>",
    "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>",
    "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
    "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>"};

bool Contains(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  for (std::string_view n : needles) {
    if (haystack.find(n) != std::string_view::npos) return true;
  }
  return false;
}

// Fills v.attrs the way the reference implementation derives its token
// attributes: from the stored types, from well-known marker texts, and from
// per-family rules keyed on the model's name (GGUF stores none of this).
void SetTokenAttrs(const gguf::GgufFile& file, Vocab& v) {
  namespace ta = token_attr;
  const size_t n = v.size();
  v.attrs.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (v.types[i] == TokenType::kControl || v.types[i] == TokenType::kUnknown) {
      v.attrs[i] |= ta::kControl;
    }
  }
  auto set = [&](std::string_view text, uint8_t bit, bool on) {
    const TokenId id = v.Find(std::string(text));
    if (id == kNoToken) return;
    uint8_t& a = v.attrs[static_cast<size_t>(id)];
    a = on ? (a | bit) : (a & ~bit);
  };
  for (std::string_view t : kEogTexts) set(t, ta::kControl, true);
  for (std::string_view t : kFimTexts) set(t, ta::kControl, true);
  // gpt-oss renders its channel markers as ordinary (user-defined) text.
  for (std::string_view t : {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"}) {
    set(t, ta::kControl, false);
  }
  // ... and its <|end|> closes a message but is not a control token there.
  if ((v.Find("<|return|>") != kNoToken && v.Find("<|call|>") != kNoToken) ||
      (v.Find("<|calls|>") != kNoToken && v.Find("<|flush|>") != kNoToken)) {
    set("<|end|>", ta::kControl, false);
  }

  std::string name = file.GetString("general.name").value_or("");
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string arch = file.GetString("general.architecture").value_or("");
  if (Contains(v.pre, {"jina-v2-de", "jina-v2-es", "jina-v2-code"}) ||
      Contains(arch, {"nomic-bert-moe", "jina-bert-v3"})) {
    set("<mask>", ta::kLstrip, true);
  } else if (Contains(name, {"phi-3", "phi3"})) {
    // Phi-3's chat markers eat the whitespace that follows them.
    for (size_t i = 0; i < n; ++i) {
      const TokenType t = v.types[i];
      if (t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown ||
          (v.attrs[i] & ta::kControl) != 0) {
        v.attrs[i] |= ta::kRstrip;
      }
    }
    set("</s>", ta::kRstrip, true);
    for (std::string_view t : {"<unk>", "<s>", "<|endoftext|>"}) set(t, ta::kRstrip, false);
  } else if (Contains(name, {"modern-bert"})) {
    set("[MASK]", ta::kLstrip, true);
  }
}

}  // namespace

bool Vocab::IsEog(TokenId id) const {
  return std::find(eog.begin(), eog.end(), id) != eog.end();
}

Result<Vocab> Vocab::FromGguf(const gguf::GgufFile& file) {
  Vocab v;
  auto fail = [&](const std::string& what) { return Error(file.path() + ": " + what); };

  v.model = file.GetString("tokenizer.ggml.model").value_or("");
  if (v.model.empty()) return fail("no tokenizer (tokenizer.ggml.model is missing)");
  auto kind = KindFromName(v.model);
  if (!kind) return fail("unsupported tokenizer model '" + v.model + "'");
  v.kind = *kind;
  v.pre = file.GetString("tokenizer.ggml.pre").value_or("");

  const gguf::Array* tokens = file.GetArray("tokenizer.ggml.tokens");
  if (tokens == nullptr || tokens->elem_type != gguf::ValueType::kString) {
    return fail("tokenizer.ggml.tokens is missing or not a string array");
  }
  if (tokens->size() > (1u << 31) - 1) return fail("vocabulary too large");
  size_t text_bytes = 0;
  for (const std::string& t : tokens->strings) text_bytes += t.size();
  if (text_bytes >= (size_t{1} << 32) - 1) return fail("vocabulary too large");
  const size_t n = tokens->size();
  v.tokens.Reserve(n, text_bytes);
  // Of texts given twice the first id wins, as in the reference.
  for (const std::string& t : tokens->strings) v.tokens.push_back(t);

  if (const gguf::Array* scores = file.GetArray("tokenizer.ggml.scores")) {
    if (scores->size() != n || (scores->elem_type != gguf::ValueType::kF32 &&
                                scores->elem_type != gguf::ValueType::kF64)) {
      return fail("tokenizer.ggml.scores does not match the vocabulary");
    }
    v.scores.resize(n);
    for (size_t i = 0; i < n; ++i) v.scores[i] = static_cast<float>(scores->NumberAt(i));
  }

  v.types.assign(n, TokenType::kNormal);
  if (const gguf::Array* types = file.GetArray("tokenizer.ggml.token_type")) {
    if (types->size() != n || FixedSize(types->elem_type) == 0) {
      return fail("tokenizer.ggml.token_type does not match the vocabulary");
    }
    for (size_t i = 0; i < n; ++i) {
      const int64_t t = types->IntAt(i);
      v.types[i] = (t >= 0 && t <= 6) ? static_cast<TokenType>(t) : TokenType::kUndefined;
    }
  }

  if (const gguf::Array* merges = file.GetArray("tokenizer.ggml.merges")) {
    if (merges->elem_type != gguf::ValueType::kString) {
      return fail("tokenizer.ggml.merges is not a string array");
    }
    v.merges.reserve(merges->size());
    for (const std::string& m : merges->strings) {
      // "left right"; the separator is the first space after position 0
      // (a token may itself be a space-like character, never a plain space).
      const size_t sp = m.find(' ', 1);
      if (sp == std::string::npos) return fail("malformed merge '" + m + "'");
      v.merges.emplace_back(m.substr(0, sp), m.substr(sp + 1));
    }
  }
  if (v.kind == VocabKind::kBpe && v.merges.empty()) {
    return fail("BPE vocabulary without tokenizer.ggml.merges");
  }

  if (const gguf::Array* map = file.GetArray("tokenizer.ggml.precompiled_charsmap")) {
    const size_t w = FixedSize(map->elem_type);
    if (w != 1) return fail("tokenizer.ggml.precompiled_charsmap is not a byte array");
    v.precompiled_charsmap.resize(map->packed.size());
    std::transform(map->packed.begin(), map->packed.end(), v.precompiled_charsmap.begin(),
                   [](std::byte b) { return static_cast<uint8_t>(b); });
  }

  // Special token ids; ids outside the vocabulary are ignored.
  auto id = [&](const char* key, TokenId fallback) -> TokenId {
    auto value = file.GetInt(key);
    if (!value) return fallback;
    if (*value < 0 || static_cast<uint64_t>(*value) >= n) return kNoToken;
    return static_cast<TokenId>(*value);
  };
  // Each model family's defaults, for files that leave them out.
  switch (v.kind) {
    case VocabKind::kSpm:
      v.bos = 1, v.eos = 2, v.unk = 0;
      v.add_bos = true, v.add_space_prefix = true;
      break;
    case VocabKind::kBpe: {
      v.bos = 11, v.eos = 11;
      // Families whose GGUF files rely on BOS being added by default.
      static const char* const kBosFamilies[] = {"llama3", "llama-bpe", "llama-v3", "tekken",
                                                 "chameleon", "falcon3"};
      for (const char* family : kBosFamilies) v.add_bos |= v.pre == family;
      static const char* const kSepFamilies[] = {"jina-v1-en", "jina-v2-code", "roberta-bpe"};
      for (const char* family : kSepFamilies) v.add_sep |= v.pre == family;
      break;
    }
    case VocabKind::kWordPiece:
      v.bos = 101, v.eos = kNoToken, v.unk = 100, v.sep = 102, v.pad = 0, v.cls = 101,
      v.mask = 103;
      v.add_bos = true, v.add_sep = true;
      break;
    case VocabKind::kUnigram:
      v.bos = kNoToken, v.eos = 1, v.unk = 2, v.pad = 0;
      v.add_eos = true, v.add_space_prefix = true, v.remove_extra_whitespaces = true;
      break;
    case VocabKind::kNone:
      v.bos = v.eos = kNoToken;
      break;
  }
  if (v.bos >= static_cast<TokenId>(n)) v.bos = kNoToken;
  if (v.eos >= static_cast<TokenId>(n)) v.eos = kNoToken;
  if (v.unk >= static_cast<TokenId>(n)) v.unk = kNoToken;
  v.bos = id("tokenizer.ggml.bos_token_id", v.bos);
  v.eos = id("tokenizer.ggml.eos_token_id", v.eos);
  v.eot = id("tokenizer.ggml.eot_token_id", kNoToken);
  v.eom = id("tokenizer.ggml.eom_token_id", kNoToken);
  v.unk = id("tokenizer.ggml.unknown_token_id", v.unk);
  v.pad = id("tokenizer.ggml.padding_token_id", v.pad);
  // "seperator" is how the GGUF key is spelled.
  v.sep = id("tokenizer.ggml.seperator_token_id", v.sep);
  v.cls = id("tokenizer.ggml.cls_token_id", v.cls);
  v.mask = id("tokenizer.ggml.mask_token_id", v.mask);
  if (v.kind == VocabKind::kWordPiece && v.cls != kNoToken) v.bos = v.cls;

  v.add_bos = file.GetBool("tokenizer.ggml.add_bos_token").value_or(v.add_bos);
  v.add_eos = file.GetBool("tokenizer.ggml.add_eos_token").value_or(v.add_eos);
  v.add_sep = file.GetBool("tokenizer.ggml.add_sep_token").value_or(v.add_sep);
  v.add_space_prefix = file.GetBool("tokenizer.ggml.add_space_prefix").value_or(v.add_space_prefix);
  v.remove_extra_whitespaces =
      file.GetBool("tokenizer.ggml.remove_extra_whitespaces").value_or(v.remove_extra_whitespaces);

  // Line feed: SPM spells it as the byte token, byte-level BPE as "Ċ".
  v.linefeed = v.kind == VocabKind::kSpm ? v.Find("<0x0A>") : v.Find("\xC4\x8A");
  if (v.linefeed == kNoToken) v.linefeed = v.Find("\n");

  v.normalizer_lowercase =
      file.GetBool("tokenizer.ggml.normalizer.lowercase").value_or(v.normalizer_lowercase);
  v.normalizer_strip_accents =
      file.GetBool("tokenizer.ggml.normalizer.strip_accents").value_or(v.normalizer_lowercase);

  SetTokenAttrs(file, v);

  // End of generation: EOS/EOT/EOM plus every token whose text marks the end
  // of a turn in one of the major families.
  auto add_eog = [&](TokenId t) {
    if (t != kNoToken && !v.IsEog(t)) v.eog.push_back(t);
  };
  add_eog(v.eos);
  add_eog(v.eot);
  add_eog(v.eom);
  for (std::string_view marker : kEogTexts) {
    add_eog(v.Find(std::string(marker)));
  }
  // o200k-style vocabularies end a message with <|end|> but keep
  // generating; <|return|> and <|call|> end the turn instead.
  if ((v.Find("<|return|>") != kNoToken && v.Find("<|call|>") != kNoToken) ||
      (v.Find("<|calls|>") != kNoToken && v.Find("<|flush|>") != kNoToken)) {
    const TokenId end = v.Find("<|end|>");
    if (end != kNoToken && end != v.eos && end != v.eot) {
      v.eog.erase(std::remove(v.eog.begin(), v.eog.end(), end), v.eog.end());
    }
  }
  return v;
}

int ParseByteToken(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  const int hi = HexDigit(text[3]);
  const int lo = HexDigit(text[4]);
  return (hi < 0 || lo < 0) ? -1 : hi * 16 + lo;
}

}  // namespace shimmy
