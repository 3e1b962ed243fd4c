//! A sleeping room: the task of a room whose game says [`Pace::OnDemand`].
//!
//! It has no tick timer. It runs only when something is due: a command, a join, a leave or
//! a disconnect (control requests), the instant the game names
//! ([`Game::wake_at`](orrery_common::game::Game::wake_at): a turn deadline), or the end
//! of a restored room's seat confirmation. It takes no inputs (a sleeping game is driven by
//! commands), so it holds one subscription, its control subject, and waits between runs;
//! it costs nothing per tick. What a run awaits (the commit, the publish, a close, a drain)
//! is boxed for the run only, so a sleeping room's task keeps just its waiting state.
//!
//! Its lease is held through the worker lease ([`crate::worker_lease`]): nothing is renewed
//! per sleeping room, and the room stops when the worker lease is lost (its `lost` signal is
//! a child of the worker lease's).
//!
//! One run ([`run_once`]) is: the lease's local deadline checked (I6; one that passed while
//! the room slept is asked of Redis once, [`still_ours`]), the wall clock told
//! to the game, what is due applied, one step, then ONE durable commit — snapshot, the run's
//! events, the seated players and whom the match waits on, in one PostgreSQL transaction
//! fenced by the epoch (I1) — and only then the frame published and the request answered
//! (I9). So a command is acknowledged only once it is durable, a deadline that fired is
//! in the snapshot before anyone hears of it, and a new owner restores exactly what was
//! published: the deadline is in the game's own state, so it fires on the new owner at the
//! same wall-clock time, once. A commit the database refuses or fails ends the room without
//! publishing or answering anything of the run (fenced: a newer owner has it; failed: the
//! lease is given back and the room is restored from its last commit). Sleeping rooms write
//! no hot snapshots: every state anyone has seen is already durable.

use super::persist::{close, release_lease};
use super::spans::{control_span, drain_span};
use super::task::answer_control;
use super::{Exit, Room, RoomSignals};
use crate::App;
use crate::snapshot::RoomSnapshot;
use crate::store::{Seats, WriteError};
use crate::worker_lease::Confirmed;
use async_nats::Subscriber;
use futures::StreamExt;
use orrery_common::game::{Phase, WallMs};
use orrery_common::protocol::internal::{ControlReply, ControlRequest};
use orrery_common::protocol::{decode, encode};
use orrery_common::trace_context;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{Instant, sleep_until};
use tracing::{Instrument, info, warn};

/// The wall clock as a game is told it.
fn wall_now() -> WallMs {
    WallMs(orrery_common::time::now_ms())
}

/// When the room must run next though nobody acts: the game's wake-up or the end of a
/// restored room's seat confirmation, whichever comes first.
fn next_due(room: &Room) -> Option<Instant> {
    let game = room.wake_at().map(|at| {
        let now = wall_now();
        Instant::now() + Duration::from_millis(at.0.saturating_sub(now.0))
    });
    match (game, room.confirm_seats_at()) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether a control request may change the game: it is answered only after a run.
fn changes_the_game(req: &ControlRequest) -> bool {
    matches!(req, ControlRequest::Join { .. } | ControlRequest::Leave { .. } | ControlRequest::Command { .. })
}

/// Run a sleeping `room` until it is drained, loses its lease, is fenced or may close.
/// The room stays boxed and the subscribe is boxed for its call only: while the room
/// sleeps its task holds little more than the futures it waits on.
pub(super) async fn run(mut room: Box<Room>, app: Arc<App>, signals: RoomSignals, claimed_at: Instant) -> Exit {
    let mut control: Subscriber = match Box::pin(app.nats.subscribe(app.names.room_control(room.id))).await {
        Ok(c) => c,
        Err(e) => return Exit::Failed(e.to_string()),
    };
    info!(room = %room.id, epoch = %room.epoch, tick = %room.tick(), "sleeping room running");
    // The first run comes at once: the epoch's first durable commit and its keyframe (a
    // deadline that passed while the room had no owner fires here).
    if let Err(exit) = Box::pin(run_once(&mut room, &app)).await {
        return exit;
    }
    app.metrics.restore_duration.observe(claimed_at.elapsed().as_secs_f64());
    loop {
        if room.phase() == Phase::Closable {
            return Box::pin(close(&mut room, &app)).await;
        }
        let due = next_due(&room);
        tokio::select! {
            biased;
            _ = signals.lost.cancelled() => return Exit::LeaseLost,
            _ = signals.drain.cancelled() => {
                let span = drain_span(&room, &signals);
                return Box::pin(drain(&mut room, &app).instrument(span)).await;
            }
            _ = async { match due { Some(at) => sleep_until(at).await, None => std::future::pending().await } } => {
                // The game is told the time before the disconnects (`Game::set_clock`'s
                // contract), so a player's absence (and grace) starts now, not at the
                // last run, which in a sleeping room may be hours ago.
                room.set_clock(wall_now());
                let disconnected = room.confirm_seats(Instant::now());
                if disconnected > 0 {
                    info!(room = %room.id, epoch = %room.epoch, players = disconnected, "restored room: players no gateway vouched for are disconnected");
                }
                if let Err(exit) = Box::pin(run_once(&mut room, &app)).await {
                    return exit;
                }
            }
            Some(msg) = control.next() => {
                // Boxed for the request only: a sleeping room's task keeps its waiting state.
                if let Err(exit) = Box::pin(answer(&mut room, &app, msg)).await {
                    return exit;
                }
            }
        }
    }
}

/// Answer one control request; one that may change the game waits for the run that makes
/// it durable (I9).
async fn answer(room: &mut Room, app: &App, msg: async_nats::Message) -> Result<(), Exit> {
    let request = decode::<ControlRequest>(&msg.payload);
    let span = control_span(room, request.as_ref().ok());
    trace_context::set_parent(&span, msg.headers.as_ref());
    async {
        let reply = match request {
            Ok(req) if changes_the_game(&req) => {
                still_ours(room, app).await?;
                let joining = match &req {
                    ControlRequest::Join { player, .. } => Some(*player),
                    _ => None,
                };
                room.set_clock(wall_now());
                let reply = room.control(req);
                // The answer waits for the run that makes it durable; a join's keyframe
                // is the state after that run.
                run_once(room, app).await?;
                match (reply, joining) {
                    (ControlReply::Keyframe { .. }, Some(player)) => room.control(ControlRequest::Resync { player }),
                    (other, _) => other,
                }
            }
            Ok(req) => room.control(req),
            Err(e) => ControlReply::Refused { reason: e.to_string() },
        };
        answer_control(app, room.id, &room.clock, msg.reply, &reply).await;
        Ok(())
    }
    .instrument(span)
    .await
}

/// The lease's local deadline (I6) before a run. A sleeping room holds its lease through
/// the worker lease ([`crate::worker_lease`]), whose clock it shares. It does nothing
/// between runs, so that deadline may have passed while it slept because a renewal came
/// late (a busy worker, a slow Redis), not because anything is gone. Then it asks Redis
/// once: the worker lease is renewed only if it still exists (a worker lease once gone is
/// never taken again: claimers may have moved its rooms), and the room runs only if its own
/// lease also still holds its token. Anything else stops the room, writing and answering
/// nothing; and whatever it commits is still fenced by the epoch (I1).
async fn still_ours(room: &mut Room, app: &App) -> Result<(), Exit> {
    if room.clock.valid() {
        return Ok(());
    }
    if let Some(held) = room.worker_lease.clone() {
        match app.worker_lease.confirm(&held, room.id, &room.token).await {
            Ok(Confirmed::Ours) => {
                app.metrics.leases_renewed.inc();
                info!(room = %room.id, epoch = %room.epoch, "lease deadline had passed while asleep; the worker lease was renewed, still ours");
            }
            Ok(Confirmed::RoomTaken) => {
                warn!(room = %room.id, epoch = %room.epoch, "lease deadline passed and another owner holds the room's lease: stopping");
                app.metrics.leases_expired_by_deadline.inc();
                return Err(Exit::LeaseLost);
            }
            Ok(Confirmed::WorkerLost) => {
                warn!(room = %room.id, epoch = %room.epoch, "lease deadline passed and the worker lease is gone: stopping")
            }
            Err(e) => warn!(room = %room.id, error = %e, "lease deadline passed and Redis cannot say whose it is: stopping"),
        }
    }
    if room.clock.valid() {
        return Ok(());
    }
    app.metrics.leases_expired_by_deadline.inc();
    Err(Exit::LeaseLost)
}

/// One run: lease check, clock, step, durable commit, then the frame (I9).
async fn run_once(room: &mut Room, app: &App) -> Result<(), Exit> {
    let m = &app.metrics;
    still_ours(room, app).await?;
    let started = Instant::now();
    room.set_clock(wall_now());
    let frame = room.step(m, started);
    commit(room, app).await?;
    if !room.clock.valid() {
        m.leases_expired_by_deadline.inc();
        return Err(Exit::LeaseLost);
    }
    let bytes = encode(&frame);
    m.frame_bytes.inc_by(bytes.len() as u64);
    m.frames_published.inc();
    if let Err(e) = app.nats.publish(app.names.room_state(room.id), bytes.into()).await {
        warn!(room = %room.id, error = %e, "publishing a frame failed");
    }
    m.tick_duration.observe(started.elapsed().as_secs_f64());
    Ok(())
}

/// The run's durable commit: snapshot, events, results once over, seats and whom the match
/// waits on, in one transaction fenced by the epoch.
async fn commit(room: &mut Room, app: &App) -> Result<(), Exit> {
    let phase = room.phase();
    let durable = RoomSnapshot { pending_events: Vec::new(), ..room.snapshot() };
    let encoded = durable.encode();
    let results = matches!(phase, Phase::Over | Phase::Closable).then(|| room.results()).flatten();
    let (seated, awaiting) = room.seats();
    let seats = Seats { seated: &seated, awaiting: &awaiting };
    let last_event = room.pending_events().iter().map(|e| e.seq).max();
    let started = Instant::now();
    let written = app
        .store
        .write_durable(room.id, room.epoch, phase, &durable, &encoded, room.pending_events(), results.as_deref(), Some(seats))
        .await;
    match written {
        Ok(()) => {
            app.metrics.snapshot_duration.observe(started.elapsed().as_secs_f64());
            app.metrics.snapshot_bytes.inc_by(encoded.len() as u64);
            room.durable_submitted(phase);
            room.durable_written(last_event);
            Ok(())
        }
        Err(WriteError::Fenced(_)) => {
            app.metrics.fenced_writes.inc();
            warn!(room = %room.id, epoch = %room.epoch, "durable commit refused: ownership lost");
            Err(Exit::Fenced)
        }
        Err(WriteError::Db(e)) => {
            // Nothing of this run was published or answered: give the room back, so it is
            // restored from its last commit (by us or another worker) instead of going on
            // from a state nobody may see.
            warn!(room = %room.id, error = %e, "durable commit failed: giving the room back");
            let _ = release_lease(room, app, true).await;
            Err(Exit::Failed(format!("durable commit failed: {e}")))
        }
    }
}

/// Drain a sleeping room: its state is already durable, so give the lease back with a
/// wake-up (a survivor claims it at once) and stop.
async fn drain(room: &mut Room, app: &App) -> Exit {
    match release_lease(room, app, true).await {
        Ok(true) => {
            app.metrics.leases_released.inc();
            let _ = app.nats.publish(app.names.rooms_new(), room.id.to_string().into()).await;
            let _ = app.store.clear_owner(room.id, room.epoch).await;
            Exit::Drained
        }
        Ok(false) => Exit::LeaseLost,
        Err(e) => {
            warn!(room = %room.id, error = %e, "lease release failed; it will expire");
            Exit::Drained
        }
    }
}
