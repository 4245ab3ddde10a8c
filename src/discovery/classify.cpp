#include "discovery/classify.h"

#include <array>
#include <cstdio>
#include <utility>

#include "gguf/summary.h"

namespace shimmy::discovery {
namespace {

// Architectures whose models embed text rather than generate it.
constexpr std::array<std::string_view, 8> kEncoderArchs = {
    "bert",         "nomic-bert",  "nomic-bert-moe", "jina-bert-v2",
    "jina-bert-v3", "modern-bert", "neo-bert",       "roberta",
};

// llama.cpp's `general.file_type` numbering (llama_ftype).
constexpr std::array<std::pair<uint64_t, std::string_view>, 34> kFileTypes = {{
    {0, "F32"},      {1, "F16"},      {2, "Q4_0"},       {3, "Q4_1"},     {7, "Q8_0"},
    {8, "Q5_0"},     {9, "Q5_1"},     {10, "Q2_K"},      {11, "Q3_K_S"},  {12, "Q3_K_M"},
    {13, "Q3_K_L"},  {14, "Q4_K_S"},  {15, "Q4_K_M"},    {16, "Q5_K_S"},  {17, "Q5_K_M"},
    {18, "Q6_K"},    {19, "IQ2_XXS"}, {20, "IQ2_XS"},    {21, "Q2_K_S"},  {22, "IQ3_XS"},
    {23, "IQ3_XXS"}, {24, "IQ1_S"},   {25, "IQ4_NL"},    {26, "IQ3_S"},   {27, "IQ3_M"},
    {28, "IQ2_S"},   {29, "IQ2_M"},   {30, "IQ4_XS"},    {31, "IQ1_M"},   {32, "BF16"},
    {36, "TQ1_0"},   {37, "TQ2_0"},   {38, "MXFP4_MOE"}, {4, "Q4_1_F16"},
}};

bool IsEncoderArch(std::string_view arch) {
  for (std::string_view a : kEncoderArchs) {
    if (a == arch) return true;
  }
  return false;
}

ModelFacts NotAModel(std::string why) {
  ModelFacts f;
  f.kind = ModelKind::kNotAModel;
  f.problem = std::move(why);
  return f;
}

// Errors from the reader start with the path; the problem list already
// names the file, so drop that prefix.
std::string WithoutPathPrefix(const std::string& message, const std::string& path) {
  const std::string prefix = path + ": ";
  if (message.compare(0, prefix.size(), prefix) == 0) return message.substr(prefix.size());
  return message;
}

bool HasGgufMagic(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return true;  // let the reader name the OS error
  unsigned char magic[4] = {};
  const size_t n = std::fread(magic, 1, sizeof magic, f);
  std::fclose(f);
  return n == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
}

}  // namespace

std::string_view FileTypeName(uint64_t file_type) {
  for (const auto& [id, name] : kFileTypes) {
    if (id == file_type) return name;
  }
  return "";
}

ModelFacts FactsFromGguf(const gguf::GgufFile& file) {
  const gguf::Summary s = gguf::Summarize(file);
  ModelFacts f;
  f.arch = s.architecture;
  f.general_name = s.name;
  f.n_params = s.n_params;
  f.context_length = s.context_length;
  if (auto ft = file.GetUint("general.file_type"); ft && !FileTypeName(*ft).empty()) {
    f.quant = std::string(FileTypeName(*ft));
  } else {
    f.quant = s.dominant_type;
  }
  f.base_model = file.GetString("general.base_model.0.name").value_or("");

  const std::string type = file.GetString("general.type").value_or("");
  if (f.arch.empty()) {
    f.problem = "no general.architecture";
    return f;
  }
  if (type == "adapter" || file.Find("adapter.type") != nullptr) {
    const std::string adapter = file.GetString("adapter.type").value_or("");
    if (adapter == "lora" || adapter.empty()) {
      f.kind = ModelKind::kLora;
    } else {
      f.problem = "a " + adapter + " adapter, not a LoRA";
    }
    return f;
  }
  if (f.arch == "clip" || type == "mmproj" || type == "projector") {
    f.kind = ModelKind::kMmproj;
    return f;
  }
  if (file.tensors().empty()) {
    f.problem = "vocabulary only (no tensors)";
    return f;
  }
  const auto pooling = file.GetInt(f.arch + ".pooling_type");
  f.kind =
      (pooling && *pooling > 0) || IsEncoderArch(f.arch) ? ModelKind::kEmbedding : ModelKind::kLlm;
  return f;
}

ModelFacts ReadFacts(const std::string& path) {
  if (!HasGgufMagic(path)) return NotAModel("not a GGUF file");
  auto file = gguf::GgufFile::Open(path);
  if (!file) return NotAModel("broken: " + WithoutPathPrefix(file.error().message(), path));
  return FactsFromGguf(*file);
}

}  // namespace shimmy::discovery
