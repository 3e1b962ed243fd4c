//! What a worker does after it closed a room for good: count the results
//! into the live leaderboard once, forget every Redis key of the room (see
//! [`orrery_common::lifecycle`]) and tell every gateway (`rooms.closed`) so they drop
//! their subscription and tell their clients.

use crate::Shared;
use orrery_common::RoomId;
use orrery_common::game::PlayerResult;
use tracing::warn;

/// Best effort: a gateway that hears `rooms.closed` runs the same idempotent clean-up
/// (with the results read from PostgreSQL), and the leaderboard can be rebuilt.
pub async fn after_close(shared: &Shared, room: RoomId, results: &[PlayerResult]) {
    let mut redis = shared.hot.connection();
    if let Err(e) = orrery_common::lifecycle::forget_room(&mut redis, &shared.names, room, results).await {
        warn!(%room, error = %e, "room keys not forgotten; the gateways retry");
    }
    if let Err(e) = shared.nats.publish(shared.names.rooms_closed(), room.to_string().into()).await {
        warn!(%room, error = %e, "room closing not announced");
    }
}
