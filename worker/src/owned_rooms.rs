//! The rooms this worker owns right now, and the task that runs each of them.

use crate::App;
use crate::lease::LeaseClock;
use crate::room::{self, Exit, Room, RoomSignals};
use orrery_common::{Epoch, RoomId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::info;

/// One owned room, as the worker's bookkeeping sees it.
#[derive(Debug)]
struct Owned {
    epoch: Epoch,
    token: String,
    clock: Arc<LeaseClock>,
    /// Held through the worker lease (a sleeping room): not renewed per room.
    sleeping: bool,
    signals: RoomSignals,
    task: Option<JoinHandle<Exit>>,
}

/// What the renewer needs to know about a lease.
#[derive(Debug, Clone)]
pub struct LeaseView {
    pub room: RoomId,
    pub token: String,
    pub clock: Arc<LeaseClock>,
    pub lost: tokio_util::sync::CancellationToken,
}

/// How long a worker leaves a room it shed to the others.
const SHED_COOLDOWN: std::time::Duration = std::time::Duration::from_secs(10);

/// The rooms this worker owns.
#[derive(Debug, Default)]
pub struct OwnedRooms {
    rooms: Mutex<HashMap<RoomId, Owned>>,
    /// Rooms handed away to shed load, and when.
    shed: Mutex<HashMap<RoomId, Instant>>,
}

impl OwnedRooms {
    pub fn len(&self) -> usize {
        self.rooms.lock().expect("poisoned").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, room: RoomId) -> bool {
        self.rooms.lock().expect("poisoned").contains_key(&room)
    }

    /// Ids of the owned rooms.
    pub fn ids(&self) -> Vec<RoomId> {
        self.rooms.lock().expect("poisoned").keys().copied().collect()
    }

    /// Every lease to renew: those of the owned rooms that have not given theirs back
    /// (a room that closes or drains stays here until its task ends, after the release).
    /// Sleeping rooms hold theirs through the worker lease, renewed on its own.
    pub fn leases(&self) -> Vec<LeaseView> {
        self.rooms
            .lock()
            .expect("poisoned")
            .iter()
            .filter(|(_, o)| !o.sleeping && !o.clock.given_back())
            .map(|(room, o)| LeaseView { room: *room, token: o.token.clone(), clock: o.clock.clone(), lost: o.signals.lost.clone() })
            .collect()
    }

    /// Start running `room`; it removes itself from the set when it ends.
    pub fn spawn(self: &Arc<Self>, room: Room, app: Arc<App>, claimed_at: Instant) {
        let id = room.id;
        // A sleeping room stops with the worker lease it is held through.
        let signals = match &room.worker_lease {
            Some(held) => RoomSignals { lost: held.lost.child_token(), ..RoomSignals::default() },
            None => RoomSignals::default(),
        };
        let sleeping = room.worker_lease.is_some();
        let mut map = self.rooms.lock().expect("poisoned");
        map.insert(
            id,
            Owned {
                epoch: room.epoch,
                token: room.token.clone(),
                clock: room.clock.clone(),
                sleeping,
                signals: signals.clone(),
                task: None,
            },
        );
        app.metrics.rooms_owned.set(map.len() as i64);
        let me = self.clone();
        let epoch = room.epoch;
        let room = Box::new(room);
        let task = tokio::spawn(async move {
            let exit = room::run(room, app.clone(), signals, claimed_at).await;
            info!(room = %id, epoch = %epoch, ?exit, "room stopped");
            if matches!(exit, Exit::LeaseLost | Exit::Fenced) {
                app.metrics.leases_lost.inc();
            }
            let mut map = me.rooms.lock().expect("poisoned");
            if map.get(&id).is_some_and(|o| o.epoch == epoch) {
                map.remove(&id);
            }
            app.metrics.rooms_owned.set(map.len() as i64);
            exit
        });
        if let Some(o) = map.get_mut(&id) {
            o.task = Some(task);
        }
    }

    /// Hand `count` rooms to other workers (drain them: final snapshot, release with a
    /// wake-up) and leave them alone for a while. Returns the rooms shed.
    pub fn shed(&self, count: usize) -> Vec<RoomId> {
        let map = self.rooms.lock().expect("poisoned");
        let chosen: Vec<RoomId> = map.iter().filter(|(_, o)| !o.signals.drain.is_cancelled()).map(|(r, _)| *r).take(count).collect();
        let mut shed = self.shed.lock().expect("poisoned");
        let now = Instant::now();
        shed.retain(|_, at| now.duration_since(*at) < SHED_COOLDOWN);
        for room in &chosen {
            shed.insert(*room, now);
            map[room].signals.drain.cancel();
        }
        chosen
    }

    /// This worker shed `room` recently and should not claim it back yet.
    pub fn recently_shed(&self, room: RoomId) -> bool {
        self.shed.lock().expect("poisoned").get(&room).is_some_and(|at| at.elapsed() < SHED_COOLDOWN)
    }

    /// Tell every room to drain and wait for them all. Each room's `drain` span is a
    /// child of the current span.
    pub async fn drain_all(&self) {
        let tasks: Vec<JoinHandle<Exit>> = {
            let mut map = self.rooms.lock().expect("poisoned");
            map.values_mut()
                .filter_map(|o| {
                    let _ = o.signals.drain_span.set(tracing::Span::current());
                    o.signals.drain.cancel();
                    o.task.take()
                })
                .collect()
        };
        futures::future::join_all(tasks).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_lease_its_room_gave_back_is_renewed_no_more() {
        let owned = OwnedRooms::default();
        let clock = Arc::new(LeaseClock::new(Instant::now(), Duration::from_secs(1)));
        owned.rooms.lock().unwrap().insert(
            RoomId(1),
            Owned {
                epoch: Epoch(1),
                token: "w:1".into(),
                clock: clock.clone(),
                sleeping: false,
                signals: RoomSignals::default(),
                task: None,
            },
        );
        assert_eq!(owned.leases().len(), 1);
        // The room closes: it gives the lease back, then stays owned until its task ends.
        clock.give_back();
        assert!(owned.contains(RoomId(1)));
        assert!(owned.leases().is_empty(), "the renewer would take the released lease again");
    }
}
