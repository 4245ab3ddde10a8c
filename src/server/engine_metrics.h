// /metrics for the model side: the pool (loads, unloads, evictions, what is
// resident) and every resident model's scheduler (slots in use, queue,
// tokens). Collected on demand from counters the pool and schedulers keep;
// nothing is shelled out and nothing blocks the engines (a few mutexes).
#pragma once

#include "runtime/model_pool.h"
#include "server/prometheus.h"

namespace shimmy::server {

void CollectEngineMetrics(const runtime::ModelPool& pool, PrometheusWriter& out);

}  // namespace shimmy::server
