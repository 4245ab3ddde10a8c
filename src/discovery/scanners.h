// The scanners behind Discover(): each turns one place into candidates
// (model files not yet opened) and problems. Internal to src/discovery.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/result.h"
#include "discovery/model_entry.h"
#include "discovery/walk.h"

namespace shimmy::discovery {

struct Candidate {
  std::vector<FileStat> shards;  // shards[0] is the file to open
  size_t place = 0;              // index into the place list
  std::string group;             // pairing scope: folder, HF repo or manifest
  std::string fallback;          // name for a generic file stem (folder or repo)
  std::string explicit_name;     // Ollama: the name it was pulled as
  OllamaDefaults ollama;
  std::string ollama_projector;  // blob paths of projector / adapter layers
  std::vector<std::string> ollama_adapters;
};

struct ScanOutput {
  PlaceStatus status = PlaceStatus::kMissing;
  std::string detail;
  std::vector<Candidate> candidates;
  std::vector<Problem> problems;
};

// A plain folder (also LM Studio's): *.gguf files, grouped by folder. When
// the folder turns out to be an Ollama store or a Hugging Face cache, it is
// scanned as one.
ScanOutput ScanFolder(const Place& place, size_t place_index);
// One file (SHIMMY_LORA_GGUF).
ScanOutput ScanFile(const Place& place, size_t place_index);
ScanOutput ScanHfCache(const Place& place, size_t place_index);
ScanOutput ScanOllama(const Place& place, size_t place_index);

// Turns a sorted list of GGUF files into one candidate per model: the
// shards of a split model (NAME-0000i-of-0000N.gguf) become one candidate,
// listed under its first shard; a split model missing shards is a problem.
// `group` and `fallback` default to the file's folder and its name.
void AddFileCandidates(const std::vector<FileStat>& files, size_t place_index,
                       const std::string& group, const std::string& fallback, ScanOutput& out);

// Names in `folder` (not "." or ".."), sorted; an error names the folder.
Result<std::vector<std::string>> ListFolder(const std::string& folder);
// The whole of a small file; an error past `max_bytes`.
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes);

}  // namespace shimmy::discovery
