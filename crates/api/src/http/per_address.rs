//! Open connections per client address: one client holding connections
//! (10 000 idle keep-alives renewed every 75 s were enough) cannot take
//! every place `AUTHD_MAX_CONNECTIONS` allows and lock out everyone else,
//! health checks included.
//!
//! - an address holds at most `AUTHD_MAX_CONNECTIONS_PER_ADDRESS` open
//!   connections (IPv6 counted per /64, what one subscriber is given);
//! - the last [`reserve`] places are only for an address with no connection
//!   open, so a load balancer's or orchestrator's health check still gets
//!   in while a few clients hold the rest;
//! - the addresses of `AUTHD_TRUSTED_PROXIES` are exempt: every client
//!   behind a proxy shares its address. Behind them, the same bound holds
//!   for the requests in flight of each forwarded client address
//!   (`X-Forwarded-For`, as far as it is believed), counted by a second
//!   [`PerAddress`] in the HTTP layer ([`super::layer`]): a proxy
//!   opens a connection to authd for each request a client has in flight.
//!
//! A refused connection gets the same short 503 as one past the global
//! bound (`boot::server`), naming which limit it met.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use ipnet::IpNet;

/// The places kept for addresses with no connection open: a hundredth of
/// the global bound (none below 100 places).
pub fn reserve(max_connections: usize) -> usize {
    max_connections / 100
}

/// The default per-address bound: a tenth of the global bound, at least 64
/// (an office behind one NAT address opens many).
pub fn default_per_address(max_connections: usize) -> usize {
    (max_connections / 10).max(64)
}

/// Why a connection was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Its address holds as many connections as one may.
    Address,
    /// Only reserved places are left, and its address already holds one.
    Reserve,
}

/// The open connections (or requests in flight) of each address.
pub struct PerAddress {
    open: Mutex<Open>,
    /// Connections one address may hold; 0: no bound.
    limit: usize,
    reserve: usize,
    /// Places in all, for [`admit_request`](Self::admit_request).
    capacity: usize,
    exempt: Vec<IpNet>,
}

#[derive(Default)]
struct Open {
    by_address: HashMap<IpAddr, usize>,
    /// The sum of `by_address`.
    total: usize,
}

/// A connection counted against its address until dropped.
pub struct Held {
    owner: Arc<PerAddress>,
    key: Option<IpAddr>,
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut guard = self.owner.lock();
        let open = &mut *guard;
        if let Some(n) = open.by_address.get_mut(&key) {
            *n -= 1;
            open.total -= 1;
            if *n == 0 {
                open.by_address.remove(&key);
            }
        }
    }
}

/// The address a client is counted under: IPv4 as it is (also when written
/// as IPv4-mapped IPv6), IPv6 by its /64.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

impl PerAddress {
    /// A bound on each address out of `capacity` places in all, counted here.
    pub fn with_capacity(limit: usize, reserve: usize, capacity: usize, exempt: Vec<IpNet>) -> Arc<Self> {
        Arc::new(Self { open: Mutex::new(Open::default()), limit, reserve, capacity, exempt })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        // Every update leaves the map whole: a panic elsewhere cannot break it.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a connection from `ip` that has a place of the global bound,
    /// `free` places being left after it, or says why not.
    pub fn admit(self: &Arc<Self>, ip: IpAddr, free: usize) -> Result<Held, Refusal> {
        self.admit_where(ip, |_| free)
    }

    /// Takes a request in flight from `ip` (a client behind a trusted
    /// proxy) out of this bound's own capacity, or says why not.
    pub fn admit_request(self: &Arc<Self>, ip: IpAddr) -> Result<Held, Refusal> {
        let capacity = self.capacity;
        self.admit_where(ip, |total| capacity.saturating_sub(total + 1))
    }

    /// [`admit`](Self::admit) with the places left after this one computed
    /// from the total held, under the same lock.
    fn admit_where(self: &Arc<Self>, ip: IpAddr, free: impl FnOnce(usize) -> usize) -> Result<Held, Refusal> {
        if self.exempt.iter().any(|net| net.contains(&ip)) {
            return Ok(Held { owner: self.clone(), key: None });
        }
        let key = key(ip);
        let mut open = self.lock();
        let held = open.by_address.get(&key).copied().unwrap_or(0);
        if self.limit > 0 && held >= self.limit {
            return Err(Refusal::Address);
        }
        if held > 0 && free(open.total) < self.reserve {
            return Err(Refusal::Reserve);
        }
        *open.by_address.entry(key).or_insert(0) += 1;
        open.total += 1;
        Ok(Held { owner: self.clone(), key: Some(key) })
    }

    /// Addresses holding a connection now.
    pub fn addresses(&self) -> usize {
        self.lock().by_address.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_holds_at_most_its_bound_and_a_closed_connection_gives_its_place_back() {
        let p = PerAddress::with_capacity(2, 0, 0, vec![]);
        let a = p.admit(ip("203.0.113.7"), 100).unwrap();
        let _b = p.admit(ip("203.0.113.7"), 100).unwrap();
        assert_eq!(p.admit(ip("203.0.113.7"), 100).err(), Some(Refusal::Address));
        assert!(p.admit(ip("203.0.113.8"), 100).is_ok(), "another address counts apart");
        drop(a);
        assert!(p.admit(ip("203.0.113.7"), 100).is_ok(), "its place is free again");
        let unbounded = PerAddress::with_capacity(0, 0, 0, vec![]);
        let held: Vec<_> = (0..1000).map(|_| unbounded.admit(ip("203.0.113.7"), 100).unwrap()).collect();
        assert_eq!(held.len(), 1000, "0: no bound");
    }

    #[test]
    fn the_reserve_is_only_for_an_address_with_no_connection_open() {
        let p = PerAddress::with_capacity(0, 3, 0, vec![]);
        let greedy = p.admit(ip("203.0.113.7"), 3).unwrap();
        assert_eq!(p.admit(ip("203.0.113.7"), 2).err(), Some(Refusal::Reserve), "a reserved place");
        assert!(p.admit(ip("203.0.113.7"), 3).is_ok(), "above the reserve it may");
        let health = p.admit(ip("198.51.100.1"), 0).expect("a new address takes the last reserved place");
        assert_eq!(p.admit(ip("198.51.100.1"), 1).err(), Some(Refusal::Reserve));
        drop((greedy, health));
    }

    #[test]
    fn ipv6_counts_per_64_mapped_ipv4_as_ipv4_and_trusted_proxies_are_exempt() {
        let p = PerAddress::with_capacity(1, 0, 0, vec!["10.0.0.0/8".parse().unwrap()]);
        let _a = p.admit(ip("2001:db8:1:2::1"), 100).unwrap();
        assert_eq!(p.admit(ip("2001:db8:1:2:ffff::9"), 100).err(), Some(Refusal::Address), "the same /64");
        let _other = p.admit(ip("2001:db8:1:3::1"), 100).expect("another /64");
        let _v4 = p.admit(ip("192.0.2.1"), 100).unwrap();
        assert_eq!(p.admit(ip("::ffff:192.0.2.1"), 100).err(), Some(Refusal::Address), "the same IPv4");
        let proxied: Vec<_> = (0..50).map(|_| p.admit(ip("10.1.2.3"), 0).unwrap()).collect();
        assert_eq!((proxied.len(), p.addresses()), (50, 3), "a proxy is neither bounded nor counted");
    }

    #[test]
    fn requests_behind_a_proxy_are_bounded_per_forwarded_address_out_of_the_capacity_with_its_reserve() {
        let p = PerAddress::with_capacity(2, 1, 4, vec!["10.0.0.0/8".parse().unwrap()]);
        let a1 = p.admit_request(ip("203.0.113.7")).unwrap();
        let _a2 = p.admit_request(ip("203.0.113.7")).unwrap();
        assert_eq!(p.admit_request(ip("203.0.113.7")).err(), Some(Refusal::Address));
        let _b1 = p.admit_request(ip("198.51.100.1")).unwrap();
        // 3 of 4 held: the last place is the reserve, for an address with none.
        assert_eq!(p.admit_request(ip("198.51.100.1")).err(), Some(Refusal::Reserve));
        let c = p.admit_request(ip("192.0.2.9")).expect("an address with none takes the reserved place");
        assert!(p.admit_request(ip("10.9.9.9")).is_ok(), "the proxy's own requests are exempt");
        drop((a1, c));
        assert!(p.admit_request(ip("198.51.100.1")).is_ok(), "places given back when requests end");
    }
}
