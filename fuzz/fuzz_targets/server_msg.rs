//! Gateway to client: what the Rust client (`client/src/connection.rs`) decodes from its
//! socket, a server it may not trust.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery_common::protocol::client::ServerMsg;

fuzz_target!(|data: &[u8]| {
    let _ = orrery_fuzz::decodes_and_round_trips::<ServerMsg>(data);
});
