// The sampling flags `generate` and `chat` share, with the defaults a
// terminal user expects (Ollama's), turned into the engine's SamplingParams.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

#include "sampling/sampling_params.h"

namespace shimmy::app {

struct SamplingFlags {
  float temperature = 0.8f;
  int top_k = 40;
  float top_p = 0.9f;
  float min_p = 0.0f;
  float repeat_penalty = 1.0f;
  int64_t seed = -1;  // < 0: random

  SamplingParams ToParams() const;
};

// Adds --temperature, --top-k, --top-p, --min-p, --repeat-penalty, --seed.
// `flags` must outlive the parse.
void AddSamplingFlags(CLI::App* cmd, SamplingFlags& flags);

}  // namespace shimmy::app
