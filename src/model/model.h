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

class Model {
 public:
  // Maps `path`, reads hyper-parameters and binds every tensor the
  // architecture needs, checking shapes and types. Errors name the file and
  // the first problem found.
  static Result<std::shared_ptr<const Model>> Load(const std::string& path);
  // Same for an already opened file (takes ownership).
  static Result<std::shared_ptr<const Model>> FromFile(gguf::GgufFile file);

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
