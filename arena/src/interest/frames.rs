//! [`ViewFrames`]: a large room's board and every player's view as of the last step, and
//! the deltas that step produced, so that the `Game` encoders (which take `&self`) only copy
//! bytes.

use super::{Interest, board, filter};
use crate::wire::{delta, split};
use crate::world::World;
use orrery_common::PlayerId;
use std::collections::HashMap;

/// One part (the board, or one player's view): the world as of the last step and the
/// delta that step produced.
#[derive(Clone, Debug)]
struct Part {
    world: World,
    delta: Vec<u8>,
}

impl Part {
    fn new(world: World) -> Self {
        Self { world, delta: vec![0] }
    }

    /// Makes `next` this part's world, with the delta from the current one.
    fn advance_to(&mut self, next: &mut World, scratch: &mut World) {
        self.delta.clear();
        delta::encode(&self.world, next, scratch, &mut self.delta);
        std::mem::swap(&mut self.world, next);
    }
}

/// The parts of a large room's frames.
#[derive(Clone, Debug)]
pub struct ViewFrames {
    interest: Interest,
    board: Part,
    /// Seated players' views.
    views: HashMap<PlayerId, Part>,
    /// The view of somebody without a ship (a spectator, a kicked player): the header only.
    nobody: Part,
    /// Where the next part is built and where the delta's prediction runs (allocations reused).
    next: World,
    scratch: World,
}

impl ViewFrames {
    /// The parts of a room whose clients hold `sent` (a new room, or one just restored:
    /// views start from the enter radius).
    pub fn new(interest: Interest, sent: &World) -> Self {
        let mut board_world = sent.clone();
        board(sent, &mut board_world);
        let mut nobody = sent.clone();
        filter(sent, None, &interest, None, &mut nobody);
        Self {
            interest,
            board: Part::new(board_world),
            views: HashMap::new(),
            nobody: Part::new(nobody),
            next: sent.clone(),
            scratch: sent.clone(),
        }
    }

    /// Before a step: every player seated in `world` gets a view of `sent` if it has none yet
    /// (what a keyframe sent to it before this step held), for the step's delta to start from.
    pub fn before_step(&mut self, sent: &World, world: &World) {
        for (_, ship) in world.seated() {
            if !self.views.contains_key(&ship.player) {
                let view = self.fresh_view(sent, Some(ship.player));
                self.views.insert(ship.player, Part::new(view));
            }
        }
    }

    /// After a step: the board and every seated player's view of `sent` (the world as of
    /// the step) and their deltas; the views of players no longer seated are dropped.
    pub fn after_step(&mut self, sent: &World) {
        let Self { interest, board: board_part, views, nobody, next, scratch } = self;
        views.retain(|player, _| sent.slot_of(*player).is_some());
        board(sent, next);
        board_part.advance_to(next, scratch);
        filter(sent, None, interest, None, next);
        nobody.advance_to(next, scratch);
        for (player, part) in views.iter_mut() {
            filter(sent, Some(*player), interest, Some(&part.world), next);
            part.advance_to(next, scratch);
        }
    }

    /// The shared part of a keyframe.
    pub fn encode_keyframe(&self, out: &mut Vec<u8>) {
        split::encode_shared_keyframe(&self.board.world, out);
    }

    /// The shared part of the last step's delta.
    pub fn encode_delta(&self, out: &mut Vec<u8>) {
        split::encode_shared_delta(&self.board.delta, out);
    }

    /// `viewer`'s part of a keyframe of `sent` (the world as of the last step).
    pub fn encode_keyframe_view(&self, sent: &World, viewer: Option<PlayerId>, out: &mut Vec<u8>) {
        match viewer.and_then(|p| self.views.get(&p)) {
            Some(part) => crate::wire::keyframe::encode(&part.world, out),
            None => crate::wire::keyframe::encode(&self.fresh_view(sent, viewer), out),
        }
    }

    /// `viewer`'s part of the last step's delta.
    pub fn encode_delta_view(&self, viewer: Option<PlayerId>, out: &mut Vec<u8>) {
        let part = viewer.and_then(|p| self.views.get(&p)).unwrap_or(&self.nobody);
        out.extend_from_slice(&part.delta);
    }

    /// The view of `viewer` that has no history.
    fn fresh_view(&self, sent: &World, viewer: Option<PlayerId>) -> World {
        let mut view = sent.clone();
        filter(sent, viewer, &self.interest, None, &mut view);
        view
    }
}
