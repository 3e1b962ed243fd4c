//! Open sockets per player and per client address on this gateway: a [`SocketPermit`] is
//! taken before the upgrade (refused with 429 at the limit) and held by the socket until
//! it closes. Entries exist only while a socket holds them, so the maps are bounded by the
//! open sockets.

use super::limiter::QuotaRefused;
use orrery_common::PlayerId;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A client address as quotas count it: IPv4 as is, IPv6 by its /64 (one subscriber).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientAddr(IpAddr);

impl From<IpAddr> for ClientAddr {
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                ClientAddr(IpAddr::V6(bits.into()))
            }
            v4 => ClientAddr(v4),
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    players: HashMap<PlayerId, u32>,
    addrs: HashMap<ClientAddr, u32>,
}

/// The open-socket counts and their limits.
#[derive(Debug)]
pub struct SocketCounts {
    per_player: u32,
    per_addr: u32,
    counts: Arc<Mutex<Counts>>,
}

impl SocketCounts {
    pub fn new(per_player: u32, per_addr: u32) -> Self {
        Self { per_player, per_addr, counts: Arc::default() }
    }

    /// Count one more socket for `player` from `addr`, or refuse it.
    pub fn acquire(&self, player: PlayerId, addr: ClientAddr) -> Result<SocketPermit, QuotaRefused> {
        let mut c = self.counts.lock().expect("poisoned");
        let refuse = |quota| Err(QuotaRefused { quota, retry_after: Duration::from_secs(5) });
        if c.players.get(&player).copied().unwrap_or(0) >= self.per_player {
            return refuse(super::SOCKETS_PER_PLAYER);
        }
        if c.addrs.get(&addr).copied().unwrap_or(0) >= self.per_addr {
            return refuse(super::SOCKETS_PER_ADDRESS);
        }
        *c.players.entry(player).or_default() += 1;
        *c.addrs.entry(addr).or_default() += 1;
        Ok(SocketPermit { player, addr, counts: self.counts.clone() })
    }
}

/// One open socket's place in the counts, given back when dropped.
#[derive(Debug)]
pub struct SocketPermit {
    player: PlayerId,
    addr: ClientAddr,
    counts: Arc<Mutex<Counts>>,
}

/// A permit on its way from the quota middleware to the socket, in the request's
/// extensions (which must be `Clone`): the handler takes it out once.
#[derive(Clone, Debug, Default)]
pub struct PermitSlot(Arc<Mutex<Option<SocketPermit>>>);

impl PermitSlot {
    pub fn new(permit: SocketPermit) -> Self {
        Self(Arc::new(Mutex::new(Some(permit))))
    }

    pub fn take(&self) -> Option<SocketPermit> {
        self.0.lock().expect("poisoned").take()
    }
}

impl Drop for SocketPermit {
    fn drop(&mut self) {
        let mut c = self.counts.lock().expect("poisoned");
        fn release<K: std::hash::Hash + Eq>(map: &mut HashMap<K, u32>, key: &K) {
            if let Some(n) = map.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(key);
                }
            }
        }
        release(&mut c.players, &self.player);
        release(&mut c.addrs, &self.addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_are_counted_per_player_and_per_address_and_given_back() {
        let counts = SocketCounts::new(2, 3);
        let (ada, bob, cy) = (PlayerId::random(), PlayerId::random(), PlayerId::random());
        let home = ClientAddr::from("10.0.0.1".parse::<IpAddr>().unwrap());
        let a1 = counts.acquire(ada, home).unwrap();
        let _a2 = counts.acquire(ada, home).unwrap();
        assert_eq!(counts.acquire(ada, home).unwrap_err().quota, super::super::SOCKETS_PER_PLAYER);
        let _b1 = counts.acquire(bob, home).unwrap();
        assert_eq!(counts.acquire(cy, home).unwrap_err().quota, super::super::SOCKETS_PER_ADDRESS);
        drop(a1);
        assert!(counts.acquire(cy, home).is_ok(), "a closed socket gives its place back");
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix() {
        let a = ClientAddr::from("2001:db8:1:2::1".parse::<IpAddr>().unwrap());
        let b = ClientAddr::from("2001:db8:1:2:ffff::9".parse::<IpAddr>().unwrap());
        let c = ClientAddr::from("2001:db8:1:3::1".parse::<IpAddr>().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mapped = ClientAddr::from("::ffff:10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(mapped, ClientAddr::from("10.0.0.1".parse::<IpAddr>().unwrap()));
    }
}
