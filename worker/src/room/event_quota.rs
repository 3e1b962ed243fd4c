//! The persisted-events quota: how many match events of one kind about one player a room
//! writes to `match_events`, per second (governor's GCRA; `--events-per-player-per-second`,
//! `--event-burst`). Events beyond it still happen in the game; they are only not
//! persisted (`orrery_worker_quota_refusals_total{quota="persisted_events"}`). Keys are
//! (player, kind), at most the room's players times the game's kinds, and are pruned at
//! each durable snapshot.

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use orrery_common::PlayerId;
use orrery_common::game::GameEvent;
use std::num::NonZeroU32;

/// The quota's flags.
#[derive(clap::Args, Clone, Debug)]
pub struct EventQuotaArgs {
    /// Match events of one kind about one player persisted per second (emotes, hits, ...).
    #[arg(long, env = "ORRERY_EVENTS_PER_PLAYER_PER_SECOND", default_value_t = 5)]
    pub events_per_player_per_second: u32,
    /// Burst of such events above the rate.
    #[arg(long, env = "ORRERY_EVENT_BURST", default_value_t = 20)]
    pub event_burst: u32,
}

impl EventQuotaArgs {
    pub fn quota(&self) -> Quota {
        let rate = NonZeroU32::new(self.events_per_player_per_second.max(1)).expect("at least 1");
        Quota::per_second(rate).allow_burst(NonZeroU32::new(self.event_burst.max(1)).expect("at least 1"))
    }
}

impl Default for EventQuotaArgs {
    fn default() -> Self {
        Self { events_per_player_per_second: 5, event_burst: 20 }
    }
}

type Key = (PlayerId, String);

/// One room's persisted-events limiter.
pub struct EventQuota<C: Clock + Clone = DefaultClock> {
    limiter: RateLimiter<Key, HashMapStateStore<Key>, C, NoOpMiddleware<C::Instant>>,
}

impl Default for EventQuota {
    fn default() -> Self {
        Self::new(EventQuotaArgs::default().quota())
    }
}

impl EventQuota {
    pub fn new(quota: Quota) -> Self {
        Self::with_clock(quota, DefaultClock::default())
    }
}

impl<C: Clock + Clone> EventQuota<C> {
    pub fn with_clock(quota: Quota, clock: C) -> Self {
        Self { limiter: RateLimiter::hashmap_with_clock(quota, clock) }
    }

    /// Whether `event` may be persisted. Events about no player (the match's end) always are.
    pub fn allows(&self, event: &GameEvent) -> bool {
        match event.player {
            Some(player) => self.limiter.check_key(&(player, event.kind.clone())).is_ok(),
            None => true,
        }
    }

    /// Forget the keys back at a full allowance.
    pub fn prune(&self) {
        self.limiter.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    fn event(kind: &str, player: Option<PlayerId>) -> GameEvent {
        GameEvent { kind: kind.into(), player, detail: serde_json::Value::Null }
    }

    #[test]
    fn each_player_and_kind_has_its_own_burst_and_rate() {
        let clock = FakeRelativeClock::default();
        let args = EventQuotaArgs { events_per_player_per_second: 2, event_burst: 3 };
        let quota = EventQuota::with_clock(args.quota(), clock.clone());
        let (ada, bob) = (PlayerId::random(), PlayerId::random());
        assert_eq!((0..10).filter(|_| quota.allows(&event("emote", Some(ada)))).count(), 3);
        assert!(quota.allows(&event("hit", Some(ada))), "another kind has its own allowance");
        assert!(quota.allows(&event("emote", Some(bob))), "another player has their own");
        assert!((0..10).all(|_| quota.allows(&event("match_over", None))), "events about nobody are not limited");
        clock.advance(Duration::from_secs(1));
        assert_eq!((0..10).filter(|_| quota.allows(&event("emote", Some(ada)))).count(), 2);
    }
}
