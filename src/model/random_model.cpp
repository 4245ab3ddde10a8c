#include "model/random_model.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <optional>
#include <thread>

#include "gguf/gguf_writer.h"
#include "model/arch.h"
#include "quant/quant.h"

namespace shimmy {
namespace {

// ---- Random numbers -------------------------------------------------------

// SplitMix64's finaliser: a bijective 64-bit mix, good enough to turn
// counters into independent-looking bits.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t HashString(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  return h;
}

// Standard normal quantiles at the midpoints of 65536 equal-probability
// bins: a 16-bit draw indexes it. Four values per 64-bit mix make this
// several times faster than Box-Muller, which matters for billions of weights.
const std::array<float, 65536>& NormalTable() {
  static const std::array<float, 65536> table = [] {
    std::array<float, 65536> t{};
    constexpr size_t kHalf = 32768;
    double z = 0.0;
    for (size_t i = kHalf; i < t.size(); ++i) {
      const double p = (static_cast<double>(i) + 0.5) / 65536.0;
      // Newton on Phi(z) = p, starting from the previous (smaller) quantile.
      for (int it = 0; it < 50; ++it) {
        const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
        const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
        const double step = (cdf - p) / pdf;
        z -= step;
        if (std::fabs(step) < 1e-12) break;
      }
      t[i] = static_cast<float>(z);
      t[t.size() - 1 - i] = static_cast<float>(-z);
    }
    return t;
  }();
  return table;
}

// n values ~ N(mean, std) for row `row` of the tensor keyed `key`.
void FillNormal(uint64_t key, int64_t row, float mean, float std, float* out, int64_t n) {
  const auto& table = NormalTable();
  const uint64_t row_key = Mix(key + static_cast<uint64_t>(row) * 0x9e3779b97f4a7c15ull);
  for (int64_t j = 0; j < n; j += 4) {
    const uint64_t bits = Mix(row_key + static_cast<uint64_t>(j / 4));
    for (int64_t k = 0; k < 4 && j + k < n; ++k) {
      out[j + k] = mean + std * table[(bits >> (16 * k)) & 0xFFFF];
    }
  }
}

// ---- Architectures --------------------------------------------------------

// What converted files of each architecture carry beyond the common keys.
struct ArchTraits {
  std::string_view name;
  bool rope_dim_key;    // <arch>.rope.dimension_count
  bool head_dim_keys;   // attention.key_length / value_length
  bool rope_base_key;   // rope.freq_base even at its default
  bool vocab_size_key;  // <arch>.vocab_size
  bool qkv_bias;        // q/k/v projections have biases
  float attn_softcap;   // 0: none
  float final_softcap;
};

constexpr ArchTraits kTraits[] = {
    {"llama", true, false, true, true, false, 0, 0},
    {"qwen2", true, false, true, false, true, 0, 0},
    {"qwen3", true, true, true, false, false, 0, 0},
    {"qwen3moe", true, true, true, false, false, 0, 0},
    {"phi3", true, false, true, false, false, 0, 0},
    {"gemma2", false, true, false, false, false, 50.0f, 30.0f},
    {"gemma3", false, true, true, false, false, 0, 0},
};

const ArchTraits* FindTraits(std::string_view arch) {
  for (const ArchTraits& t : kTraits) {
    if (t.name == arch) return &t;
  }
  return nullptr;
}

bool HasLayerTensor(const ArchSpec& arch, Weight LayerWeights::*member) {
  for (const LayerBinding& b : arch.layer) {
    if (b.member == member) return true;
  }
  return false;
}

// ---- Tensor types ---------------------------------------------------------

enum class Role { kEmbed, kOutput, kAttnQ, kAttnK, kAttnV, kAttnQkv, kAttnOut, kFfnGate, kFfnUp, kFfnDown, kOther };
enum class Fill { kMatrix, kNorm, kBias, kRouter, kRopeFreqs };

struct PlannedTensor {
  std::string name;
  std::vector<int64_t> shape;  // ggml order
  Fill fill = Fill::kMatrix;
  Role role = Role::kOther;
  int layer = -1;
  DType type = DType::kF32;
};

// A layer's place in llama-quantize-style mixes: the first and last eighth
// of the layers, and every third one in between, get more bits.
bool MoreBits(int il, int n_layer) {
  const int e = n_layer / 8;
  return il < e || il >= 7 * n_layer / 8 || (il - e) % 3 == 2;
}

using MixRule = DType (*)(Role role, int il, int n_layer, bool moe);

DType MixQ3KS(Role, int, int, bool) { return DType::kQ3_K; }
DType MixQ3KM(Role role, int il, int n_layer, bool) {
  if (role == Role::kAttnV || role == Role::kAttnQkv) return il < 2 ? DType::kQ5_K : DType::kQ4_K;
  if (role == Role::kFfnDown) return il < n_layer / 16 ? DType::kQ5_K : DType::kQ4_K;
  if (role == Role::kAttnOut) return DType::kQ4_K;
  return DType::kQ3_K;
}
DType MixQ3KL(Role role, int, int, bool) {
  const bool up = role == Role::kAttnV || role == Role::kAttnQkv || role == Role::kFfnDown || role == Role::kAttnOut;
  return up ? DType::kQ5_K : DType::kQ3_K;
}
DType MixQ4KS(Role role, int il, int n_layer, bool) {
  if ((role == Role::kAttnV || role == Role::kAttnQkv) && il < 4) return DType::kQ5_K;
  if (role == Role::kFfnDown && il < n_layer / 8) return DType::kQ5_K;
  return DType::kQ4_K;
}
// Q4_K_M and Q5_K_M: Q6_K on the "more bits" layers; MoE models also keep
// attention K/V at 8 bits and widen the attention output.
template <DType kBase, DType kWider>
DType MixKM(Role role, int il, int n_layer, bool moe) {
  if (moe && (role == Role::kAttnK || role == Role::kAttnV)) return DType::kQ8_0;
  if (moe && role == Role::kAttnOut) return kWider;
  const bool sensitive = role == Role::kAttnV || role == Role::kAttnQkv || role == Role::kFfnDown;
  return sensitive && MoreBits(il, n_layer) ? DType::kQ6_K : kBase;
}
DType MixQ5KS(Role, int, int, bool) { return DType::kQ5_K; }

struct TypeRecipe {
  std::string_view name;
  DType base;
  MixRule mix;         // null: every matrix in `base`
  uint32_t file_type;  // general.file_type (llama.cpp's numbering)
};

constexpr TypeRecipe kRecipes[] = {
    {"F32", DType::kF32, nullptr, 0},       {"F16", DType::kF16, nullptr, 1},
    {"BF16", DType::kBF16, nullptr, 32},    {"Q4_0", DType::kQ4_0, nullptr, 2},
    {"Q4_1", DType::kQ4_1, nullptr, 3},     {"Q5_0", DType::kQ5_0, nullptr, 8},
    {"Q5_1", DType::kQ5_1, nullptr, 9},     {"Q8_0", DType::kQ8_0, nullptr, 7},
    {"Q2_K", DType::kQ2_K, nullptr, 10},    {"Q3_K", DType::kQ3_K, nullptr, 11},
    {"Q4_K", DType::kQ4_K, nullptr, 14},    {"Q5_K", DType::kQ5_K, nullptr, 16},
    {"Q6_K", DType::kQ6_K, nullptr, 18},    {"IQ4_NL", DType::kIQ4_NL, nullptr, 25},
    {"IQ4_XS", DType::kIQ4_XS, nullptr, 30},
    {"Q3_K_S", DType::kQ3_K, MixQ3KS, 11},  {"Q3_K_M", DType::kQ3_K, MixQ3KM, 12},
    {"Q3_K_L", DType::kQ3_K, MixQ3KL, 13},  {"Q4_K_S", DType::kQ4_K, MixQ4KS, 14},
    {"Q4_K_M", DType::kQ4_K, MixKM<DType::kQ4_K, DType::kQ5_K>, 15},
    {"Q5_K_S", DType::kQ5_K, MixQ5KS, 16},
    {"Q5_K_M", DType::kQ5_K, MixKM<DType::kQ5_K, DType::kQ6_K>, 17},
};

const TypeRecipe* FindRecipe(std::string_view name) {
  for (const TypeRecipe& r : kRecipes) {
    if (r.name.size() != name.size()) continue;
    if (std::equal(name.begin(), name.end(), r.name.begin(),
                   [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; })) {
      return &r;
    }
  }
  return nullptr;
}

// A type whose blocks fit rows of `n_cols`: K-types need 256-wide rows,
// the rest 32; a narrower row falls back to a similar-sized 32-block type,
// then to F16.
DType FitRow(DType type, int64_t n_cols) {
  if (n_cols % Info(type).block_size == 0) return type;
  DType fallback = DType::kF16;
  switch (type) {
    case DType::kQ2_K:
    case DType::kQ3_K: fallback = DType::kQ4_0; break;
    case DType::kQ4_K: fallback = DType::kQ5_0; break;
    case DType::kQ5_K: fallback = DType::kQ5_1; break;
    case DType::kQ6_K: fallback = DType::kQ8_0; break;
    case DType::kIQ4_XS: fallback = DType::kIQ4_NL; break;
    default: break;
  }
  return n_cols % Info(fallback).block_size == 0 ? fallback : DType::kF16;
}

DType ChooseType(const TypeRecipe& recipe, const PlannedTensor& t, const RandomModelSpec& spec) {
  if (t.fill != Fill::kMatrix) return DType::kF32;
  DType type = recipe.base;
  if (recipe.mix != nullptr) {
    const bool is_output = t.role == Role::kOutput || (t.role == Role::kEmbed && spec.tied_output);
    if (is_output) {
      type = DType::kQ6_K;
    } else if (t.role != Role::kEmbed) {
      type = recipe.mix(t.role, t.layer, spec.n_layer, spec.n_expert > 0);
    }
  }
  return FitRow(type, t.shape[0]);
}

// ---- Tensor plan ----------------------------------------------------------

struct Dims {
  int64_t e, q, kv, ff, ffe, n_exp, vocab, hd;
};

// Shape, fill and role of one layer tensor; false for a member the writer
// does not know how to make (a new architecture needs a line here).
bool DescribeLayerTensor(Weight LayerWeights::*m, const Dims& d, bool fused_qkv, bool separate_gate,
                         PlannedTensor& t) {
  using L = LayerWeights;
  auto set = [&](std::vector<int64_t> shape, Fill fill, Role role) {
    t.shape = std::move(shape);
    t.fill = fill;
    t.role = role;
    return true;
  };
  if (m == &L::attn_norm || m == &L::ffn_norm || m == &L::post_attn_norm || m == &L::post_ffn_norm)
    return set({d.e}, Fill::kNorm, Role::kOther);
  if (m == &L::q_norm || m == &L::k_norm) return set({d.hd}, Fill::kNorm, Role::kOther);
  if (m == &L::wq) return set({d.e, d.q}, Fill::kMatrix, Role::kAttnQ);
  if (m == &L::wk) return set({d.e, d.kv}, Fill::kMatrix, Role::kAttnK);
  if (m == &L::wv) return set({d.e, d.kv}, Fill::kMatrix, Role::kAttnV);
  if (m == &L::wqkv) return set({d.e, d.q + 2 * d.kv}, Fill::kMatrix, Role::kAttnQkv);
  if (m == &L::wo) return set({d.q, d.e}, Fill::kMatrix, Role::kAttnOut);
  if (m == &L::bq) return set({fused_qkv ? d.q + 2 * d.kv : d.q}, Fill::kBias, Role::kOther);
  if (m == &L::bk || m == &L::bv) return set({d.kv}, Fill::kBias, Role::kOther);
  if (m == &L::bo) return set({d.e}, Fill::kBias, Role::kOther);
  if (m == &L::ffn_gate) return set({d.e, d.ff}, Fill::kMatrix, Role::kFfnGate);
  if (m == &L::ffn_up) return set({d.e, separate_gate ? d.ff : 2 * d.ff}, Fill::kMatrix, Role::kFfnUp);
  if (m == &L::ffn_down) return set({d.ff, d.e}, Fill::kMatrix, Role::kFfnDown);
  if (m == &L::ffn_gate_inp) return set({d.e, d.n_exp}, Fill::kRouter, Role::kOther);
  if (m == &L::ffn_gate_exps) return set({d.e, d.ffe, d.n_exp}, Fill::kMatrix, Role::kFfnGate);
  if (m == &L::ffn_up_exps) return set({d.e, d.ffe, d.n_exp}, Fill::kMatrix, Role::kFfnUp);
  if (m == &L::ffn_down_exps) return set({d.ffe, d.e, d.n_exp}, Fill::kMatrix, Role::kFfnDown);
  return false;
}

Result<std::vector<PlannedTensor>> PlanTensors(const RandomModelSpec& spec, const ArchSpec& arch,
                                               bool qkv_bias, int64_t n_vocab) {
  const int64_t hd = spec.head_dim > 0 ? spec.head_dim : spec.n_embd / spec.n_head;
  const Dims d{spec.n_embd, spec.n_head * hd, spec.n_head_kv * hd, spec.n_ff, spec.n_ff_expert,
               spec.n_expert, n_vocab, hd};
  std::vector<PlannedTensor> plan;
  plan.push_back({"token_embd.weight", {d.e, d.vocab}, Fill::kMatrix, Role::kEmbed});
  if (spec.llama3_rope_factor > 0.0f) {
    plan.push_back({"rope_freqs.weight", {hd / 2}, Fill::kRopeFreqs, Role::kOther});
  }
  const bool fused_qkv = HasLayerTensor(arch, &LayerWeights::wqkv);
  const bool separate_gate = HasLayerTensor(arch, &LayerWeights::ffn_gate);
  for (int il = 0; il < spec.n_layer; ++il) {
    for (const LayerBinding& b : arch.layer) {
      const bool is_qkv_bias = b.member == &LayerWeights::bq || b.member == &LayerWeights::bk ||
                               b.member == &LayerWeights::bv;
      if (b.need == Need::kOptional && !(is_qkv_bias && qkv_bias)) continue;
      char name[256];
      std::snprintf(name, sizeof name, b.pattern, il);
      PlannedTensor t{name, {}, Fill::kMatrix, Role::kOther, il};
      if (!DescribeLayerTensor(b.member, d, fused_qkv, separate_gate, t)) {
        return Error(std::string("random models: no shape known for tensor '") + name + "'");
      }
      plan.push_back(std::move(t));
    }
  }
  plan.push_back({"output_norm.weight", {d.e}, Fill::kNorm, Role::kOther});
  if (!spec.tied_output) plan.push_back({"output.weight", {d.e, d.vocab}, Fill::kMatrix, Role::kOutput});
  return plan;
}

// Llama 3.1's rope scaling as per-pair frequency divisors: high frequencies
// unchanged, low ones divided by `factor`, a smooth blend in between.
void RopeFreqFactors(const RandomModelSpec& spec, float* out, int64_t n_pairs) {
  constexpr double kLowFreqFactor = 1.0, kHighFreqFactor = 4.0;
  const double old_ctx = spec.llama3_rope_n_ctx_orig;
  const double low_wavelen = old_ctx / kLowFreqFactor, high_wavelen = old_ctx / kHighFreqFactor;
  for (int64_t i = 0; i < n_pairs; ++i) {
    const double freq = std::pow(spec.rope_base, -2.0 * static_cast<double>(i) / (2.0 * n_pairs));
    const double wavelen = 2.0 * M_PI / freq;
    double f = 1.0;
    if (wavelen > low_wavelen) {
      f = spec.llama3_rope_factor;
    } else if (wavelen >= high_wavelen) {
      const double smooth = (old_ctx / wavelen - kLowFreqFactor) / (kHighFreqFactor - kLowFreqFactor);
      f = 1.0 / ((1.0 - smooth) / spec.llama3_rope_factor + smooth);
    }
    out[i] = static_cast<float>(f);
  }
}

// ---- Metadata -------------------------------------------------------------

void SetMetadata(const RandomModelSpec& spec, const ArchTraits& traits, const TypeRecipe& recipe,
                 int64_t n_vocab, gguf::GgufWriter& w) {
  using gguf::Value;
  const std::string a = spec.arch + ".";
  auto u32 = [](int64_t v) { return Value::U32(static_cast<uint32_t>(v)); };
  const int hd = spec.head_dim > 0 ? spec.head_dim : spec.n_embd / spec.n_head;
  w.Set("general.architecture", Value::String(spec.arch));
  w.Set("general.name", Value::String(spec.name.empty() ? "random-" + spec.arch : spec.name));
  w.Set(a + "context_length", u32(spec.n_ctx));
  w.Set(a + "embedding_length", u32(spec.n_embd));
  w.Set(a + "block_count", u32(spec.n_layer));
  w.Set(a + "feed_forward_length", u32(spec.n_ff));
  w.Set(a + "attention.head_count", u32(spec.n_head));
  w.Set(a + "attention.head_count_kv", u32(spec.n_head_kv));
  if (traits.rope_dim_key) w.Set(a + "rope.dimension_count", u32(hd));
  w.Set(a + "attention.layer_norm_rms_epsilon", Value::F32(spec.norm_eps));
  if (traits.rope_base_key || spec.rope_base != 10000.0f) w.Set(a + "rope.freq_base", Value::F32(spec.rope_base));
  if (traits.head_dim_keys || hd * spec.n_head != spec.n_embd) {
    w.Set(a + "attention.key_length", u32(hd));
    w.Set(a + "attention.value_length", u32(hd));
  }
  if (spec.n_expert > 0) {
    w.Set(a + "expert_count", u32(spec.n_expert));
    w.Set(a + "expert_used_count", u32(spec.n_expert_used));
    w.Set(a + "expert_feed_forward_length", u32(spec.n_ff_expert));
  }
  if (spec.sliding_window > 0) w.Set(a + "attention.sliding_window", u32(spec.sliding_window));
  const float attn_cap = spec.attn_softcap.value_or(traits.attn_softcap);
  const float final_cap = spec.final_softcap.value_or(traits.final_softcap);
  if (attn_cap > 0.0f) w.Set(a + "attn_logit_softcapping", Value::F32(attn_cap));
  if (final_cap > 0.0f) w.Set(a + "final_logit_softcapping", Value::F32(final_cap));
  if (spec.rope_scaling != RopeScaling::kNone) {
    w.Set(a + "rope.scaling.type", Value::String(spec.rope_scaling == RopeScaling::kLinear ? "linear" : "yarn"));
    w.Set(a + "rope.scaling.factor", Value::F32(spec.rope_scale_factor));
    if (spec.rope_scaling == RopeScaling::kYarn) {
      w.Set(a + "rope.scaling.original_context_length",
            u32(spec.rope_n_ctx_orig > 0 ? spec.rope_n_ctx_orig : spec.n_ctx));
    }
  }
  if (traits.vocab_size_key) w.Set(a + "vocab_size", u32(n_vocab));
  w.Set("general.file_type", Value::U32(recipe.file_type));
  // Converters and llama-quantize write it into every file, F32 included.
  w.Set("general.quantization_version", Value::U32(2));
}

// ---- Writing --------------------------------------------------------------

// Runs fn(begin, end) over [0, n) split into `n_threads` contiguous ranges.
template <class Fn>
void ParallelRows(int64_t n, int n_threads, Fn&& fn) {
  const int k = static_cast<int>(std::clamp<int64_t>(n, 1, n_threads));
  std::vector<std::thread> threads;
  for (int i = 1; i < k; ++i) threads.emplace_back([&, i] { fn(n * i / k, n * (i + 1) / k); });
  fn(0, n / k);
  for (auto& t : threads) t.join();
}

Status WriteTensor(const PlannedTensor& t, const RandomModelSpec& spec, int n_threads,
                   gguf::GgufStreamWriter& out) {
  const int64_t n_cols = t.shape[0];
  int64_t n_rows = 1;
  for (size_t i = 1; i < t.shape.size(); ++i) n_rows *= t.shape[i];
  const uint64_t row_bytes = *RowBytes(t.type, static_cast<uint64_t>(n_cols));
  // The values depend on the seed, name and shape only (not on the type).
  uint64_t key = Mix(spec.seed ^ HashString(t.name));
  for (int64_t dim : t.shape) key = Mix(key ^ static_cast<uint64_t>(dim));

  constexpr uint64_t kSlabBytes = 32ull << 20;
  const int64_t slab_rows = std::clamp<int64_t>(static_cast<int64_t>(kSlabBytes / row_bytes), 1, n_rows);
  std::vector<std::byte> slab(static_cast<size_t>(slab_rows * row_bytes));
  // Small tensors are not worth a thread.
  const int threads = n_rows * n_cols < (int64_t{1} << 16) ? 1 : n_threads;
  for (int64_t r0 = 0; r0 < n_rows; r0 += slab_rows) {
    const int64_t n = std::min(slab_rows, n_rows - r0);
    ParallelRows(n, threads, [&](int64_t begin, int64_t end) {
      std::vector<float> row(static_cast<size_t>(n_cols));
      for (int64_t r = begin; r < end; ++r) {
        switch (t.fill) {
          case Fill::kMatrix: FillNormal(key, r0 + r, 0.0f, spec.weight_std, row.data(), n_cols); break;
          case Fill::kNorm: FillNormal(key, r0 + r, 1.0f, 0.05f, row.data(), n_cols); break;
          case Fill::kBias: FillNormal(key, r0 + r, 0.0f, 0.1f, row.data(), n_cols); break;
          case Fill::kRouter: FillNormal(key, r0 + r, 0.0f, 0.2f, row.data(), n_cols); break;
          case Fill::kRopeFreqs: RopeFreqFactors(spec, row.data(), n_cols); break;
        }
        QuantizeRow(t.type, row.data(), slab.data() + r * row_bytes, n_cols);
      }
    });
    if (auto st = out.Append({slab.data(), static_cast<size_t>(n * row_bytes)}); !st) return st;
  }
  return {};
}

Status Check(bool ok, const std::string& what) { return ok ? Status{} : Status{Error(what)}; }

}  // namespace

std::vector<std::string_view> RandomModelTypes() {
  std::vector<std::string_view> names;
  for (const TypeRecipe& r : kRecipes) names.push_back(r.name);
  return names;
}

Status ValidateRandomModelSpec(const RandomModelSpec& s) {
  const ArchSpec* arch = FindArch(s.arch);
  if (arch == nullptr || FindTraits(s.arch) == nullptr) {
    return Error("random model: unsupported architecture '" + s.arch + "'");
  }
  const TypeRecipe* recipe = FindRecipe(s.type);
  if (recipe == nullptr) {
    const bool is_type = ParseDType(s.type).has_value();
    return Error("random model: type '" + s.type + "' " +
                 (is_type ? "has no quantizer or is not a weight type"
                          : "is neither a tensor type nor a known mix"));
  }
  const int hd = s.head_dim > 0 ? s.head_dim : (s.n_head > 0 ? s.n_embd / s.n_head : 0);
  const bool moe = HasLayerTensor(*arch, &LayerWeights::ffn_gate_inp);
  for (const Status& st : {
           Check(s.n_embd > 0, "n_embd must be positive"),
           Check(s.n_layer > 0, "n_layer must be positive"),
           Check(s.n_head > 0, "n_head must be positive"),
           Check(s.n_head_kv > 0 && s.n_head % std::max(s.n_head_kv, 1) == 0,
                 "n_head_kv must be positive and divide n_head"),
           Check(s.head_dim >= 0 && hd >= 2 && hd % 2 == 0, "head_dim must be even and at least 2"),
           Check(s.head_dim > 0 || s.n_embd % std::max(s.n_head, 1) == 0,
                 "n_embd is not a multiple of n_head; give head_dim"),
           Check(s.n_ff > 0, "n_ff must be positive"),
           Check(s.n_vocab > 0 || !s.vocab_path.empty(), "n_vocab must be positive"),
           Check(s.n_ctx > 0, "n_ctx must be positive"),
           Check(!moe || (s.n_expert > 0 && s.n_ff_expert > 0),
                 s.arch + " is a mixture of experts: n_expert and n_ff_expert must be positive"),
           Check(moe || (s.n_expert == 0 && s.n_expert_used == 0 && s.n_ff_expert == 0),
                 s.arch + " has no experts: n_expert, n_expert_used and n_ff_expert must be 0"),
           Check(!moe || (s.n_expert_used > 0 && s.n_expert_used <= s.n_expert),
                 "n_expert_used must be in [1, n_expert]"),
           Check(s.sliding_window >= 0, "sliding_window must not be negative"),
           Check(s.attn_softcap.value_or(0.0f) >= 0.0f && s.final_softcap.value_or(0.0f) >= 0.0f,
                 "softcaps must not be negative"),
           Check(s.norm_eps > 0.0f && std::isfinite(s.norm_eps), "norm_eps must be positive"),
           Check(s.rope_base > 0.0f && std::isfinite(s.rope_base), "rope_base must be positive"),
           Check(s.rope_scale_factor > 0.0f && std::isfinite(s.rope_scale_factor),
                 "rope_scale_factor must be positive"),
           Check(s.llama3_rope_factor == 0.0f || (s.llama3_rope_factor >= 1.0f && s.llama3_rope_n_ctx_orig > 0),
                 "llama3_rope_factor must be 0 or at least 1 (with a positive llama3_rope_n_ctx_orig)"),
           Check(s.weight_std > 0.0f && std::isfinite(s.weight_std), "weight_std must be positive"),
           Check(s.n_threads >= 0, "n_threads must not be negative"),
       }) {
    if (!st) return st.error().Context("random model");
  }
  return {};
}

Status WriteRandomModel(const RandomModelSpec& spec, const std::string& out_path) {
  if (auto st = ValidateRandomModelSpec(spec); !st) return st;
  const ArchSpec& arch = *FindArch(spec.arch);
  const ArchTraits& traits = *FindTraits(spec.arch);
  const TypeRecipe& recipe = *FindRecipe(spec.type);

  gguf::GgufWriter meta;
  int64_t n_vocab = spec.n_vocab;
  std::optional<gguf::GgufFile> vocab;
  if (!spec.vocab_path.empty()) {
    auto file = gguf::GgufFile::Open(spec.vocab_path);
    if (!file) return file.error().Context("random model vocabulary");
    const gguf::Array* tokens = file->GetArray("tokenizer.ggml.tokens");
    if (tokens == nullptr || tokens->size() == 0) {
      return Error(spec.vocab_path + ": no tokenizer.ggml.tokens, not a vocabulary");
    }
    n_vocab = static_cast<int64_t>(tokens->size());
    vocab = std::move(file).value();
  }

  auto plan = PlanTensors(spec, arch, spec.qkv_bias.value_or(traits.qkv_bias), n_vocab);
  if (!plan) return plan.error();
  std::vector<gguf::TensorDecl> decls;
  for (PlannedTensor& t : *plan) {
    t.type = ChooseType(recipe, t, spec);
    decls.push_back({t.name, t.type, t.shape});
  }
  SetMetadata(spec, traits, recipe, n_vocab, meta);
  if (vocab) meta.CopyMetadata(*vocab, "tokenizer.");

  auto out = gguf::GgufStreamWriter::Open(out_path, meta, std::move(decls));
  if (!out) return out.error();
  const int n_threads = spec.n_threads > 0 ? spec.n_threads
                                           : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const PlannedTensor& t : *plan) {
    if (auto st = WriteTensor(t, spec, n_threads, **out); !st) return st.error().Context(out_path);
  }
  return (*out)->Finish();
}

}  // namespace shimmy
