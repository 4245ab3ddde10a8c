#include "model/weights.h"

namespace shimmy {

WeightMatrix Weight::matrix() const {
  int64_t rows = 1;
  for (size_t i = 1; i < info->shape.size(); ++i) rows *= info->shape[i];
  return WeightMatrix{info->type, info->data, rows, info->shape[0]};
}

WeightMatrix Weight::expert(int64_t e) const {
  WeightMatrix m{info->type, nullptr, dim(1), dim(0)};
  m.data = info->data + static_cast<size_t>(e) * static_cast<size_t>(m.n_rows) * m.row_bytes();
  return m;
}

const float* Weight::f32() const {
  if (info == nullptr || info->type != DType::kF32) return nullptr;
  return reinterpret_cast<const float*>(info->data);
}

}  // namespace shimmy
