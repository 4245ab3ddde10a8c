#include "app/sampling_flags.h"

namespace shimmy::app {

SamplingParams SamplingFlags::ToParams() const {
  SamplingParams p;
  p.temperature = temperature;
  p.top_k = top_k;
  p.top_p = top_p;
  p.min_p = min_p;
  p.repeat_penalty = repeat_penalty;
  if (seed >= 0) p.seed = static_cast<uint64_t>(seed);
  return p;
}

void AddSamplingFlags(CLI::App* cmd, SamplingFlags& f) {
  cmd->add_option("--temperature", f.temperature, "Sampling temperature; 0 is greedy")
      ->capture_default_str();
  cmd->add_option("--top-k", f.top_k, "Keep the K most likely tokens (0: off)")
      ->capture_default_str();
  cmd->add_option("--top-p", f.top_p, "Nucleus sampling mass (1: off)")->capture_default_str();
  cmd->add_option("--min-p", f.min_p, "Drop tokens below min-p x the top probability")
      ->capture_default_str();
  cmd->add_option("--repeat-penalty", f.repeat_penalty, "Penalty for repeated tokens (1: off)")
      ->capture_default_str();
  cmd->add_option("--seed", f.seed, "Random seed (default: random)");
}

}  // namespace shimmy::app
