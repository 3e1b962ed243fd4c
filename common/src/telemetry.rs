//! Logging, tracing and the Prometheus registry.
//!
//! [`init`] installs a `tracing` subscriber (plain or JSON lines), and an OpenTelemetry
//! OTLP/HTTP exporter when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Only the spans named in
//! [`TRACED_SPANS`] are exported: they mark the rare, interesting operations (a
//! connection, a join, a failover), never a tick or a frame, so tracing costs nothing on
//! the hot path and the span names operators search for stay stable. Trace context
//! crosses NATS in message headers ([`crate::trace_context`]). Metrics live in a
//! per-process [`prometheus::Registry`] that each component registers its own
//! metrics on (so tests can run several components in one process).

use crate::config::TelemetryArgs;
use opentelemetry::trace::TracerProvider as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The spans exported over OTLP. Other spans (such as a socket's long-lived `session`)
/// still give log lines their context but are not exported, so a join under a session
/// starts its own trace.
pub const TRACED_SPANS: &[&str] = &["connect", "authenticate", "join", "leave", "resync", "claim", "restore", "drain"];

/// Keeps the trace exporter alive; flushes it on drop.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are being exported.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Export every finished span now (blocks until the exporter has sent them).
    pub fn flush(&self) -> Result<(), TelemetryError> {
        match &self.provider {
            Some(p) => p.force_flush().map_err(|e| TelemetryError::Otlp(e.to_string())),
            None => Ok(()),
        }
    }
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

/// Where spans go.
enum Otlp {
    /// The exporter's own environment variables (`OTEL_EXPORTER_OTLP_ENDPOINT`,
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, headers, timeout).
    Environment,
    /// An OTLP/HTTP base URL given by the caller.
    Base(String),
}

/// Install logging (and OTLP export when `OTEL_EXPORTER_OTLP_ENDPOINT` is set) for `service`.
pub fn init(service: &'static str, args: &TelemetryArgs) -> Result<Telemetry, TelemetryError> {
    let otlp = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_ok_and(|e| !e.is_empty()).then_some(Otlp::Environment);
    install(service, args, otlp)
}

/// Like [`init`], but always exporting to `endpoint`, an OTLP/HTTP base URL such as
/// `http://127.0.0.1:4318` (spans are posted to `{endpoint}/v1/traces`). For tests,
/// which cannot safely change their own process environment.
pub fn init_with_otlp_endpoint(service: &'static str, args: &TelemetryArgs, endpoint: &str) -> Result<Telemetry, TelemetryError> {
    install(service, args, Some(Otlp::Base(endpoint.trim_end_matches('/').to_owned())))
}

fn install(service: &'static str, args: &TelemetryArgs, otlp: Option<Otlp>) -> Result<Telemetry, TelemetryError> {
    let filter = EnvFilter::try_new(&args.log).map_err(|e| TelemetryError::Filter(args.log.clone(), e.to_string()))?;
    let fmt = if args.log_json { tracing_subscriber::fmt::layer().json().boxed() } else { tracing_subscriber::fmt::layer().boxed() };
    // The log filter governs log lines only: `--log warn` does not switch traces off.
    let fmt = fmt.with_filter(filter);
    let (otel, provider) = match otlp {
        Some(otlp) => {
            let provider = tracer_provider(service, otlp)?;
            // Decided per callsite from static metadata, so a filtered-out span or event costs nothing.
            let exported = tracing_subscriber::filter::filter_fn(|meta| {
                if meta.is_span() { TRACED_SPANS.contains(&meta.name()) } else { *meta.level() <= tracing::Level::INFO }
            });
            let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer(service)).with_filter(exported);
            opentelemetry::global::set_tracer_provider(provider.clone());
            (Some(layer), Some(provider))
        }
        None => (None, None),
    };
    opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
    // A second init in one process (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry().with(fmt).with(otel).try_init();
    Ok(Telemetry { provider })
}

fn tracer_provider(service: &'static str, otlp: Otlp) -> Result<opentelemetry_sdk::trace::SdkTracerProvider, TelemetryError> {
    use opentelemetry_otlp::WithExportConfig as _;
    let builder = opentelemetry_otlp::SpanExporter::builder().with_http();
    let builder = match otlp {
        Otlp::Environment => builder,
        Otlp::Base(base) => builder.with_endpoint(format!("{base}/v1/traces")),
    };
    // The batch processor exports from its own thread, so the blocking HTTP client never
    // blocks a tokio worker.
    let exporter = builder.build().map_err(|e| TelemetryError::Otlp(e.to_string()))?;
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(service).build();
    Ok(opentelemetry_sdk::trace::SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build())
}

/// Buckets for durations measured in seconds, from 50 µs to 2.5 s.
pub const SECONDS_BUCKETS: &[f64] = &[0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// Register a metric on `registry`, panicking on a programming error (duplicate name).
pub fn register<M: prometheus::core::Collector + Clone + 'static>(registry: &prometheus::Registry, metric: M) -> M {
    registry.register(Box::new(metric.clone())).expect("metric names are unique per registry");
    metric
}

/// A histogram of seconds.
pub fn seconds_histogram(registry: &prometheus::Registry, name: &str, help: &str) -> prometheus::Histogram {
    seconds_histogram_with(registry, name, help, SECONDS_BUCKETS)
}

/// A histogram of seconds with its own buckets (for targets finer than [`SECONDS_BUCKETS`]).
pub fn seconds_histogram_with(registry: &prometheus::Registry, name: &str, help: &str, buckets: &[f64]) -> prometheus::Histogram {
    let opts = prometheus::HistogramOpts::new(name, help).buckets(buckets.to_vec());
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

/// A counter with one label whose values are all known: each starts at 0, so a fresh
/// process exports every series (dashboards show 0, not "No data", before the first event).
pub fn counter_vec_zeroed(
    registry: &prometheus::Registry,
    name: &str,
    help: &str,
    label: &str,
    values: &[&str],
) -> prometheus::IntCounterVec {
    let counter = counter_vec(registry, name, help, &[label]);
    for value in values {
        counter.with_label_values(&[value]);
    }
    counter
}

/// A gauge.
pub fn gauge(registry: &prometheus::Registry, name: &str, help: &str) -> prometheus::IntGauge {
    register(registry, prometheus::IntGauge::new(name, help).expect("valid gauge"))
}
