//! Trace context in NATS headers: the one place where a span's W3C `traceparent`
//! crosses a process boundary.
//!
//! The gateway calls [`headers`] inside its `join` (or `resync`) span and sends the
//! result with `request_with_headers`; the room's owner calls [`set_parent`] on the
//! span it opens for the request, so one join is one trace across both processes.
//! Both use the global text-map propagator that [`crate::telemetry::init`] installs
//! (W3C TraceContext). Without an exporter the current span has no OpenTelemetry
//! context and nothing is written: the headers stay empty and cost nothing.

use async_nats::HeaderMap;
use opentelemetry::propagation::{Extractor, Injector};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Writes propagation fields into NATS headers.
pub struct HeaderInjector<'a>(pub &'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key, value);
    }
}

/// Reads propagation fields from NATS headers.
pub struct HeaderExtractor<'a>(pub &'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.as_str())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(name, _)| name.as_ref()).collect()
    }
}

/// Headers carrying the current span's trace context (empty when it has none).
pub fn headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    inject(&tracing::Span::current(), &mut headers);
    headers
}

/// Write `span`'s trace context into `headers`.
pub fn inject(span: &tracing::Span, headers: &mut HeaderMap) {
    let cx = span.context();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut HeaderInjector(headers)));
}

/// The trace context a message carries (an empty context when it carries none).
pub fn extract(headers: Option<&HeaderMap>) -> opentelemetry::Context {
    match headers {
        Some(h) => opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(h))),
        None => opentelemetry::Context::new(),
    }
}

/// Make `span` a child of the span that sent a message with `headers`. Call it before
/// the span is first entered; a message without trace context leaves `span` as it is.
pub fn set_parent(span: &tracing::Span, headers: Option<&HeaderMap>) {
    use opentelemetry::trace::TraceContextExt as _;
    let cx = extract(headers);
    if cx.span().span_context().is_valid() {
        // Fails only when tracing export is off or the span already started: then there is nothing to link.
        let _ = span.set_parent(cx);
    }
}

/// A reference to a finished span, to link later spans to it (e.g. a join to its socket's `connect`).
#[derive(Clone, Debug)]
pub struct Link(opentelemetry::trace::SpanContext);

impl Link {
    /// The current span, as a link target.
    pub fn current() -> Self {
        use opentelemetry::trace::TraceContextExt as _;
        Self(tracing::Span::current().context().span().span_context().clone())
    }

    /// Link `span` to this one (nothing when either is not exported).
    pub fn add_to(&self, span: &tracing::Span) {
        span.add_link(self.0.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::propagation::TextMapPropagator;
    use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
    use opentelemetry_sdk::propagation::TraceContextPropagator;

    #[test]
    fn a_traceparent_survives_nats_headers() {
        let sent = SpanContext::new(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        let cx = opentelemetry::Context::new().with_remote_span_context(sent.clone());
        let propagator = TraceContextPropagator::new();
        let mut headers = HeaderMap::new();
        propagator.inject_context(&cx, &mut HeaderInjector(&mut headers));
        assert_eq!(headers.get("traceparent").map(|v| v.as_str()), Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
        let got = propagator.extract(&HeaderExtractor(&headers));
        assert_eq!(got.span().span_context().trace_id(), sent.trace_id());
        assert_eq!(got.span().span_context().span_id(), sent.span_id());
        assert!(!propagator.extract(&HeaderExtractor(&HeaderMap::new())).span().span_context().is_valid());
    }
}
