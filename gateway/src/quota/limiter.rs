//! A per-key rate limit (governor's GCRA) whose key set is bounded: keys idle long enough
//! to be back at a full burst are pruned periodically and whenever the set is full, and a
//! new key is refused while the set stays full, so a caller with many addresses or
//! tokens cannot grow the gateway's memory.

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use std::hash::Hash;
use std::num::NonZeroU32;
use std::time::Duration;

/// A refusal: which quota, and when a retry may succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("too many requests ({quota}); retry after {} s", retry_after.as_secs().max(1))]
pub struct QuotaRefused {
    pub quota: &'static str,
    pub retry_after: Duration,
}

/// `per_minute` events per minute per key, bursts up to `burst`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

impl Rate {
    fn quota(self) -> Quota {
        let burst = NonZeroU32::new(self.burst.max(1)).expect("at least 1");
        let period = Duration::from_secs(60) / self.per_minute.max(1);
        Quota::with_period(period).expect("a positive period").allow_burst(burst)
    }
}

/// A bounded keyed limiter named after its quota.
pub struct KeyedLimit<K: Hash + Eq + Clone, C: Clock + Clone = DefaultClock> {
    name: &'static str,
    limiter: RateLimiter<K, HashMapStateStore<K>, C, NoOpMiddleware<C::Instant>>,
    clock: C,
    max_keys: usize,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    pub fn new(name: &'static str, rate: Rate, max_keys: usize) -> Self {
        Self::with_clock(name, rate, max_keys, DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> KeyedLimit<K, C> {
    pub fn with_clock(name: &'static str, rate: Rate, max_keys: usize, clock: C) -> Self {
        Self { name, limiter: RateLimiter::hashmap_with_clock(rate.quota(), clock.clone()), clock, max_keys: max_keys.max(1) }
    }

    /// Take one from `key`'s allowance.
    pub fn check(&self, key: &K) -> Result<(), QuotaRefused> {
        if self.limiter.len() >= self.max_keys {
            self.prune();
            if self.limiter.len() >= self.max_keys {
                return Err(QuotaRefused { quota: self.name, retry_after: Duration::from_secs(1) });
            }
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| QuotaRefused { quota: self.name, retry_after: not_until.wait_time_from(self.clock.now()) })
    }

    /// Forget the keys that are back at a full allowance.
    pub fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// Keys remembered now.
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    #[test]
    fn a_key_gets_its_burst_then_the_rate_and_others_are_unaffected() {
        let clock = FakeRelativeClock::default();
        let limit = KeyedLimit::with_clock("test", Rate { per_minute: 60, burst: 3 }, 100, clock.clone());
        assert!((0..3).all(|_| limit.check(&"a").is_ok()));
        let refused = limit.check(&"a").unwrap_err();
        assert_eq!(refused.quota, "test");
        assert!(refused.retry_after > Duration::ZERO && refused.retry_after <= Duration::from_secs(1), "{refused:?}");
        assert!(limit.check(&"b").is_ok(), "another key has its own allowance");
        clock.advance(Duration::from_secs(1));
        assert!(limit.check(&"a").is_ok());
        assert!(limit.check(&"a").is_err());
    }

    #[test]
    fn the_key_set_is_bounded_and_idle_keys_are_pruned() {
        let clock = FakeRelativeClock::default();
        let limit = KeyedLimit::with_clock("test", Rate { per_minute: 60, burst: 2 }, 3, clock.clone());
        for k in 0..3 {
            limit.check(&k).unwrap();
        }
        assert!(limit.check(&99).is_err(), "a fourth key while three are busy is refused");
        assert_eq!(limit.len(), 3);
        clock.advance(Duration::from_secs(5));
        assert!(limit.check(&99).is_ok(), "idle keys were pruned to make room");
        assert_eq!(limit.len(), 1);
    }
}
