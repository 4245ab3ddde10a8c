// A loaded model: the mapped GGUF file, its hyper-parameters, its
// architecture's spec and the weight views bound by that spec. Immutable
// after Load and safe to share between threads; owns the mapping.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "gguf/gguf_file.h"
#include "model/arch.h"
#include "model/hparams.h"
#include "model/weights.h"

namespace shimmy {

// Where the weights live while the model runs.
enum class WeightMemory {
  // kHugePages when the kernel offers transparent huge pages and the
  // weights take less than half of MemAvailable, else kMapped. The
  // environment variable SHIMMY_WEIGHT_MEMORY=mapped|huge overrides.
  kAuto,
  // Read in place from the file mapping (4 KiB pages, shared page cache).
  kMapped,
  // Copied at load into anonymous 2 MiB pages (base/huge_page_buffer.h):
  // decode reads them 5-18 % faster on this project's VMs, for a copy at
  // load (~0.3 s per GB) and the page cache holding a second copy until the
  // kernel reclaims it. RSS is the same as mapped (mapped pages count too).
  kHugePages,
};

class Model {
 public:
  // Maps `path`, reads hyper-parameters and binds every tensor the
  // architecture needs, checking shapes and types. Errors name the file and
  // the first problem found.
  static Result<std::shared_ptr<Model>> Load(const std::string& path,
                                             WeightMemory memory = WeightMemory::kAuto);
  // Same for an already opened file (takes ownership).
  static Result<std::shared_ptr<Model>> FromFile(gguf::GgufFile file,
                                                 WeightMemory memory = WeightMemory::kAuto);

  // Frees the vocabulary arrays of the file's metadata (tokens, scores,
  // types, merges, charsmap) once a tokenizer has copied what it needs:
  // they are the largest part of the heap a loaded model keeps otherwise.
  // file() no longer has those keys afterwards.
  void DropVocabularyArrays();

  // Where the weights ended up (kMapped or kHugePages), and how many of
  // their bytes the kernel backs with huge pages right now.
  WeightMemory weight_memory() const {
    return file_.tensors_copied() ? WeightMemory::kHugePages : WeightMemory::kMapped;
  }
  size_t huge_page_bytes() const { return file_.TensorHugePageBytes(); }

  const gguf::GgufFile& file() const { return file_; }
  const HParams& hparams() const { return hparams_; }
  const ArchSpec& arch() const { return *arch_; }
  const ModelWeights& weights() const { return weights_; }
  // The output projection: `output` or, when tied, `token_embd`.
  const Weight& output() const { return weights_.output ? weights_.output : weights_.token_embd; }

 private:
  explicit Model(gguf::GgufFile file) : file_(std::move(file)) {}
  Status Bind();

  gguf::GgufFile file_;
  HParams hparams_;
  const ArchSpec* arch_ = nullptr;
  ModelWeights weights_;
};

}  // namespace shimmy
