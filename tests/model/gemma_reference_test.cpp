// An independent float64 Gemma 2 / Gemma 3 forward pass, written from the
// public model descriptions, against the engine on small F32 models. Per
// layer: RMSNorm -> attention (q scaled by 1/sqrt(head_dim), NEOX rope,
// Gemma 2 soft-caps the scores, Gemma 3 normalises q/k heads; local layers
// see only the last `window` positions) -> post-attention RMSNorm ->
// residual; RMSNorm -> down(gelu_tanh(gate(x)) * up(x)) -> post-FFN RMSNorm
// -> residual. Embeddings are scaled by sqrt(n_embd); the output is tied to
// the embedding; Gemma 2 soft-caps the final logits. GGUF norm weights
// already hold Gemma's 1 + w, so they multiply as stored.
#include <gtest/gtest.h>

#include <cmath>

#include "gguf/gguf_file.h"
#include "model_test_util.h"

namespace shimmy {
namespace {

using Vec = std::vector<double>;

struct Config {
  int n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_vocab;
  double eps, attn_cap, final_cap;
  int window;
  bool qk_norm;
  double rope_base_global, rope_base_local;
  bool (*is_local)(int layer, int n_layer);
};

class Reference {
 public:
  Reference(const gguf::GgufFile& f, const Config& c) : f_(f), c_(c) {}

  // Logits (n_vocab per position) for every position of `tokens`.
  std::vector<Vec> Run(const std::vector<TokenId>& tokens) {
    const int n = static_cast<int>(tokens.size()), E = c_.n_embd;
    std::vector<Vec> x(static_cast<size_t>(n));
    const Vec emb = T("token_embd.weight");
    for (int t = 0; t < n; ++t) {
      x[t].assign(emb.begin() + tokens[t] * E, emb.begin() + (tokens[t] + 1) * E);
      for (double& v : x[t]) v *= std::sqrt(static_cast<double>(E));
    }
    for (int l = 0; l < c_.n_layer; ++l) Layer(l, x);
    std::vector<Vec> logits;
    for (int t = 0; t < n; ++t) {
      Vec h = Norm(x[t], T("output_norm.weight"));
      Vec z = MatVec(emb, h, c_.n_vocab);
      if (c_.final_cap > 0) {
        for (double& v : z) v = c_.final_cap * std::tanh(v / c_.final_cap);
      }
      logits.push_back(std::move(z));
    }
    return logits;
  }

 private:
  Vec T(const std::string& name) const {
    const gguf::TensorInfo* t = f_.FindTensor(name);
    EXPECT_TRUE(t != nullptr && t->type == DType::kF32) << name;
    const float* p = reinterpret_cast<const float*>(t->data);
    return Vec(p, p + t->n_elements);
  }
  Vec L(int l, const std::string& name) const { return T("blk." + std::to_string(l) + "." + name + ".weight"); }

  // W is [rows][cols] row-major (GGUF shape [cols, rows]).
  static Vec MatVec(const Vec& w, const Vec& x, int rows) {
    Vec y(static_cast<size_t>(rows), 0.0);
    const size_t cols = x.size();
    for (int r = 0; r < rows; ++r) {
      for (size_t c = 0; c < cols; ++c) y[r] += w[r * cols + c] * x[c];
    }
    return y;
  }

  Vec Norm(const Vec& x, const Vec& w) const {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double inv = 1.0 / std::sqrt(ss / x.size() + c_.eps);
    Vec y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * w[i];
    return y;
  }

  // NEOX rotation of one head: pairs (i, i + d/2).
  void Rope(double* head, int pos, double base) const {
    const int half = c_.head_dim / 2;
    for (int i = 0; i < half; ++i) {
      const double theta = pos * std::pow(base, -2.0 * i / c_.head_dim);
      const double a = head[i], b = head[i + half];
      head[i] = a * std::cos(theta) - b * std::sin(theta);
      head[i + half] = a * std::sin(theta) + b * std::cos(theta);
    }
  }

  void Layer(int l, std::vector<Vec>& x) const {
    const int n = static_cast<int>(x.size()), D = c_.head_dim;
    const int q_dim = c_.n_head * D, kv_dim = c_.n_head_kv * D;
    const bool local = c_.is_local(l, c_.n_layer);
    const Vec wq = L(l, "attn_q"), wk = L(l, "attn_k"), wv = L(l, "attn_v"), wo = L(l, "attn_output");
    std::vector<Vec> q(n), k(n), v(n);
    for (int t = 0; t < n; ++t) {
      const Vec h = Norm(x[t], L(l, "attn_norm"));
      q[t] = MatVec(wq, h, q_dim), k[t] = MatVec(wk, h, kv_dim), v[t] = MatVec(wv, h, kv_dim);
      for (int hd = 0; hd < c_.n_head; ++hd) {
        if (c_.qk_norm) {
          const Vec head(q[t].begin() + hd * D, q[t].begin() + (hd + 1) * D);
          const Vec normed = Norm(head, L(l, "attn_q_norm"));
          std::copy(normed.begin(), normed.end(), q[t].begin() + hd * D);
        }
        Rope(q[t].data() + hd * D, t, local ? c_.rope_base_local : c_.rope_base_global);
      }
      for (int hd = 0; hd < c_.n_head_kv; ++hd) {
        if (c_.qk_norm) {
          const Vec head(k[t].begin() + hd * D, k[t].begin() + (hd + 1) * D);
          const Vec normed = Norm(head, L(l, "attn_k_norm"));
          std::copy(normed.begin(), normed.end(), k[t].begin() + hd * D);
        }
        Rope(k[t].data() + hd * D, t, local ? c_.rope_base_local : c_.rope_base_global);
      }
    }
    const Vec post_attn = L(l, "post_attention_norm"), ffn_norm = L(l, "ffn_norm"), post_ffw = L(l, "post_ffw_norm");
    const Vec wg = L(l, "ffn_gate"), wu = L(l, "ffn_up"), wd = L(l, "ffn_down");
    std::vector<Vec> out(n);
    for (int t = 0; t < n; ++t) {
      Vec attn(static_cast<size_t>(q_dim), 0.0);
      for (int hd = 0; hd < c_.n_head; ++hd) {
        const int kvh = hd / (c_.n_head / c_.n_head_kv);
        const int first = local ? std::max(0, t - c_.window + 1) : 0;
        Vec s;
        for (int j = first; j <= t; ++j) {
          double dot = 0;
          for (int d = 0; d < D; ++d) dot += q[t][hd * D + d] * k[j][kvh * D + d];
          dot /= std::sqrt(static_cast<double>(D));
          if (c_.attn_cap > 0) dot = c_.attn_cap * std::tanh(dot / c_.attn_cap);
          s.push_back(dot);
        }
        const double mx = *std::max_element(s.begin(), s.end());
        double sum = 0;
        for (double& e : s) sum += (e = std::exp(e - mx));
        for (int j = first; j <= t; ++j) {
          for (int d = 0; d < D; ++d) attn[hd * D + d] += s[j - first] / sum * v[j][kvh * D + d];
        }
      }
      out[t] = Norm(MatVec(wo, attn, c_.n_embd), post_attn);
    }
    for (int t = 0; t < n; ++t) {
      for (int i = 0; i < c_.n_embd; ++i) x[t][i] += out[t][i];
      const Vec h = Norm(x[t], ffn_norm);
      Vec g = MatVec(wg, h, c_.n_ff);
      const Vec u = MatVec(wu, h, c_.n_ff);
      for (int i = 0; i < c_.n_ff; ++i) {
        const double a = g[i];
        g[i] = 0.5 * a * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (a + 0.044715 * a * a * a))) * u[i];
      }
      const Vec d = Norm(MatVec(wd, g, c_.n_embd), post_ffw);
      for (int i = 0; i < c_.n_embd; ++i) x[t][i] += d[i];
    }
  }

  const gguf::GgufFile& f_;
  Config c_;
};

// Engine logits of every position against the reference; returns the max
// difference and checks the window actually changed something.
void Compare(const RandomModelSpec& spec, const Config& config, const std::string& name) {
  const auto dir = testing::TempDir("gemma-ref-" + name);
  const std::string path = testing::WriteModel(spec, dir, name);
  auto file = gguf::GgufFile::Open(path);
  ASSERT_TRUE(file.ok());
  auto inst = testing::Open(path);
  ASSERT_TRUE(inst);
  const auto prompt = testing::Prompt(9, spec.n_vocab);
  const auto got = testing::RunTokens(*inst, prompt, prompt.size(), /*all_positions=*/true);
  ASSERT_EQ(got.size(), prompt.size() * spec.n_vocab);

  const auto want = Reference(*file, config).Run(prompt);
  Config unwindowed = config;
  unwindowed.window = 1 << 20;
  const auto without_window = Reference(*file, unwindowed).Run(prompt);
  double worst = 0, window_effect = 0, scale = 0;
  for (size_t t = 0; t < prompt.size(); ++t) {
    for (int i = 0; i < spec.n_vocab; ++i) {
      const double w = want[t][i];
      worst = std::max(worst, std::fabs(got[t * spec.n_vocab + i] - w));
      window_effect = std::max(window_effect, std::fabs(without_window[t][i] - w));
      scale = std::max(scale, std::fabs(w));
    }
  }
  std::printf("  %s: max |engine - reference| %.1e (logits up to %.2f), window effect %.1e\n", name.c_str(),
              worst, scale, window_effect);
  EXPECT_LT(worst, 2e-5) << name << " (logits up to " << scale << ")";
  EXPECT_GT(window_effect, 1e-3) << name << ": the window should matter for this prompt";
}

TEST(GemmaReference, Gemma2MatchesFloat64Reference) {
  RandomModelSpec spec = *RandomModelPreset("tiny-gemma2");
  spec.sliding_window = 3;
  // Caps small enough to bend these random models' scores and logits, so a
  // cap applied in the wrong place shows.
  spec.attn_softcap = 0.08f;
  spec.final_softcap = 0.5f;
  const Config c{spec.n_embd, spec.n_layer, spec.n_head, spec.n_head_kv, 64, spec.n_ff, spec.n_vocab,
                 1e-6, 0.08, 0.5, 3, false, 10000.0, 10000.0,
                 [](int l, int) { return l % 2 == 0; }};
  Compare(spec, c, "gemma2");

  // The published caps (50, 30), which barely bend these small values.
  spec.attn_softcap.reset();
  spec.final_softcap.reset();
  Config published = c;
  published.attn_cap = 50.0, published.final_cap = 30.0;
  Compare(spec, published, "gemma2-default-caps");
}

TEST(GemmaReference, Gemma3MatchesFloat64Reference) {
  RandomModelSpec spec = *RandomModelPreset("tiny-gemma3");
  spec.sliding_window = 3;
  const Config c{spec.n_embd, spec.n_layer, spec.n_head, spec.n_head_kv, spec.head_dim, spec.n_ff,
                 spec.n_vocab, 1e-6, 0.0, 0.0, 3, true, 1e6, 10000.0,
                 [](int l, int) { return (l + 1) % 6 != 0; }};
  Compare(spec, c, "gemma3");
}

}  // namespace
}  // namespace shimmy
