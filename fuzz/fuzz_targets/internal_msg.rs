//! Gateway <-> worker over NATS: anyone who can publish on a subject reaches these
//! decoders (inputs and control requests in the owner, state frames, control replies and
//! player events in the gateways). The first byte picks the message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery_common::game::Viewer;
use orrery_common::protocol::client::ServerMsg;
use orrery_common::protocol::internal::{ControlReply, ControlRequest, InputEnvelope, Parts, PlayerEvent, StateFrame};
use orrery_common::protocol::{decode, encode};
use orrery_fuzz::{InternalKind, decodes_and_round_trips};

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else { return };
    match orrery_fuzz::pick(&InternalKind::ALL, kind) {
        InternalKind::Input => {
            let _ = decodes_and_round_trips::<InputEnvelope>(bytes);
        }
        InternalKind::State => {
            if let Some(frame) = decodes_and_round_trips::<StateFrame>(bytes) {
                // The fan-out's borrowed encoding is the owned message, for every viewer
                // the frame names (acks, waits, view parts), a spectator and a player it does
                // not name; a viewer the frame has no view part for gets nothing of it.
                let players = frame.acks.iter().map(|(p, _)| *p).chain(frame.input_waits_us.iter().map(|(p, _)| *p));
                let named = match &frame.parts {
                    Parts::Shared => Vec::new(),
                    Parts::PerViewer(parts) => parts.iter().map(|part| part.viewer).collect(),
                };
                let stranger = orrery_common::PlayerId(uuid::Uuid::nil());
                let viewers = players.chain([stranger]).map(Viewer::Player).chain(named).chain([Viewer::Spectator]);
                for viewer in viewers {
                    let owned = frame.for_viewer(viewer);
                    let bytes = frame.encode_for(viewer);
                    assert_eq!(bytes, owned.clone().map(|f| encode(&ServerMsg::Frame(f))));
                    if let (Some(bytes), Some(owned)) = (bytes, owned) {
                        assert_eq!(decode::<ServerMsg>(&bytes), Ok(ServerMsg::Frame(owned)));
                    }
                    if let Some(player) = viewer.player() {
                        let _ = frame.applied_input_of(player);
                    }
                }
            }
        }
        InternalKind::ControlRequest => {
            let _ = decodes_and_round_trips::<ControlRequest>(bytes);
        }
        InternalKind::ControlReply => {
            let _ = decodes_and_round_trips::<ControlReply>(bytes);
        }
        InternalKind::PlayerEvent => {
            let _ = decodes_and_round_trips::<PlayerEvent>(bytes);
        }
    }
});
