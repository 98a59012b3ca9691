//! The per-client limit on voter lookups, so that nobody can copy the registry by asking for
//! every id. The design, and why it holds under attack, is in docs/web.md; in short:
//!
//! - A client is its IPv4 address, or its IPv6 /64 (one subscriber usually holds a whole /64,
//!   so counting single IPv6 addresses would give each attacker billions of clients).
//! - Clients are also counted together by network, an IPv4 /24 or an IPv6 /48
//!   ([`ClientKey::network_of`]), with a larger budget: renting many addresses in one block
//!   buys an attacker no more than the block's budget. And the whole server has a budget of its
//!   own, so that scraping from many networks cannot take more than a stated rate.
//! - Each client has a GCRA bucket (the "generic cell rate algorithm", a token bucket kept as
//!   one number: the theoretical arrival time): `limit` lookups at once, then one every
//!   `60 / limit` seconds.
//! - Memory is bounded: [`SHARDS`] shards of at most [`PER_SHARD`] clients. A client whose
//!   bucket is full again is the same as an absent one, so it can be dropped; when a shard is
//!   full of clients that are all still limited, a newcomer is charged to one shared overflow
//!   bucket instead. Flooding the table with fresh addresses thus never frees an attacker's own
//!   entries, never grows memory, and at worst slows newcomers, never the server.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderName};
use ipnet::IpNet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Shards of the client table (fewer lock collisions).
pub const SHARDS: usize = 64;
/// Clients per shard: 64 x 16,384, about a million clients in some 40 MB at most.
pub const PER_SHARD: usize = 16_384;
/// The overflow bucket allows this many times a client's rate, shared by all newcomers.
const OVERFLOW_FACTOR: u64 = 64;

/// A client, as the limit sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey(u128);

impl ClientKey {
    /// The key of an address: IPv4 whole, IPv6 by its /64 (IPv4-mapped IPv6 as IPv4).
    #[must_use]
    pub fn of(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => Self(u128::from(u32::from(v4))),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(u128::from(u32::from(v4))),
                None => Self((u128::from(v6) >> 64 << 64) | 1),
            },
        }
    }

    /// The network an address is counted with: its IPv4 /24, or its IPv6 /48 (IPv4-mapped IPv6
    /// as IPv4).
    #[must_use]
    pub fn network_of(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => Self(u128::from(u32::from(v4) >> 8 << 8)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(u128::from(u32::from(v4) >> 8 << 8)),
                None => Self((u128::from(v6) >> 80 << 80) | 1),
            },
        }
    }

    /// A key that is not an address (a volunteer's, from a hash of their pseudonym), for a
    /// limiter that counts nothing else.
    #[must_use]
    pub const fn named(value: u128) -> Self {
        Self(value)
    }

    /// The key for requests whose address is unknown (in-process tests): all share one.
    #[must_use]
    pub const fn unknown() -> Self {
        Self(u128::MAX)
    }
}

/// A reverse proxy or CDN in front of the server: the header in which it names the client, and
/// the address blocks it connects from. The header is believed only on a connection from one of
/// those blocks (anyone else could write any address in it), and it is read from the right,
/// skipping the trusted proxies' own addresses (a CDN in front of a local proxy appends two), so
/// that the client is the first address that no trusted proxy wrote for itself; the addresses
/// further left are the client's to forge.
#[derive(Clone, Debug)]
pub struct TrustedProxy {
    /// `X-Forwarded-For`, or a CDN's header holding one address (`CF-Connecting-IP`).
    pub header: HeaderName,
    /// The proxies' address blocks.
    pub networks: Vec<IpNet>,
}

impl TrustedProxy {
    fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.networks
            .iter()
            .any(|network| network.contains(&address))
    }

    /// The client's address, from the peer's address and the request's headers.
    #[must_use]
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let items: Vec<&str> = headers
            .get_all(&self.header)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for item in items.iter().rev() {
            // Something not an address is where what the proxies wrote ends: the last
            // trusted hop is the client as far as anyone can tell.
            let Ok(address) = item.parse::<IpAddr>() else {
                break;
            };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        client
    }
}

/// IPv4-mapped IPv6 as IPv4, so that a block matches however the address was written.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

#[derive(Debug)]
struct Shard {
    /// Theoretical arrival time of each client's next allowed request, in nanoseconds since
    /// the limiter started.
    clients: HashMap<ClientKey, u64>,
    /// When this shard was last swept of clients whose bucket is full again.
    last_sweep: u64,
}

/// A full shard is swept at most this often, so that a flood of newcomers costs a hash lookup
/// each, not a sweep each.
const SWEEP_EVERY: u64 = 1_000_000_000;

/// The limiter. `limit == 0` turns it off.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u64,
    /// Nanoseconds between two requests at the sustained rate.
    interval: u64,
    /// How far ahead of now the arrival time may run: the burst.
    tolerance: u64,
    shards: Vec<Mutex<Shard>>,
    overflow: Mutex<u64>,
    hasher: RandomState,
    start: Instant,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` lookups a minute per client (0: no limit).
    #[must_use]
    pub fn new(per_minute: u32) -> Self {
        let limit = u64::from(per_minute);
        let interval = 60_000_000_000 / limit.max(1);
        Self {
            limit,
            interval,
            tolerance: interval * limit.saturating_sub(1),
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        clients: HashMap::new(),
                        last_sweep: 0,
                    })
                })
                .collect(),
            overflow: Mutex::new(0),
            hasher: RandomState::new(),
            start: Instant::now(),
        }
    }

    /// Whether the limit is on.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.limit > 0
    }

    /// Counts one lookup by `client` now; `Err` holds how long to wait.
    pub fn check(&self, client: ClientKey) -> Result<(), Duration> {
        self.check_at(client, Instant::now())
    }

    /// [`Self::check`] at a given instant (for tests).
    pub fn check_at(&self, client: ClientKey, now: Instant) -> Result<(), Duration> {
        if self.limit == 0 {
            return Ok(());
        }
        let now =
            u64::try_from(now.saturating_duration_since(self.start).as_nanos()).unwrap_or(u64::MAX);
        let index = usize::try_from(self.hasher.hash_one(client) % SHARDS as u64).unwrap_or(0);
        let Some(shard) = self.shards.get(index) else {
            return Ok(());
        };
        let mut shard = shard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(arrival) = shard.clients.get_mut(&client) {
            return self.charge(arrival, now, 1);
        }
        if shard.clients.len() >= PER_SHARD && now >= shard.last_sweep + SWEEP_EVERY {
            // Clients whose bucket has filled up again are the same as absent ones.
            shard.clients.retain(|_, arrival| *arrival > now);
            shard.last_sweep = now;
        }
        if shard.clients.len() >= PER_SHARD {
            drop(shard);
            let mut overflow = self
                .overflow
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            return self.charge(&mut overflow, now, OVERFLOW_FACTOR);
        }
        let mut arrival = now;
        let result = self.charge(&mut arrival, now, 1);
        shard.clients.insert(client, arrival);
        result
    }

    /// GCRA: allow when the arrival time is at most `tolerance` ahead of now, then move it on
    /// by one interval (divided by `share` for a bucket shared at `share` times the rate).
    fn charge(&self, arrival: &mut u64, now: u64, share: u64) -> Result<(), Duration> {
        let interval = self.interval / share;
        let tolerance = self.tolerance.max(interval * (share - 1));
        let base = (*arrival).max(now);
        if base - now > tolerance {
            let wait = base - now - tolerance;
            return Err(Duration::from_nanos(wait));
        }
        *arrival = base + interval;
        Ok(())
    }

    /// Clients currently tracked (for tests and logs).
    #[must_use]
    pub fn tracked(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                shard
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clients
                    .len()
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    fn v4(n: u32) -> ClientKey {
        ClientKey::of(IpAddr::V4(Ipv4Addr::from(n)))
    }

    fn proxy(networks: &[&str]) -> TrustedProxy {
        TrustedProxy {
            header: HeaderName::from_static("x-forwarded-for"),
            networks: networks
                .iter()
                .map(|network| network.parse().unwrap_or_else(|e| panic!("{network}: {e}")))
                .collect(),
        }
    }

    fn client(proxy: &TrustedProxy, peer: &str, forwarded: &[&str]) -> String {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append(
                "x-forwarded-for",
                value.parse().unwrap_or_else(|e| panic!("{e}")),
            );
        }
        let peer = peer.parse().unwrap_or_else(|e| panic!("{peer}: {e}"));
        proxy.client(peer, &headers).to_string()
    }

    #[test]
    fn a_forwarded_address_is_believed_only_from_a_trusted_proxy() {
        let proxy = proxy(&["10.0.0.0/8", "2001:db8:ff::/48"]);
        // A client that connects directly cannot name itself.
        assert_eq!(
            client(&proxy, "198.51.100.7", &["203.0.113.1"]),
            "198.51.100.7"
        );
        // Through the proxy: the last address, the one the proxy saw.
        assert_eq!(client(&proxy, "10.1.2.3", &["203.0.113.1"]), "203.0.113.1");
        // Addresses the client wrote itself, further left, are not believed.
        assert_eq!(
            client(&proxy, "10.1.2.3", &["192.0.2.66, 203.0.113.1"]),
            "203.0.113.1"
        );
        // A CDN in front of a local proxy: both hops are skipped, over several header lines.
        assert_eq!(
            client(&proxy, "10.1.2.3", &["192.0.2.66, 203.0.113.1", "10.9.9.9"]),
            "203.0.113.1"
        );
        // IPv4-mapped IPv6 peers match IPv4 blocks; IPv6 proxies work the same way.
        assert_eq!(
            client(&proxy, "::ffff:10.0.0.1", &["203.0.113.1"]),
            "203.0.113.1"
        );
        assert_eq!(
            client(&proxy, "2001:db8:ff::1", &["2001:db8:1::5"]),
            "2001:db8:1::5"
        );
        // No header, or garbage in it: the last trusted hop is all anyone knows.
        assert_eq!(client(&proxy, "10.1.2.3", &[]), "10.1.2.3");
        assert_eq!(client(&proxy, "10.1.2.3", &["unknown"]), "10.1.2.3");
        assert_eq!(
            client(&proxy, "10.1.2.3", &["203.0.113.1, garbage, 10.2.2.2"]),
            "10.2.2.2"
        );
    }

    #[test]
    fn a_client_gets_its_burst_then_one_per_interval() {
        let limiter = RateLimiter::new(6);
        let start = limiter.start;
        let client = v4(1);
        for _ in 0..6 {
            assert!(limiter.check_at(client, start).is_ok());
        }
        let wait = limiter.check_at(client, start).unwrap_err();
        assert_eq!(wait, Duration::from_secs(10));
        assert!(
            limiter.check_at(v4(2), start).is_ok(),
            "others are not held"
        );
        assert!(
            limiter
                .check_at(client, start + Duration::from_secs(10))
                .is_ok()
        );
        assert!(
            limiter
                .check_at(client, start + Duration::from_secs(11))
                .is_err()
        );
    }

    #[test]
    fn zero_turns_it_off() {
        let limiter = RateLimiter::new(0);
        for _ in 0..10_000 {
            assert!(limiter.check(v4(1)).is_ok());
        }
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn ipv6_clients_are_their_slash_64() {
        let a: Ipv6Addr = "2001:db8:1:2::1".parse().unwrap();
        let b: Ipv6Addr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientKey::of(a.into()), ClientKey::of(b.into()));
        assert_ne!(ClientKey::of(a.into()), ClientKey::of(c.into()));
        let mapped: Ipv6Addr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(
            ClientKey::of(mapped.into()),
            ClientKey::of(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)))
        );
    }

    #[test]
    fn a_flood_of_addresses_neither_grows_memory_nor_frees_a_limited_client() {
        let limiter = RateLimiter::new(2);
        let now = limiter.start;
        let attacker = v4(7);
        assert!(limiter.check_at(attacker, now).is_ok());
        assert!(limiter.check_at(attacker, now).is_ok());
        assert!(limiter.check_at(attacker, now).is_err());
        let flood = u32::try_from(SHARDS * PER_SHARD * 2).unwrap();
        let mut refused = 0u32;
        for n in 100..100 + flood {
            if limiter.check_at(v4(n), now).is_err() {
                refused += 1;
            }
        }
        assert!(limiter.tracked() <= SHARDS * PER_SHARD);
        assert!(refused > 0, "the overflow bucket limits newcomers");
        assert!(
            limiter.check_at(attacker, now).is_err(),
            "still limited after the flood"
        );
        // A minute later every bucket is full again and the table makes room.
        let later = now + Duration::from_secs(61);
        assert!(limiter.check_at(v4(u32::MAX), later).is_ok());
        assert!(limiter.check_at(attacker, later).is_ok());
    }
}
