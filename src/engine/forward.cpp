#include "engine/forward.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "engine/ops.h"
#include "kernels/attention_rows.h"
#include "kernels/ops.h"
#include "quant/quant.h"

namespace shimmy {

KvShape KvShapeFor(const HParams& hp, DType k_type, DType v_type) {
  KvShape shape;
  shape.n_layer = hp.n_layer;
  for (size_t l = 0; l < static_cast<size_t>(hp.n_layer); ++l) {
    shape.k_dim.push_back(hp.n_head_kv[l] * hp.head_dim_k);
    shape.v_dim.push_back(hp.n_head_kv[l] * hp.head_dim_v);
    shape.n_heads.push_back(hp.n_head_kv[l]);
  }
  shape.k_type = k_type;
  shape.v_type = v_type;
  return shape;
}

Forward::Forward(std::shared_ptr<const Model> model, KvCache* kv, ThreadPool* pool)
    : model_(std::move(model)), kv_(kv), pool_(pool) {
  par_ = [pool](int64_t n, const RangeFn& fn) { pool->ParallelFor(n, fn); };
  const HParams& hp = model_->hparams();
  const float* factors = model_->weights().rope_freqs.f32();
  rope_global_.emplace_back(RopeParams{hp.rope}, factors, false);
  rope_local_.emplace_back(RopeParams{hp.rope}, factors, true);
  tmp_width_ = TmpWidth();
}

Status Forward::Run(std::span<const BatchToken> batch, std::vector<float>* logits,
                    std::vector<float>* hidden) {
  if (logits != nullptr) logits->clear();
  if (hidden != nullptr) hidden->clear();
  const HParams& hp = model_->hparams();
  for (const BatchToken& t : batch) {
    if (t.token < 0 || t.token >= hp.n_vocab) {
      return Error("token id " + std::to_string(t.token) + " is outside the vocabulary (" +
                   std::to_string(hp.n_vocab) + ")");
    }
    if (t.pos < 0) return Error("negative position");
  }
  // Attention finds a KV head's rows by head index (kv/kv_cache.h).
  for (int l = 0; l < hp.n_layer; ++l) {
    if (kv_->n_heads(l) != hp.n_head_kv[static_cast<size_t>(l)]) {
      return Error("kv cache: layer " + std::to_string(l) + " holds " +
                   std::to_string(kv_->n_heads(l)) + " heads, the model has " +
                   std::to_string(hp.n_head_kv[static_cast<size_t>(l)]));
    }
  }
  for (size_t start = 0; start < batch.size(); start += kMaxChunk) {
    const size_t n = std::min<size_t>(kMaxChunk, batch.size() - start);
    if (auto st = RunChunk(batch.subspan(start, n), logits, hidden); !st) return st;
  }
  return {};
}

void Forward::Embed(std::span<const BatchToken> chunk) {
  const HParams& hp = model_->hparams();
  const Weight& emb = model_->weights().token_embd;
  const WeightMatrix m = emb.matrix();
  const float scale = model_->arch().scale_embeddings ? std::sqrt(static_cast<float>(hp.n_embd)) : 1.0f;
  for (size_t t = 0; t < chunk.size(); ++t) {
    float* row = x_.data() + t * static_cast<size_t>(hp.n_embd);
    const int64_t token = chunk[t].token;
    if (IsInterleaved(emb.type())) {  // a tied output matrix, repacked for its matmul
      DequantizeInterleavedRow(emb.type(), m.row(token & ~int64_t{7}), static_cast<int>(token & 7),
                               row, hp.n_embd);
    } else {
      DequantizeRow(emb.type(), m.row(token), row, hp.n_embd);
    }
    if (scale != 1.0f) {
      for (int i = 0; i < hp.n_embd; ++i) row[i] *= scale;
    }
  }
}

void Forward::Project(const Weight& w, const Weight& bias, int n_tokens, float* out,
                      int64_t out_stride, const QuantizedActivations& xq) {
  const WeightMatrix m = w.matrix();
  MatMul(m, xq, out, out_stride, par_);
  if (bias) {
    const float* b = bias.f32();
    for (int t = 0; t < n_tokens; ++t) Add(out + t * out_stride, b, static_cast<int>(m.n_rows), out + t * out_stride);
  }
}

void Forward::ProjectAll(std::span<const Projection> projections, int n_tokens) {
  const int E = model_->hparams().n_embd;
  uint32_t done = 0;  // bit i: projection i computed (callers pass a handful)
  assert(projections.size() <= 32);
  for (size_t first = 0; first < projections.size(); ++first) {
    if (done & (1u << first)) continue;
    const DType act = VecDotType(projections[first].w->type());
    xq_.Quantize(act, h_.data(), n_tokens, E, E, par_);
    WeightMatrix matrices[4];
    MatMulOutput outs[4];
    size_t n_outs = 0;
    for (size_t i = first; i < projections.size() && n_outs < 4; ++i) {
      if ((done & (1u << i)) || VecDotType(projections[i].w->type()) != act) continue;
      matrices[n_outs] = projections[i].w->matrix();
      outs[n_outs] = {&matrices[n_outs], projections[i].out, projections[i].stride};
      ++n_outs;
      done |= 1u << i;
    }
    MatMulGroup(outs, n_outs, xq_, par_);
  }
  for (const Projection& p : projections) {
    if (p.bias == nullptr || !*p.bias) continue;
    const float* b = p.bias->f32();
    const int rows = static_cast<int>(p.w->matrix().n_rows);
    for (int t = 0; t < n_tokens; ++t) Add(p.out + t * p.stride, b, rows, p.out + t * p.stride);
  }
}

size_t Forward::TmpWidth() const {
  const HParams& hp = model_->hparams();
  size_t width = static_cast<size_t>(hp.n_embd);
  for (size_t il = 0; il < model_->weights().layers.size(); ++il) {
    const LayerWeights& l = model_->weights().layers[il];
    if (l.wqkv) {
      const size_t n_kv = static_cast<size_t>(hp.n_head_kv[il]);
      width = std::max(width, static_cast<size_t>(hp.n_head[il]) * hp.head_dim_k +
                                  n_kv * hp.head_dim_k + n_kv * hp.head_dim_v);
    }
    if (l.ffn_up && !l.ffn_gate) width = std::max(width, 2 * static_cast<size_t>(hp.n_ff[il]));
  }
  return width;
}

namespace {

template <typename T>
size_t Bytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

}  // namespace

// Every scratch vector (one list, so that counting and freeing agree).
template <typename Self, typename F>
void Forward::ForEachScratchVector(Self& self, F&& f) {
  for (auto* v : {&self.x_, &self.h_, &self.q_, &self.k_, &self.v_, &self.attn_, &self.tmp_,
                  &self.gate_, &self.up_, &self.router_, &self.expert_w_, &self.moe_in_,
                  &self.moe_out_}) {
    f(*v);
  }
  for (auto* v : {&self.expert_of_, &self.moe_order_, &self.moe_start_, &self.moe_fill_,
                  &self.moe_slots_}) {
    f(*v);
  }
  f(self.visible_);
}

size_t Forward::ScratchBytes() const {
  size_t total = 0;
  ForEachScratchVector(*this, [&](const auto& v) { total += Bytes(v); });
  for (const auto& v : scores_) total += Bytes(v);
  return total + xq_.buffer_bytes() + aq_.buffer_bytes();
}

size_t Forward::ReleaseScratch() {
  const size_t held = ScratchBytes();
  // Only a fresh vector frees the memory: clear(), and assigning {} (an
  // initializer list), keep the capacity.
  const auto drop = [](auto& v) { std::remove_reference_t<decltype(v)>().swap(v); };
  ForEachScratchVector(*this, drop);
  drop(scores_);
  xq_ = QuantizedActivations();
  aq_ = QuantizedActivations();
  return held;
}

Status Forward::RunChunk(std::span<const BatchToken> chunk, std::vector<float>* logits,
                         std::vector<float>* hidden) {
  const HParams& hp = model_->hparams();
  const ModelWeights& w = model_->weights();
  const int n = static_cast<int>(chunk.size());
  const int E = hp.n_embd;
  const size_t nt = static_cast<size_t>(n);

  // Cache cells first: a full cache fails the chunk before any work.
  std::vector<SeqId> seqs(nt);
  std::vector<int32_t> positions(nt);
  for (size_t t = 0; t < nt; ++t) seqs[t] = chunk[t].seq, positions[t] = chunk[t].pos;
  auto placed = kv_->Place(seqs, positions);
  if (!placed) return placed.error();
  const std::vector<int>& cells = *placed;

  const size_t max_q = static_cast<size_t>(hp.max_n_head()) * hp.head_dim_k;
  const size_t max_kv = static_cast<size_t>(hp.max_n_head_kv()) * std::max(hp.head_dim_k, hp.head_dim_v);
  const size_t max_ff = static_cast<size_t>(std::max(hp.max_n_ff(), hp.n_ff_expert));
  x_.resize(nt * E);
  h_.resize(nt * E);
  // tmp_ holds an E-wide output, and a fused QKV row or a fused gate/up row
  // for the models that have those.
  tmp_.resize(nt * tmp_width_);
  q_.resize(nt * max_q);
  k_.resize(nt * max_kv);
  v_.resize(nt * max_kv);
  attn_.resize(nt * static_cast<size_t>(hp.max_n_head()) * hp.head_dim_v);
  gate_.resize(nt * max_ff);
  up_.resize(nt * max_ff);

  Embed(chunk);

  // Every token's visible cells (its sequence, positions <= its own): a
  // prefix of the sequence's sorted cell list, found by binary search.
  visible_.resize(nt);
  for (size_t t = 0; t < nt; ++t) {
    const SeqId seq = chunk[t].seq;
    const int32_t pos = chunk[t].pos;
    VisibleCells& vis = visible_[t];
    vis.cells = kv_->SeqCells(seq).data();
    vis.n = static_cast<int>(kv_->SeqLowerBound(seq, pos + 1));
    vis.first_swa = 0;
    if (hp.sliding_window > 0) {
      const size_t first = kv_->SeqLowerBound(seq, pos - hp.sliding_window + 1);
      vis.first_swa = std::min(vis.n, static_cast<int>(first));
    }
  }

  for (int il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& l = w.layers[static_cast<size_t>(il)];
    for (int t = 0; t < n; ++t) {
      RmsNorm(x_.data() + t * E, l.attn_norm.f32(), E, hp.norm_eps, h_.data() + t * E);
    }
    Attention(il, chunk, cells);
    // attn_ -> output projection -> tmp_
    aq_.Quantize(VecDotType(l.wo.type()), attn_.data(), n, l.wo.dim(0), l.wo.dim(0), par_);
    Project(l.wo, l.bo, n, tmp_.data(), E, aq_);
    if (l.post_attn_norm) {
      for (int t = 0; t < n; ++t) {
        RmsNorm(tmp_.data() + t * E, l.post_attn_norm.f32(), E, hp.norm_eps, tmp_.data() + t * E);
      }
    }
    for (int t = 0; t < n; ++t) Add(x_.data() + t * E, tmp_.data() + t * E, E, x_.data() + t * E);

    for (int t = 0; t < n; ++t) {
      RmsNorm(x_.data() + t * E, l.ffn_norm.f32(), E, hp.norm_eps, h_.data() + t * E);
    }
    if (l.ffn_gate_inp) {
      MoeFeedForward(il, n);
    } else {
      FeedForward(il, n);
    }
    if (l.post_ffn_norm) {
      for (int t = 0; t < n; ++t) {
        RmsNorm(tmp_.data() + t * E, l.post_ffn_norm.f32(), E, hp.norm_eps, tmp_.data() + t * E);
      }
    }
    for (int t = 0; t < n; ++t) Add(x_.data() + t * E, tmp_.data() + t * E, E, x_.data() + t * E);
  }

  // Final norm for the rows anyone asked for.
  std::vector<int> wanted;
  for (int t = 0; t < n; ++t) {
    if (chunk[static_cast<size_t>(t)].logits) wanted.push_back(t);
  }
  if (hidden != nullptr) {
    const size_t at = hidden->size();
    hidden->resize(at + nt * E);
    for (int t = 0; t < n; ++t) {
      RmsNorm(x_.data() + t * E, w.output_norm.f32(), E, hp.norm_eps, hidden->data() + at + t * E);
    }
  }
  if (logits != nullptr && !wanted.empty()) {
    for (size_t i = 0; i < wanted.size(); ++i) {
      RmsNorm(x_.data() + wanted[i] * E, w.output_norm.f32(), E, hp.norm_eps, h_.data() + i * E);
    }
    const Weight& out = model_->output();
    const size_t at = logits->size();
    logits->resize(at + wanted.size() * hp.n_vocab);
    float* dst = logits->data() + at;
    MatMul(out.matrix(), h_.data(), static_cast<int64_t>(wanted.size()), dst, &xq_, par_);
    if (hp.final_softcap > 0.0f) ops::SoftCap(dst, static_cast<int>(wanted.size()) * hp.n_vocab, hp.final_softcap);
  }
  return {};
}

void Forward::Attention(int il, std::span<const BatchToken> chunk, const std::vector<int>& cells) {
  const HParams& hp = model_->hparams();
  const LayerWeights& l = model_->weights().layers[static_cast<size_t>(il)];
  const int n = static_cast<int>(chunk.size());
  const int E = hp.n_embd;
  const int n_head = hp.n_head[static_cast<size_t>(il)];
  const int n_kv = hp.n_head_kv[static_cast<size_t>(il)];
  const int dk = hp.head_dim_k, dv = hp.head_dim_v;
  const int q_dim = n_head * dk, k_dim = n_kv * dk, v_dim = n_kv * dv;

  // Projections: one quantization of h_ serves q, k and v.
  if (l.wqkv) {
    xq_.Quantize(VecDotType(l.wqkv.type()), h_.data(), n, E, E, par_);
    const int all = q_dim + k_dim + v_dim;
    Project(l.wqkv, l.bq, n, tmp_.data(), all, xq_);
    for (int t = 0; t < n; ++t) {
      const float* row = tmp_.data() + static_cast<size_t>(t) * all;
      std::memcpy(q_.data() + static_cast<size_t>(t) * q_dim, row, sizeof(float) * q_dim);
      std::memcpy(k_.data() + static_cast<size_t>(t) * k_dim, row + q_dim, sizeof(float) * k_dim);
      std::memcpy(v_.data() + static_cast<size_t>(t) * v_dim, row + q_dim + k_dim, sizeof(float) * v_dim);
    }
  } else {
    const Projection qkv[] = {{&l.wq, &l.bq, q_.data(), q_dim},
                              {&l.wk, &l.bk, k_.data(), k_dim},
                              {&l.wv, &l.bv, v_.data(), v_dim}};
    ProjectAll(qkv, n);
  }

  // Per-head q/k norms, then rope.
  const bool swa = hp.layer_uses_swa[static_cast<size_t>(il)];
  const Rope& rope = swa ? rope_local_[0] : rope_global_[0];
  rope_cos_.resize(static_cast<size_t>(rope.n_pairs()));
  rope_sin_.resize(static_cast<size_t>(rope.n_pairs()));
  for (int t = 0; t < n; ++t) {
    float* q = q_.data() + static_cast<size_t>(t) * q_dim;
    float* k = k_.data() + static_cast<size_t>(t) * k_dim;
    if (l.q_norm) {
      for (int h = 0; h < n_head; ++h) RmsNorm(q + h * dk, l.q_norm.f32(), dk, hp.norm_eps, q + h * dk);
      for (int h = 0; h < n_kv; ++h) RmsNorm(k + h * dk, l.k_norm.f32(), dk, hp.norm_eps, k + h * dk);
    }
    rope.Angles(chunk[static_cast<size_t>(t)].pos, rope_cos_.data(), rope_sin_.data());
    for (int h = 0; h < n_head; ++h) rope.Apply(q + h * dk, rope_cos_.data(), rope_sin_.data());
    for (int h = 0; h < n_kv; ++h) rope.Apply(k + h * dk, rope_cos_.data(), rope_sin_.data());
    const int cell = cells[static_cast<size_t>(t)];
    const float* v = v_.data() + static_cast<size_t>(t) * v_dim;
    for (int h = 0; h < n_kv; ++h) {
      QuantizeActivationRow(kv_->k_type(), k + h * dk, kv_->K(il, cell, h), dk);
      QuantizeActivationRow(kv_->v_type(), v + h * dv, kv_->V(il, cell, h), dv);
    }
  }

  // Scaled dot-product attention. A job is one token and a group of query
  // heads sharing one KV head, so each cached K/V row is read once per
  // group; decode (few tokens) splits groups further to feed every thread.
  const float scale = hp.attn_scale > 0.0f ? hp.attn_scale : 1.0f / std::sqrt(static_cast<float>(dk));
  const int group = n_head / n_kv;
  const int want_jobs = pool_->n_threads();
  const int n_split = std::clamp((want_jobs + n * n_kv - 1) / (n * n_kv), 1, group);
  scores_.resize(static_cast<size_t>(pool_->n_threads()));
  const int attn_stride = n_head * dv;
  // The cache keeps each KV head's rows together (kv/kv_cache.h); Run
  // checked that it has this layer's n_kv heads.
  const auto k_stride = static_cast<int64_t>(kv_->k_head_bytes(il));
  const auto v_stride = static_cast<int64_t>(kv_->v_head_bytes(il));
  pool_->ParallelForWorker(
      static_cast<int64_t>(n) * n_kv * n_split,
      [&](int64_t begin, int64_t end, int worker) {
        std::vector<float>& scores = scores_[static_cast<size_t>(worker)];
        for (int64_t job = begin; job < end; ++job) {
          const int t = static_cast<int>(job / (n_kv * n_split));
          const int kvh = static_cast<int>(job % (n_kv * n_split)) / n_split;
          const int part = static_cast<int>(job % n_split);
          const int h0 = kvh * group + part * group / n_split;
          const int n_q = kvh * group + (part + 1) * group / n_split - h0;
          const VisibleCells& vis = visible_[static_cast<size_t>(t)];
          const int first = swa ? vis.first_swa : 0;
          const int m = vis.n - first;
          float* out = attn_.data() + static_cast<size_t>(t) * attn_stride + h0 * dv;
          if (m <= 0) {
            std::fill(out, out + static_cast<size_t>(n_q) * dv, 0.0f);
            continue;
          }
          scores.resize(static_cast<size_t>(n_q) * m);
          const float* q = q_.data() + static_cast<size_t>(t) * q_dim + h0 * dk;
          const int* rows = vis.cells + first;
          const CachedRows k_rows{.type = kv_->k_type(),
                                  .base = kv_->K(il, 0, kvh),
                                  .stride = k_stride,
                                  .rows = rows,
                                  .n = m};
          const CachedRows v_rows{.type = kv_->v_type(),
                                  .base = kv_->V(il, 0, kvh),
                                  .stride = v_stride,
                                  .rows = rows,
                                  .n = m};
          DotRows(q, dk, n_q, k_rows, dk, scale, scores.data());
          for (int i = 0; i < n_q; ++i) {
            float* s = scores.data() + static_cast<size_t>(i) * m;
            if (hp.attn_softcap > 0.0f) ops::SoftCap(s, m, hp.attn_softcap);
            Softmax(s, m);
          }
          WeightedSumRows(scores.data(), n_q, v_rows, dv, out, dv);
        }
      },
      {.schedule = ParallelSchedule::kDynamic, .chunk = 1});
}

void Forward::FeedForward(int il, int n) {
  const HParams& hp = model_->hparams();
  const LayerWeights& l = model_->weights().layers[static_cast<size_t>(il)];
  const int E = hp.n_embd;
  const int ff = hp.n_ff[static_cast<size_t>(il)];
  if (l.ffn_gate) {
    const Projection up_gate[] = {{&l.ffn_up, nullptr, up_.data(), ff},
                                  {&l.ffn_gate, nullptr, gate_.data(), ff}};
    ProjectAll(up_gate, n);
  } else {
    xq_.Quantize(VecDotType(l.ffn_up.type()), h_.data(), n, E, E, par_);
    // Fused [gate; up] rows (phi3): split each token's 2*ff outputs.
    Project(l.ffn_up, Weight{}, n, tmp_.data(), 2 * ff, xq_);
    for (int t = 0; t < n; ++t) {
      const float* row = tmp_.data() + static_cast<size_t>(t) * 2 * ff;
      std::memcpy(gate_.data() + static_cast<size_t>(t) * ff, row, sizeof(float) * ff);
      std::memcpy(up_.data() + static_cast<size_t>(t) * ff, row + ff, sizeof(float) * ff);
    }
  }
  const bool gelu = model_->arch().activation == FfnActivation::kGeluTanh;
  for (int t = 0; t < n; ++t) {
    float* g = gate_.data() + static_cast<size_t>(t) * ff;
    const float* u = up_.data() + static_cast<size_t>(t) * ff;
    if (gelu) {
      ops::GeluTanhMul(g, u, ff);
    } else {
      SiluMul(g, u, ff, g);
    }
  }
  aq_.Quantize(VecDotType(l.ffn_down.type()), gate_.data(), n, ff, ff, par_);
  Project(l.ffn_down, Weight{}, n, tmp_.data(), E, aq_);
}

void Forward::MoeFeedForward(int il, int n) {
  const HParams& hp = model_->hparams();
  const LayerWeights& l = model_->weights().layers[static_cast<size_t>(il)];
  const int E = hp.n_embd;
  const int n_exp = hp.n_expert, k = hp.n_expert_used, ff = hp.n_ff_expert;

  // Router: softmax over experts, top-k, optional renormalisation.
  router_.resize(static_cast<size_t>(n) * n_exp);
  xq_.Quantize(VecDotType(l.ffn_gate_inp.type()), h_.data(), n, E, E, par_);
  Project(l.ffn_gate_inp, Weight{}, n, router_.data(), n_exp, xq_);
  expert_of_.resize(static_cast<size_t>(n) * k);
  expert_w_.resize(static_cast<size_t>(n) * k);
  std::vector<int>& order = moe_order_;
  order.resize(static_cast<size_t>(n_exp));
  for (int t = 0; t < n; ++t) {
    float* p = router_.data() + static_cast<size_t>(t) * n_exp;
    Softmax(p, n_exp);
    for (int e = 0; e < n_exp; ++e) order[static_cast<size_t>(e)] = e;
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [p](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
    float sum = 0.0f;
    for (int j = 0; j < k; ++j) sum += p[order[static_cast<size_t>(j)]];
    for (int j = 0; j < k; ++j) {
      const int e = order[static_cast<size_t>(j)];
      expert_of_[static_cast<size_t>(t) * k + j] = e;
      expert_w_[static_cast<size_t>(t) * k + j] = hp.expert_weights_norm ? p[e] / sum : p[e];
    }
  }

  // Each expert runs once over the tokens routed to it. Slots (t * k + j)
  // are grouped by expert with one counting pass; scratch is reused.
  std::fill(tmp_.begin(), tmp_.begin() + static_cast<size_t>(n) * E, 0.0f);
  const size_t n_slots = static_cast<size_t>(n) * k;
  moe_start_.assign(static_cast<size_t>(n_exp) + 1, 0);
  for (size_t s = 0; s < n_slots; ++s) ++moe_start_[static_cast<size_t>(expert_of_[s]) + 1];
  for (int e = 0; e < n_exp; ++e) moe_start_[e + 1] += moe_start_[e];
  moe_slots_.resize(n_slots);
  moe_fill_.assign(moe_start_.begin(), moe_start_.end() - 1);
  for (size_t s = 0; s < n_slots; ++s) {
    moe_slots_[static_cast<size_t>(moe_fill_[static_cast<size_t>(expert_of_[s])]++)] = static_cast<int>(s);
  }
  std::vector<float>& in = moe_in_;
  std::vector<float>& out = moe_out_;
  for (int e = 0; e < n_exp; ++e) {
    const std::span<const int> tokens(moe_slots_.data() + moe_start_[e],
                                      static_cast<size_t>(moe_start_[e + 1] - moe_start_[e]));
    if (tokens.empty()) continue;
    const int m = static_cast<int>(tokens.size());
    in.resize(static_cast<size_t>(m) * E);
    for (int i = 0; i < m; ++i) {
      std::memcpy(in.data() + static_cast<size_t>(i) * E, h_.data() + static_cast<size_t>(tokens[static_cast<size_t>(i)] / k) * E,
                  sizeof(float) * E);
    }
    const WeightMatrix wg = l.ffn_gate_exps.expert(e), wu = l.ffn_up_exps.expert(e), wd = l.ffn_down_exps.expert(e);
    MatMul(wg, in.data(), m, gate_.data(), &xq_, par_);
    MatMul(wu, in.data(), m, up_.data(), &xq_, par_);
    for (int i = 0; i < m; ++i) {
      float* g = gate_.data() + static_cast<size_t>(i) * ff;
      SiluMul(g, up_.data() + static_cast<size_t>(i) * ff, ff, g);
    }
    out.resize(static_cast<size_t>(m) * E);
    MatMul(wd, gate_.data(), m, out.data(), &aq_, par_);
    for (int i = 0; i < m; ++i) {
      const int slot = tokens[static_cast<size_t>(i)];
      const float weight = expert_w_[static_cast<size_t>(slot)];
      float* dst = tmp_.data() + static_cast<size_t>(slot / k) * E;
      const float* src = out.data() + static_cast<size_t>(i) * E;
      for (int d = 0; d < E; ++d) dst[d] += weight * src[d];
    }
  }
}

}  // namespace shimmy
