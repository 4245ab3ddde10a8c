#include "engine/instance.h"

#include <algorithm>
#include <chrono>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace shimmy {

Result<std::unique_ptr<Instance>> Instance::Create(const InstanceOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Instance> inst(new Instance());
  auto loaded = Model::Load(options.path, options.weight_memory);
  if (!loaded) return loaded.error();
  std::shared_ptr<Model> model = std::move(loaded).value();

  // A model without a vocabulary still runs from token ids.
  if (model->file().Find("tokenizer.ggml.model") != nullptr) {
    auto tok = Tokenizer::FromGguf(model->file());
    if (!tok) return tok.error();
    inst->tokenizer_ = std::move(tok).value();
  }
  model->DropVocabularyArrays();  // the tokenizer holds its own copy
  inst->model_ = std::move(model);
  const HParams& hp = inst->model_->hparams();

  inst->n_ctx_ = options.n_ctx > 0 ? options.n_ctx : hp.n_ctx_train;
  if (inst->n_ctx_ <= 0) inst->n_ctx_ = 2048;
  const KvShape shape = KvShapeFor(hp, options.cache_type_k, options.cache_type_v);
  const int n_seq = std::clamp(options.n_seq, 1, kMaxSequences);
  auto kv = KvCache::Create(shape, inst->n_ctx_ * n_seq);
  if (!kv) return kv.error().Context(options.path);
  inst->kv_ = std::move(kv).value();
  inst->pool_ = std::make_unique<ThreadPool>(options.n_threads);
  inst->forward_ = std::make_unique<Forward>(inst->model_, inst->kv_.get(), inst->pool_.get());
#if defined(__GLIBC__)
  // Parsing the header and building the tokenizer free tens of MB (a 128k
  // vocabulary's strings and merges) that glibc would otherwise keep in the
  // loading thread's arena, resident for as long as the model is loaded.
  malloc_trim(0);
#endif
  inst->load_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return inst;
}

void Instance::ReleaseScratch() {
  if (forward_->ReleaseScratch() == 0) return;
#if defined(__GLIBC__)
  // Freed blocks below glibc's (adaptive) mmap threshold stay in the arena
  // unless trimmed.
  malloc_trim(0);
#endif
}

std::shared_ptr<const TokenTrie> Instance::token_trie() const {
  if (!tokenizer_) return nullptr;
  std::call_once(token_trie_once_, [this] {
    const Vocab& vocab = tokenizer_->vocab();
    std::vector<std::string> pieces(static_cast<size_t>(std::max(model_->hparams().n_vocab, 0)));
    for (size_t i = 0; i < pieces.size(); ++i) {
      const auto id = static_cast<TokenId>(i);
      if (!vocab.valid(id) || vocab.IsControlLike(id) || vocab.IsEog(id)) continue;
      pieces[i] = tokenizer_->TokenToPiece(id, /*special=*/false);
    }
    token_trie_ = TokenTrie::Build(std::move(pieces));
  });
  return token_trie_;
}

}  // namespace shimmy
