#include "model/model.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "base/huge_page_buffer.h"
#include "kernels/matmul.h"
#include "quant/block_types.h"
#include "quant/quant.h"

namespace shimmy {
namespace {

std::string ShapeString(const gguf::TensorInfo& t) {
  std::string s = "[";
  for (size_t i = 0; i < t.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(t.shape[i]);
  return s + "]";
}

// Checks a bound tensor against the shape the forward pass will use it with
// (ggml order: columns first). -1 matches any size.
Status ExpectShape(const Weight& w, std::initializer_list<int64_t> shape) {
  if (!w) return {};
  const auto& t = *w.info;
  bool ok = t.shape.size() <= shape.size();
  size_t i = 0;
  for (int64_t want : shape) {
    const int64_t have = w.dim(i++);
    if (want >= 0 && have != want) ok = false;
  }
  if (!ok) return Error("tensor '" + t.name + "' has shape " + ShapeString(t) + ", unexpected");
  return {};
}

Status ExpectMatrixType(const Weight& w) {
  if (!w) return {};
  if (!MatMulSupports(w.type())) {
    return Error("tensor '" + w.info->name + "' has type " + std::string(Name(w.type())) +
                 ", which shimmy cannot multiply yet");
  }
  return {};
}

Status ExpectF32(const Weight& w) {
  if (!w) return {};
  if (w.type() != DType::kF32) {
    return Error("tensor '" + w.info->name + "' should be F32 but is " + std::string(Name(w.type())));
  }
  return {};
}

// Repacking on the way into memory, where it pays:
// - Q5_0 becomes Q8_0 (exact, 34 instead of 22 bytes per 32 weights). AVX2
//   spends more time unpacking Q5_0's fifth bits than reading its bytes, so
//   its matvec runs at 7-9 GB/s per core against Q8_0's memory-bound rate;
//   on Qwen2.5-0.5B Q4_K_M (half its bytes Q5_0) decode gains more than the
//   26 % it adds to the bytes read.
// - Where the CPU has the kernels for them (AVX512-VNNI), Q8_0 (and those
//   Q5_0), Q4_K and Q6_K matrices become Q8_0_X8, Q4_K_X8 and Q6_K_X8: 8
//   rows interleaved, the same bytes, about half the instructions per
//   weight, and prefill is compute-bound on those rows. The token
//   embeddings only when they are also the output matrix (`tied_output`):
//   a lookup then unpacks its row from the group, one row per token,
//   while the output matmul reads all of them every token.
// SHIMMY_WEIGHT_REPACK=off keeps the file's types.
std::optional<gguf::TensorConversion> RepackForSpeed(const gguf::TensorInfo& t, bool tied_output) {
  const auto n = static_cast<int64_t>(t.n_elements);
  const bool matrix =
      t.shape.size() >= 2 && t.shape[1] % 8 == 0 && (tied_output || t.name != "token_embd.weight");
  const bool interleave = matrix && MatMulHasInterleavedKernels();
  const auto n_cols = static_cast<int64_t>(t.shape.empty() ? 0 : t.shape[0]);
  // `repack(src, dst, n_rows, n_cols)` into `type`, of `bytes`.
  const auto as_groups = [n, n_cols](DType type, uint64_t bytes, auto repack) {
    return gguf::TensorConversion{type, bytes,
                                  [n, n_cols, repack](const std::byte* src, std::byte* dst) {
                                    repack(src, dst, n / n_cols, n_cols);
                                  }};
  };
  const auto q8_0_bytes = static_cast<uint64_t>(n / kQK) * sizeof(BlockQ8_0);
  switch (t.type) {
    case DType::kQ5_0:
      if (interleave) return as_groups(DType::kQ8_0_X8, q8_0_bytes, RepackQ5_0AsQ8_0X8);
      return gguf::TensorConversion{
          DType::kQ8_0, q8_0_bytes,
          [n](const std::byte* src, std::byte* dst) { RepackQ5_0AsQ8_0(src, dst, n); }};
    case DType::kQ8_0:
      if (interleave) return as_groups(DType::kQ8_0_X8, t.n_bytes, RepackQ8_0AsX8);
      return std::nullopt;
    case DType::kQ4_K:
      if (interleave) return as_groups(DType::kQ4_K_X8, t.n_bytes, RepackQ4_KAsX8);
      return std::nullopt;
    case DType::kQ6_K:
      if (interleave) return as_groups(DType::kQ6_K_X8, t.n_bytes, RepackQ6_KAsX8);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// RepackForSpeed unless SHIMMY_WEIGHT_REPACK=off.
gguf::TensorConverter Repacker(bool tied_output) {
  const char* env = std::getenv("SHIMMY_WEIGHT_REPACK");
  if (env != nullptr && std::string_view(env) == "off") return {};
  return [tied_output](const gguf::TensorInfo& t) { return RepackForSpeed(t, tied_output); };
}

WeightMemory ResolveWeightMemory(WeightMemory wanted, const gguf::GgufFile& file,
                                 const gguf::TensorConverter& repack) {
  if (wanted != WeightMemory::kAuto) return wanted;
  if (const char* env = std::getenv("SHIMMY_WEIGHT_MEMORY")) {
    const std::string_view v(env);
    if (v == "mapped") return WeightMemory::kMapped;
    if (v == "huge") return WeightMemory::kHugePages;
  }
  if (!TransparentHugePagesAvailable()) return WeightMemory::kMapped;
  uint64_t bytes = 0;
  for (const auto& t : file.tensors()) {
    const auto repacked = repack ? repack(t) : std::nullopt;
    bytes += repacked ? repacked->n_bytes : t.n_bytes;
  }
  // A copy must not push a model that only just fits out to swap: mapped
  // weights can be paged from the file, anonymous ones cannot.
  return bytes < AvailableMemoryBytes() / 2 ? WeightMemory::kHugePages : WeightMemory::kMapped;
}

}  // namespace

void Model::DropVocabularyArrays() {
  static constexpr std::string_view kKeys[] = {
      "tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
      "tokenizer.ggml.merges", "tokenizer.ggml.precompiled_charsmap"};
  file_.DropMetadata(kKeys);
}

Result<std::shared_ptr<Model>> Model::Load(const std::string& path, WeightMemory memory) {
  auto file = gguf::GgufFile::Open(path);
  if (!file) return file.error();
  return FromFile(std::move(file).value(), memory);
}

Result<std::shared_ptr<Model>> Model::FromFile(gguf::GgufFile file, WeightMemory memory) {
  std::shared_ptr<Model> model(new Model(std::move(file)));
  // Bind first: a file that is not a usable model is rejected before
  // anything is copied.
  if (auto st = model->Bind(); !st) return st.error();
  const gguf::TensorConverter repack = Repacker(!model->weights().output);
  if (ResolveWeightMemory(memory, model->file_, repack) == WeightMemory::kHugePages) {
    // Bound weights point into TensorInfo, which the copy updates in place.
    auto copied = model->file_.CopyTensorsToMemory(repack);
    if (!copied) return copied.error();
  }
  return model;
}

Status Model::Bind() {
  const std::string& path = file_.path();
  auto fail = [&](const std::string& what) { return Error(path + ": " + what); };
  const std::string arch_name = file_.architecture();
  arch_ = FindArch(arch_name);
  if (arch_ == nullptr) {
    std::string names;
    for (auto n : SupportedArchs()) names += (names.empty() ? "" : ", ") + std::string(n);
    return fail("architecture '" + arch_name + "' is not supported (supported: " + names + ")");
  }
  auto hp = ReadHParams(file_);
  if (!hp) return hp.error();
  hparams_ = std::move(hp).value();
  hparams_.rope.style = arch_->rope_style;
  if (arch_->adjust != nullptr) arch_->adjust(hparams_);
  HParams& h = hparams_;

  for (const GlobalBinding& b : arch_->globals) {
    const gguf::TensorInfo* t = file_.FindTensor(b.name);
    if (t == nullptr && b.need == Need::kRequired) return fail("missing tensor '" + std::string(b.name) + "'");
    (weights_.*b.member).info = t;
  }
  weights_.layers.resize(static_cast<size_t>(h.n_layer));
  for (int il = 0; il < h.n_layer; ++il) {
    for (const LayerBinding& b : arch_->layer) {
      char name[256];
      std::snprintf(name, sizeof name, b.pattern, il);
      const gguf::TensorInfo* t = file_.FindTensor(name);
      if (t == nullptr && b.need == Need::kRequired) return fail("missing tensor '" + std::string(name) + "'");
      (weights_.layers[static_cast<size_t>(il)].*b.member).info = t;
    }
  }

  // Shapes and types the forward pass relies on.
  const ModelWeights& w = weights_;
  if (h.n_vocab <= 0) h.n_vocab = static_cast<int>(w.token_embd.dim(1));
  const int64_t e = h.n_embd;
  Status st;
  auto check = [&](Status s) {
    if (st.ok() && !s.ok()) st = s;
  };
  check(ExpectShape(w.token_embd, {e, h.n_vocab}));
  check(ExpectShape(w.output_norm, {e}));
  check(ExpectF32(w.output_norm));
  check(ExpectShape(output(), {e, h.n_vocab}));
  check(ExpectMatrixType(output()));
  if (!CanDequantize(w.token_embd.type())) check(Error("token_embd has an unsupported type"));
  if (w.rope_freqs) check(ExpectShape(w.rope_freqs, {h.rope.n_rot / 2}));
  check(ExpectF32(w.rope_freqs));
  for (int il = 0; il < h.n_layer; ++il) {
    const LayerWeights& l = w.layers[static_cast<size_t>(il)];
    const int64_t nh = h.n_head[static_cast<size_t>(il)];
    const int64_t nkv = h.n_head_kv[static_cast<size_t>(il)];
    const int64_t q_dim = nh * h.head_dim_k, k_dim = nkv * h.head_dim_k, v_dim = nkv * h.head_dim_v;
    for (const Weight* n : {&l.attn_norm, &l.ffn_norm, &l.post_attn_norm, &l.post_ffn_norm}) {
      check(ExpectShape(*n, {e}));
      check(ExpectF32(*n));
    }
    check(ExpectShape(l.q_norm, {h.head_dim_k}));
    check(ExpectShape(l.k_norm, {h.head_dim_k}));
    check(ExpectF32(l.q_norm));
    check(ExpectF32(l.k_norm));
    check(ExpectShape(l.wq, {e, q_dim}));
    check(ExpectShape(l.wk, {e, k_dim}));
    check(ExpectShape(l.wv, {e, v_dim}));
    check(ExpectShape(l.wqkv, {e, q_dim + k_dim + v_dim}));
    check(ExpectShape(l.wo, {nh * h.head_dim_v, e}));
    if (l.wqkv) {
      check(ExpectShape(l.bq, {q_dim + k_dim + v_dim}));
    } else {
      check(ExpectShape(l.bq, {q_dim}));
    }
    check(ExpectShape(l.bk, {k_dim}));
    check(ExpectShape(l.bv, {v_dim}));
    check(ExpectShape(l.bo, {e}));
    for (const Weight* b : {&l.bq, &l.bk, &l.bv, &l.bo}) check(ExpectF32(*b));
    for (const Weight* m : {&l.wq, &l.wk, &l.wv, &l.wqkv, &l.wo, &l.ffn_gate, &l.ffn_up, &l.ffn_down,
                            &l.ffn_gate_exps, &l.ffn_up_exps, &l.ffn_down_exps, &l.ffn_gate_inp}) {
      check(ExpectMatrixType(*m));
    }
    if (l.ffn_gate_inp) {
      if (h.n_expert == 0) check(Error("expert tensors but no expert_count"));
      const int64_t ff = h.n_ff_expert > 0 ? h.n_ff_expert : l.ffn_gate_exps.dim(1);
      h.n_ff_expert = static_cast<int>(ff);
      check(ExpectShape(l.ffn_gate_inp, {e, h.n_expert}));
      check(ExpectShape(l.ffn_gate_exps, {e, ff, h.n_expert}));
      check(ExpectShape(l.ffn_up_exps, {e, ff, h.n_expert}));
      check(ExpectShape(l.ffn_down_exps, {ff, e, h.n_expert}));
    } else {
      // Dense FFN width from the tensors when metadata lacks it.
      int& ff = h.n_ff[static_cast<size_t>(il)];
      const int64_t down_in = l.ffn_down.dim(0);
      if (ff == 0) ff = static_cast<int>(down_in);
      check(ExpectShape(l.ffn_down, {ff, e}));
      check(ExpectShape(l.ffn_gate, {e, ff}));
      check(ExpectShape(l.ffn_up, {e, l.ffn_gate ? ff : 2 * ff}));
    }
  }
  if (!st.ok()) return st.error().Context(path);
  return {};
}

}  // namespace shimmy
