//! Wall-clock time as servers exchange it (milliseconds since the Unix epoch).
//!
//! Lease deadlines are kept on the monotonic clock (`tokio::time::Instant`); this is
//! only for values that leave the process: lease expiry scores, server time in pongs.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
