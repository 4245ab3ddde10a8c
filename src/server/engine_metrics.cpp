#include "server/engine_metrics.h"

namespace shimmy::server {

void CollectEngineMetrics(const runtime::ModelPool& pool, PrometheusWriter& out) {
  const runtime::PoolStats ps = pool.stats();
  out.Counter("shimmy_model_loads_total", "Models loaded since start.",
              static_cast<double>(ps.loads));
  out.Counter("shimmy_model_load_failures_total", "Model loads that failed.",
              static_cast<double>(ps.load_failures));
  out.Counter("shimmy_model_unloads_total", "Models unloaded (keep_alive, request, eviction).",
              static_cast<double>(ps.unloads));
  out.Counter("shimmy_model_evictions_total", "Models unloaded to make room for another.",
              static_cast<double>(ps.evictions));
  out.Gauge("shimmy_models_available", "Models the registry knows.",
            static_cast<double>(pool.registry().models().size()));

  const auto loaded = pool.Loaded();
  out.Gauge("shimmy_models_loaded", "Models resident now.", static_cast<double>(loaded.size()));
  // Declared even with no model loaded, so dashboards see the families.
  out.Declare("shimmy_model_resident_bytes", MetricType::kGauge,
              "Estimated bytes a resident model holds.");
  out.Declare("shimmy_slots", MetricType::kGauge, "Sequences a model decodes together.");
  out.Declare("shimmy_slots_busy", MetricType::kGauge, "Sequences generating or prefilling now.");
  out.Declare("shimmy_queue_length", MetricType::kGauge, "Requests waiting for a slot.");
  out.Declare("shimmy_requests_completed_total", MetricType::kCounter,
              "Generations finished (stop or length) since the model loaded.");
  out.Declare("shimmy_requests_cancelled_total", MetricType::kCounter,
              "Generations cancelled (client gone, shutdown) since the model loaded.");
  out.Declare("shimmy_prompt_tokens_total", MetricType::kCounter,
              "Prompt tokens computed since the model loaded.");
  out.Declare("shimmy_prompt_tokens_cached_total", MetricType::kCounter,
              "Prompt tokens reused from the cache instead of computed.");
  out.Declare("shimmy_generated_tokens_total", MetricType::kCounter,
              "Tokens sampled since the model loaded.");
  out.Declare("shimmy_decode_steps_total", MetricType::kCounter,
              "Forward passes (one per batch step) since the model loaded.");
  for (const auto& model : loaded) {
    const MetricLabels labels = {{"model", model->entry().name}};
    const SchedulerStats s = model->scheduler().Stats();
    out.Gauge("shimmy_model_resident_bytes", "", static_cast<double>(model->estimated_bytes()),
              labels);
    out.Gauge("shimmy_slots", "", s.n_slots, labels);
    out.Gauge("shimmy_slots_busy", "", s.active, labels);
    out.Gauge("shimmy_queue_length", "", s.queued, labels);
    out.Counter("shimmy_requests_completed_total", "", static_cast<double>(s.jobs_done), labels);
    out.Counter("shimmy_requests_cancelled_total", "", static_cast<double>(s.jobs_cancelled),
                labels);
    out.Counter("shimmy_prompt_tokens_total", "", static_cast<double>(s.prompt_tokens), labels);
    out.Counter("shimmy_prompt_tokens_cached_total", "", static_cast<double>(s.cached_tokens),
                labels);
    out.Counter("shimmy_generated_tokens_total", "", static_cast<double>(s.generated_tokens),
                labels);
    out.Counter("shimmy_decode_steps_total", "", static_cast<double>(s.steps), labels);
  }
}

}  // namespace shimmy::server
