//! Logging, tracing and the Prometheus registry.
//!
//! [`init`] installs a `tracing` subscriber (plain or JSON lines), and an OpenTelemetry
//! OTLP/HTTP exporter when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Metrics live in a
//! per-process [`prometheus::Registry`] that each component registers its own
//! metrics on (so tests can run several components in one process).

use crate::config::TelemetryArgs;
use opentelemetry::trace::TracerProvider as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keeps the trace exporter alive; flushes it on drop.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take() {
            let _ = p.shutdown();
        }
    }
}

/// Telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("invalid log filter {0:?}: {1}")]
    Filter(String, String),
    #[error("cannot build the OTLP exporter: {0}")]
    Otlp(String),
}

/// Install logging (and OTLP export when configured) for `service`.
pub fn init(service: &'static str, args: &TelemetryArgs) -> Result<Telemetry, TelemetryError> {
    let filter = EnvFilter::try_new(&args.log).map_err(|e| TelemetryError::Filter(args.log.clone(), e.to_string()))?;
    let fmt = if args.log_json {
        tracing_subscriber::fmt::layer().json().boxed()
    } else {
        tracing_subscriber::fmt::layer().boxed()
    };
    let (otel, provider) = match std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => {
            let provider = tracer_provider(service)?;
            let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer(service));
            opentelemetry::global::set_tracer_provider(provider.clone());
            (Some(layer), Some(provider))
        }
        _ => (None, None),
    };
    opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
    // A second init in one process (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry().with(filter).with(fmt).with(otel).try_init();
    Ok(Telemetry { provider })
}

fn tracer_provider(service: &'static str) -> Result<opentelemetry_sdk::trace::SdkTracerProvider, TelemetryError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|e| TelemetryError::Otlp(e.to_string()))?;
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(service).build();
    Ok(opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// Buckets for durations measured in seconds, from 50 µs to 2.5 s.
pub const SECONDS_BUCKETS: &[f64] =
    &[0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// Register a metric on `registry`, panicking on a programming error (duplicate name).
pub fn register<M: prometheus::core::Collector + Clone + 'static>(registry: &prometheus::Registry, metric: M) -> M {
    registry.register(Box::new(metric.clone())).expect("metric names are unique per registry");
    metric
}

/// A histogram of seconds.
pub fn seconds_histogram(registry: &prometheus::Registry, name: &str, help: &str) -> prometheus::Histogram {
    let opts = prometheus::HistogramOpts::new(name, help).buckets(SECONDS_BUCKETS.to_vec());
    register(registry, prometheus::Histogram::with_opts(opts).expect("valid histogram"))
}

/// A counter.
pub fn counter(registry: &prometheus::Registry, name: &str, help: &str) -> prometheus::IntCounter {
    register(registry, prometheus::IntCounter::new(name, help).expect("valid counter"))
}

/// A counter with labels.
pub fn counter_vec(registry: &prometheus::Registry, name: &str, help: &str, labels: &[&str]) -> prometheus::IntCounterVec {
    register(registry, prometheus::IntCounterVec::new(prometheus::Opts::new(name, help), labels).expect("valid counter"))
}

/// A gauge.
pub fn gauge(registry: &prometheus::Registry, name: &str, help: &str) -> prometheus::IntGauge {
    register(registry, prometheus::IntGauge::new(name, help).expect("valid gauge"))
}
