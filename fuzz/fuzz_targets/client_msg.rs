//! Client to gateway: every WebSocket frame a player sends is decoded as a `ClientMsg`
//! by the gateway's reader (`gateway/src/socket/reader.rs`) before anything else.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery_common::protocol::client::ClientMsg;

fuzz_target!(|data: &[u8]| {
    let _ = orrery_fuzz::decodes_and_round_trips::<ClientMsg>(data);
});
