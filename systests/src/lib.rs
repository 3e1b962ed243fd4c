//! System tests of Orrery: the whole system against the real NATS, Redis and PostgreSQL.
//!
//! This crate is never published. Its library is the harness the tests share ([`Env`]: a
//! private deployment per test); the tests are in `tests/`:
//!
//! - `tests/e2e/`: end-to-end tests. Each test gets its own prefix and database, and runs
//!   gateways and workers in this process on port-0 listeners, with SDK clients.
//! - `tests/traces.rs`: one join is one trace across the gateway and the worker (a test
//!   binary of its own, because telemetry installs a process-wide subscriber).
//! - `tests/protocol_doc.rs`: renders the byte examples of `docs/protocol.md` from the real
//!   encoders and fails when the document differs (`ORRERY_BLESS=1` rewrites them).
//! - `tests/fixtures/`: a test-only RSA key pair for the RS256 tests.
//!
//! They live here, not in the client crate, so that the SDK depends on neither the gateway
//! nor the worker. `cargo xtask test` starts the services and runs them; alone:
//! `cargo test -p orrery-systests` with NATS, Redis and PostgreSQL on their default ports
//! (or `ORRERY_TEST_NATS`, `ORRERY_TEST_REDIS`, `ORRERY_TEST_POSTGRES`).

mod env;

pub use env::*;
