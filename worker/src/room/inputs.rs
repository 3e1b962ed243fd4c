//! The room's input subject: batches of inputs from gateways ([`InputBatch`]), each input
//! queued for the next tick as if it had come alone. What the room then does with them
//! (at most once per sequence number, in order: I5) is [`Room::step`]'s.
//!
//! Anyone allowed to publish on the subject reaches this decoder. A batch that does not
//! decode, or holds more inputs than a gateway ever puts in one, is dropped whole and
//! queues nothing (a batch is one message: its inputs are not trusted one by one); it is
//! counted and logged by the caller, and every other batch is taken as usual.

use super::Room;
use orrery_common::protocol::internal::InputBatch;
use orrery_common::protocol::{DecodeError, decode};
use tokio::time::Instant;

/// Why a batch was dropped.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("input batch does not decode: {0}")]
    Malformed(#[from] DecodeError),
    #[error("input batch of {0} inputs: more than {max}", max = InputBatch::MAX_INPUTS)]
    TooLong(usize),
}

/// Queue every input of the encoded batch `bytes`, taken off the subscription at
/// `arrived`; how many.
pub(crate) fn queue_batch(room: &mut Room, bytes: &[u8], arrived: Instant) -> Result<usize, BatchError> {
    let batch = decode::<InputBatch>(bytes)?;
    if batch.inputs.len() > InputBatch::MAX_INPUTS {
        return Err(BatchError::TooLong(batch.inputs.len()));
    }
    let n = batch.inputs.len();
    for input in batch.inputs {
        room.queue_input(input, arrived);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lease::LeaseClock;
    use crate::metrics::Metrics;
    use orrery_arena::{ArenaFactory, Intent, encode_intent};
    use orrery_common::game::{GameFactory, RoomSettings};
    use orrery_common::protocol::encode;
    use orrery_common::protocol::internal::{ControlRequest, InputEnvelope};
    use orrery_common::{Epoch, InputSeq, PlayerId, RoomId, SocketId};
    use std::sync::Arc;
    use std::time::Duration;

    fn room_of(players: &[PlayerId]) -> (Room, Metrics) {
        let settings = RoomSettings { mode: "arena-practice".into(), max_players: 5, ..RoomSettings::default() };
        let clock = Arc::new(LeaseClock::new(Instant::now(), Duration::from_secs(60)));
        let mut room = Room::new(RoomId(1), Epoch(1), settings.clone(), "token".into(), clock, ArenaFactory.create(&settings), None);
        for (i, player) in players.iter().enumerate() {
            room.control(ControlRequest::Join { player: *player, name: format!("p{i}"), session: SocketId(i as u64 + 1) });
        }
        (room, Metrics::new(&prometheus::Registry::new()))
    }

    fn input(player: PlayerId, seq: u32) -> InputEnvelope {
        InputEnvelope { player, seq: InputSeq(seq), payload: encode_intent(&Intent { turn: 1.0, ..Intent::default() }) }
    }

    #[test]
    fn every_input_of_a_batch_is_applied_once_in_its_players_order() {
        let (ada, bob) = (PlayerId::random(), PlayerId::random());
        let (mut room, metrics) = room_of(&[ada, bob]);
        let now = Instant::now();
        let batch = InputBatch { inputs: vec![input(ada, 1), input(bob, 1), input(ada, 2), input(bob, 2), input(ada, 3)] };
        assert_eq!(queue_batch(&mut room, &encode(&batch), now).unwrap(), 5);
        // A later batch repeating an applied sequence: dropped by the room as before (I5).
        let again = InputBatch { inputs: vec![input(ada, 3), input(bob, 3)] };
        assert_eq!(queue_batch(&mut room, &encode(&again), now).unwrap(), 2);
        let frame = room.step(&metrics, now);
        assert_eq!(metrics.inputs_applied.get(), 6);
        assert_eq!(metrics.inputs_rejected.get(), 1, "ada's 3, a second time");
        assert_eq!((frame.ack_of(ada), frame.ack_of(bob)), (Some(InputSeq(3)), Some(InputSeq(3))));
    }

    #[test]
    fn a_malformed_or_oversized_batch_is_dropped_whole_and_nothing_else_is_lost() {
        let ada = PlayerId::random();
        let (mut room, metrics) = room_of(&[ada]);
        let now = Instant::now();
        let good = encode(&InputBatch { inputs: vec![input(ada, 1)] });
        // A lone input (what a gateway sent before batching), cut short, with a byte too
        // many, and a count its bytes do not hold: none is a batch.
        let lone = encode(&input(ada, 9));
        let short = &good[..good.len() - 1];
        let long = [good.as_slice(), &[0]].concat();
        let lying = [&[5u8][..], &good[1..]].concat();
        for bad in [&lone[..], short, &long, &lying, &[][..], &[0xff; 12][..]] {
            assert!(matches!(queue_batch(&mut room, bad, now), Err(BatchError::Malformed(_))), "{bad:?}");
        }
        let too_many = InputBatch { inputs: (1..=InputBatch::MAX_INPUTS as u32 + 1).map(|seq| input(ada, seq + 100)).collect() };
        assert!(matches!(queue_batch(&mut room, &encode(&too_many), now), Err(BatchError::TooLong(257))));
        assert_eq!(queue_batch(&mut room, &good, now).unwrap(), 1);
        let frame = room.step(&metrics, now);
        assert_eq!(metrics.inputs_applied.get(), 1, "only the good batch's input");
        assert_eq!(frame.ack_of(ada), Some(InputSeq(1)), "the forged batches used up no sequence number");
    }
}
