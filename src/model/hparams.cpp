#include "model/hparams.h"

#include <algorithm>
#include <cmath>

namespace shimmy {
namespace {

// Upper bounds that keep a hostile file from asking for absurd buffers.
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxEmbd = 1 << 17;
constexpr int64_t kMaxHeads = 1024;
constexpr int64_t kMaxFf = 1 << 20;
constexpr int64_t kMaxCtx = 1 << 24;

class KeyReader {
 public:
  KeyReader(const gguf::GgufFile& file, std::string arch) : file_(file), arch_(std::move(arch)) {}

  std::string Key(std::string_view suffix) const { return arch_ + "." + std::string(suffix); }

  // A required positive integer within [1, max].
  Status Int(std::string_view suffix, int64_t max, int& out) const {
    auto v = file_.GetInt(Key(suffix));
    if (!v) return Error("missing or non-integer " + Key(suffix));
    if (*v < 1 || *v > max) return Error(Key(suffix) + " = " + std::to_string(*v) + " is out of range");
    out = static_cast<int>(*v);
    return {};
  }

  // An optional non-negative integer; `out` keeps its value when absent.
  Status OptInt(std::string_view suffix, int64_t max, int& out) const {
    const gguf::Value* v = file_.Find(Key(suffix));
    if (v == nullptr) return {};
    auto i = v->AsInt();
    if (!i || *i < 0 || *i > max) return Error(Key(suffix) + " is out of range");
    out = static_cast<int>(*i);
    return {};
  }

  void OptFloat(std::string_view suffix, float& out) const {
    if (auto v = file_.GetFloat(Key(suffix))) out = static_cast<float>(*v);
  }

  // A per-layer integer: either one value for all layers or an array.
  Status PerLayer(std::string_view suffix, int n_layer, int64_t max, bool required, int fallback,
                  std::vector<int>& out) const {
    out.assign(static_cast<size_t>(n_layer), fallback);
    const gguf::Value* v = file_.Find(Key(suffix));
    if (v == nullptr) {
      if (required) return Error("missing " + Key(suffix));
      return {};
    }
    if (const gguf::Array* a = v->AsArray()) {
      if (a->size() != static_cast<size_t>(n_layer) || gguf::FixedSize(a->elem_type) == 0) {
        return Error(Key(suffix) + " must have one integer per layer");
      }
      for (int i = 0; i < n_layer; ++i) {
        const int64_t x = a->IntAt(static_cast<size_t>(i));
        if (x < 0 || x > max) return Error(Key(suffix) + " is out of range");
        out[static_cast<size_t>(i)] = static_cast<int>(x);
      }
      return {};
    }
    auto i = v->AsInt();
    if (!i || *i < 0 || *i > max) return Error(Key(suffix) + " is out of range");
    std::fill(out.begin(), out.end(), static_cast<int>(*i));
    return {};
  }

 private:
  const gguf::GgufFile& file_;
  std::string arch_;
};

}  // namespace

int HParams::max_n_head() const { return n_head.empty() ? 0 : *std::max_element(n_head.begin(), n_head.end()); }
int HParams::max_n_head_kv() const {
  return n_head_kv.empty() ? 0 : *std::max_element(n_head_kv.begin(), n_head_kv.end());
}
int HParams::max_n_ff() const { return n_ff.empty() ? 0 : *std::max_element(n_ff.begin(), n_ff.end()); }

Result<HParams> ReadHParams(const gguf::GgufFile& file) {
  HParams hp;
  hp.arch = file.architecture();
  if (hp.arch.empty()) return Error(file.path() + ": general.architecture is missing");
  const KeyReader r(file, hp.arch);
  auto fail = [&](const Error& e) { return e.Context(file.path()); };

  if (auto st = r.Int("embedding_length", kMaxEmbd, hp.n_embd); !st) return fail(st.error());
  if (auto st = r.Int("block_count", kMaxLayers, hp.n_layer); !st) return fail(st.error());
  hp.n_ctx_train = 2048;
  if (auto st = r.OptInt("context_length", kMaxCtx, hp.n_ctx_train); !st) return fail(st.error());
  if (auto st = r.PerLayer("attention.head_count", hp.n_layer, kMaxHeads, true, 0, hp.n_head); !st)
    return fail(st.error());
  if (auto st = r.PerLayer("attention.head_count_kv", hp.n_layer, kMaxHeads, false, 0, hp.n_head_kv);
      !st)
    return fail(st.error());
  for (int i = 0; i < hp.n_layer; ++i) {
    auto& kv = hp.n_head_kv[static_cast<size_t>(i)];
    const int h = hp.n_head[static_cast<size_t>(i)];
    if (h == 0) return fail(Error("a layer has 0 attention heads"));
    if (kv == 0) kv = h;  // absent: no grouped-query attention
    if (h % kv != 0) return fail(Error("head_count is not a multiple of head_count_kv"));
  }
  if (auto st = r.PerLayer("feed_forward_length", hp.n_layer, kMaxFf, false, 0, hp.n_ff); !st)
    return fail(st.error());

  const int n_head0 = hp.n_head[0];
  hp.head_dim_k = hp.n_embd / n_head0;
  if (auto st = r.OptInt("attention.key_length", 1 << 14, hp.head_dim_k); !st) return fail(st.error());
  hp.head_dim_v = hp.head_dim_k;
  if (auto st = r.OptInt("attention.value_length", 1 << 14, hp.head_dim_v); !st) return fail(st.error());
  if (hp.head_dim_k == 0 || hp.head_dim_v == 0) return fail(Error("head dimension is 0"));

  hp.norm_eps = 1e-5f;
  r.OptFloat("attention.layer_norm_epsilon", hp.norm_eps);
  r.OptFloat("attention.layer_norm_rms_epsilon", hp.norm_eps);

  RopeParams& rope = hp.rope;
  rope.n_rot = hp.head_dim_k;
  if (auto st = r.OptInt("rope.dimension_count", hp.head_dim_k, rope.n_rot); !st) return fail(st.error());
  if (rope.n_rot % 2 != 0) return fail(Error("rope.dimension_count must be even"));
  r.OptFloat("rope.freq_base", rope.freq_base);
  rope.freq_base_swa = rope.freq_base;
  r.OptFloat("rope.freq_base_swa", rope.freq_base_swa);
  const std::string scaling = file.GetString(r.Key("rope.scaling.type")).value_or("none");
  if (scaling == "linear") {
    rope.scaling = RopeScaling::kLinear;
  } else if (scaling == "yarn") {
    rope.scaling = RopeScaling::kYarn;
  } else if (scaling != "none" && !scaling.empty()) {
    return fail(Error("unsupported rope scaling '" + scaling + "'"));
  }
  r.OptFloat("rope.scaling.factor", rope.scale_factor);
  if (auto f = file.GetFloat(r.Key("rope.scale_linear"))) {
    rope.scaling = RopeScaling::kLinear;
    rope.scale_factor = static_cast<float>(*f);
  }
  if (!(rope.scale_factor > 0.0f) || !std::isfinite(rope.scale_factor)) rope.scale_factor = 1.0f;
  if (rope.scale_factor == 1.0f) rope.scaling = RopeScaling::kNone;
  rope.n_ctx_orig = hp.n_ctx_train;
  if (auto st = r.OptInt("rope.scaling.original_context_length", kMaxCtx, rope.n_ctx_orig); !st)
    return fail(st.error());
  r.OptFloat("rope.scaling.attn_factor", rope.yarn_attn_factor);
  r.OptFloat("rope.scaling.yarn_beta_fast", rope.yarn_beta_fast);
  r.OptFloat("rope.scaling.yarn_beta_slow", rope.yarn_beta_slow);

  if (auto st = r.OptInt("expert_count", 4096, hp.n_expert); !st) return fail(st.error());
  if (auto st = r.OptInt("expert_used_count", 4096, hp.n_expert_used); !st) return fail(st.error());
  if (auto st = r.OptInt("expert_feed_forward_length", kMaxFf, hp.n_ff_expert); !st) return fail(st.error());
  if (hp.n_expert_used > hp.n_expert) return fail(Error("expert_used_count > expert_count"));
  if (hp.n_expert > 0 && hp.n_expert_used == 0) return fail(Error("expert_used_count is 0"));
  if (auto b = file.GetBool(r.Key("expert_weights_norm"))) hp.expert_weights_norm = *b;

  if (auto st = r.OptInt("attention.sliding_window", kMaxCtx, hp.sliding_window); !st) return fail(st.error());
  hp.layer_uses_swa.assign(static_cast<size_t>(hp.n_layer), false);
  r.OptFloat("attn_logit_softcapping", hp.attn_softcap);
  r.OptFloat("final_logit_softcapping", hp.final_softcap);
  r.OptFloat("attention.scale", hp.attn_scale);

  int pooling = 0;
  if (auto st = r.OptInt("pooling_type", 16, pooling); !st) return fail(st.error());
  switch (pooling) {
    case 1: hp.pooling = Pooling::kMean; break;
    case 2: hp.pooling = Pooling::kCls; break;
    case 3: hp.pooling = Pooling::kLast; break;
    default: hp.pooling = Pooling::kNone; break;
  }

  if (const gguf::Array* tokens = file.GetArray("tokenizer.ggml.tokens")) {
    hp.n_vocab = static_cast<int>(std::min<size_t>(tokens->size(), 1 << 24));
  }
  if (auto st = r.OptInt("vocab_size", 1 << 24, hp.n_vocab); !st) return fail(st.error());
  return hp;
}

}  // namespace shimmy
