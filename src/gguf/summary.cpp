#include "gguf/summary.h"

#include <algorithm>
#include <cstdio>

namespace shimmy::gguf {

Summary Summarize(const GgufFile& file) {
  Summary s;
  s.architecture = file.architecture();
  s.name = file.GetString("general.name").value_or("");
  s.context_length = file.ArchUint("context_length");
  if (const Array* tokens = file.GetArray("tokenizer.ggml.tokens")) s.vocab_size = tokens->size();
  s.tokenizer_model = file.GetString("tokenizer.ggml.model").value_or("");
  s.tokenizer_pre = file.GetString("tokenizer.ggml.pre").value_or("");
  s.has_chat_template = file.Find("tokenizer.chat_template") != nullptr;

  std::vector<TypeCount> counts;
  std::vector<TypeCount> matrix_counts;
  // The file's types and sizes, also after the copy into memory converted
  // tensors into shimmy's own layouts.
  auto add = [](std::vector<TypeCount>& list, const TensorInfo& t) {
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const TypeCount& c) { return c.type == t.file_type; });
    if (it == list.end()) {
      list.push_back({t.file_type});
      it = list.end() - 1;
    }
    it->n_tensors++;
    it->n_elements += t.n_elements;
    it->n_bytes += t.file_n_bytes;
  };
  for (const TensorInfo& t : file.tensors()) {
    s.n_params += t.n_elements;
    s.n_tensor_bytes += t.file_n_bytes;
    add(counts, t);
    if (t.shape.size() >= 2) add(matrix_counts, t);
  }
  auto by_elements = [](const TypeCount& a, const TypeCount& b) {
    return a.n_elements > b.n_elements;
  };
  std::stable_sort(counts.begin(), counts.end(), by_elements);
  std::stable_sort(matrix_counts.begin(), matrix_counts.end(), by_elements);
  s.types = std::move(counts);
  if (!matrix_counts.empty()) {
    s.dominant_type = std::string(Name(matrix_counts.front().type));
  } else if (!s.types.empty()) {
    s.dominant_type = std::string(Name(s.types.front().type));
  }
  return s;
}

std::string FormatParamCount(uint64_t n) {
  char buf[32];
  if (n >= 1'000'000'000) {
    std::snprintf(buf, sizeof buf, "%.1fB", static_cast<double>(n) / 1e9);
  } else if (n >= 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.1fM", static_cast<double>(n) / 1e6);
  } else if (n >= 1'000) {
    std::snprintf(buf, sizeof buf, "%.0fK", static_cast<double>(n) / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
  }
  return buf;
}

}  // namespace shimmy::gguf
