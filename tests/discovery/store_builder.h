// Builds, under one temporary folder, the model stores a user really has:
// a Hugging Face cache (symlinked blobs, two revisions), an Ollama store
// (manifests + blobs), LM Studio folders, a SHIMMY_MODEL_PATHS folder and
// ~/models with a LoRA, a projector, an embedder, a split model, a broken
// file, a symlink loop and an unreadable folder. Fixture models are copied
// (not linked) so that each store holds its own file.
#pragma once

#include <filesystem>
#include <string>

namespace shimmy::discovery::fake {

struct Store {
  std::filesystem::path root;    // everything lives below
  std::filesystem::path home;    // HOME
  std::filesystem::path work;    // the working folder (no ./models)
  std::filesystem::path custom;  // SHIMMY_MODEL_PATHS
};

// Needs the fixture models; fails the current test on error.
Store BuildStore(const std::string& name);
void RemoveStore(const Store& store);

}  // namespace shimmy::discovery::fake
