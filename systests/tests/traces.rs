//! Traces: one join is one trace across the gateway and the worker.
//!
//! A tiny OTLP/HTTP receiver (`POST /v1/traces`, protobuf) collects what the exporter
//! sends. A worker, a gateway and a client run in this process (a test binary of its
//! own, because telemetry installs a process-wide subscriber), the client joins a room,
//! everything stops, the exporter is flushed, and the spans are checked: the gateway's
//! `join` and the worker's `join` share a trace id and the worker's span descends from
//! the gateway's, which is only true when the trace context crossed NATS in the
//! control request's headers.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use orrery_common::config::TelemetryArgs;
use orrery_systests::{Env, eventually};
use prost::Message as _;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

type Received = Arc<Mutex<Vec<Span>>>;

/// Receive OTLP/HTTP protobuf exports on a port-0 listener.
async fn receiver() -> (SocketAddr, Received) {
    async fn export(State(received): State<Received>, body: Bytes) -> impl axum::response::IntoResponse {
        let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");
        let spans = request.resource_spans.into_iter().flat_map(|r| r.scope_spans).flat_map(|s| s.spans);
        received.lock().unwrap().extend(spans);
        ([(CONTENT_TYPE, "application/x-protobuf")], ExportTraceServiceResponse::default().encode_to_vec())
    }
    let received = Received::default();
    let app = axum::Router::new().route("/v1/traces", axum::routing::post(export)).with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, received)
}

fn attr(span: &Span, key: &str) -> Option<String> {
    let value = span.attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?.value.as_ref()?;
    Some(match value {
        Value::StringValue(s) => s.clone(),
        Value::IntValue(i) => i.to_string(),
        Value::BoolValue(b) => b.to_string(),
        other => format!("{other:?}"),
    })
}

fn hex(id: &[u8]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

fn describe(spans: &[Span]) -> String {
    spans
        .iter()
        .map(|s| {
            format!("  {} trace={} span={} parent={} kind={}", s.name, hex(&s.trace_id), hex(&s.span_id), hex(&s.parent_span_id), s.kind)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `ancestor` is `span`'s parent, grandparent, … among `by_id`.
fn descends_from(span: &Span, ancestor: &Span, by_id: &HashMap<Vec<u8>, &Span>) -> bool {
    let mut parent = span.parent_span_id.clone();
    for _ in 0..16 {
        if parent.is_empty() {
            return false;
        }
        if parent == ancestor.span_id {
            return true;
        }
        match by_id.get(&parent) {
            Some(p) => parent = p.parent_span_id.clone(),
            None => return false,
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_is_one_trace_across_gateway_and_worker() {
    let (addr, received) = receiver().await;
    let args = TelemetryArgs { log: "warn".into(), log_json: false };
    let telemetry = orrery_common::telemetry::init_with_otlp_endpoint("orrery-traces-test", &args, &format!("http://{addr}"))
        .expect("telemetry starts");
    assert!(telemetry.exporting());

    let env = Env::new().await;
    let worker = env.worker().await;
    let gateway = env.gateway().await;
    let room = gateway.room(serde_json::json!({ "mode": "arena-duel" })).await;
    eventually(10, "the room is owned", || worker.owned.contains(room)).await;
    let mut conn = gateway.guest("ada").await;
    conn.join(room).await.expect("joins");
    conn.close().await.expect("closes");
    gateway.stop().await;
    worker.stop().await;
    // The batch exporter posts from its own thread; wait for it off the runtime's workers.
    tokio::task::spawn_blocking(move || {
        telemetry.flush().expect("spans exported");
        drop(telemetry);
    })
    .await
    .unwrap();

    let spans = received.lock().unwrap().clone();
    let all = describe(&spans);
    let room_id = room.to_string();
    let by_id: HashMap<Vec<u8>, &Span> = spans.iter().map(|s| (s.span_id.clone(), s)).collect();
    let named = |name: &'static str| spans.iter().filter(move |s| s.name == name);
    let in_room = |s: &&Span| attr(s, "room").as_deref() == Some(room_id.as_str());

    assert!(named("session").next().is_none(), "the long-lived session span is not exported:\n{all}");
    let connect = named("connect").find(|s| attr(s, "player").is_some()).unwrap_or_else(|| panic!("a connect span:\n{all}"));
    let authenticate = named("authenticate")
        .find(|s| s.parent_span_id == connect.span_id)
        .unwrap_or_else(|| panic!("an authenticate span inside connect:\n{all}"));
    assert_eq!(authenticate.trace_id, connect.trace_id);

    let gateway_join = named("join")
        .filter(in_room)
        .find(|s| s.kind == SpanKind::Internal as i32)
        .unwrap_or_else(|| panic!("the gateway's join span:\n{all}"));
    let worker_join = named("join")
        .filter(in_room)
        .find(|s| s.kind == SpanKind::Server as i32)
        .unwrap_or_else(|| panic!("the worker's join span:\n{all}"));
    assert!(gateway_join.parent_span_id.is_empty(), "a join starts its own trace:\n{all}");
    assert_eq!(
        hex(&worker_join.trace_id),
        hex(&gateway_join.trace_id),
        "the worker's join continues the gateway's trace (context in the NATS headers):\n{all}"
    );
    assert!(descends_from(worker_join, gateway_join, &by_id), "the worker's join descends from the gateway's:\n{all}");
    assert_eq!(attr(worker_join, "outcome").as_deref(), Some("keyframe"));
    assert_eq!(attr(gateway_join, "outcome").as_deref(), Some("joined"));
    assert!(
        gateway_join.links.iter().any(|l| l.span_id == connect.span_id && l.trace_id == connect.trace_id),
        "the join links to its socket's connect span:\n{all}"
    );

    let claim = named("claim")
        .filter(in_room)
        .find(|s| attr(s, "outcome").as_deref() == Some("claimed"))
        .unwrap_or_else(|| panic!("the worker's claim of the room:\n{all}"));
    let restore = named("restore").find(|s| s.parent_span_id == claim.span_id).unwrap_or_else(|| panic!("restore inside claim:\n{all}"));
    assert_eq!(restore.trace_id, claim.trace_id);

    let room_drain = named("drain").find(in_room).unwrap_or_else(|| panic!("the room's drain span:\n{all}"));
    let worker_drain = named("drain").find(|s| attr(s, "worker").is_some()).unwrap_or_else(|| panic!("the worker's drain span:\n{all}"));
    assert!(descends_from(room_drain, worker_drain, &by_id), "a room's drain is inside its worker's:\n{all}");
    assert!(named("drain").any(|s| attr(s, "gateway").is_some()), "the gateway's drain span:\n{all}");
}
