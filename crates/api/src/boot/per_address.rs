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
//!   behind a proxy shares its address.
//!
//! A refused connection gets the same short 503 as one past the global
//! bound ([`super::server`]), naming which limit it met.

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

/// The open connections of each address.
pub struct PerAddress {
    open: Mutex<HashMap<IpAddr, usize>>,
    /// Connections one address may hold; 0: no bound.
    limit: usize,
    reserve: usize,
    exempt: Vec<IpNet>,
}

/// A connection counted against its address until dropped.
pub struct Held {
    owner: Arc<PerAddress>,
    key: Option<IpAddr>,
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut open = self.owner.lock();
        if let Some(n) = open.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&key);
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
    pub fn new(limit: usize, reserve: usize, exempt: Vec<IpNet>) -> Arc<Self> {
        Arc::new(Self { open: Mutex::new(HashMap::new()), limit, reserve, exempt })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        // Every update leaves the map whole: a panic elsewhere cannot break it.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a connection from `ip` that has a place of the global bound,
    /// `free` places being left after it, or says why not.
    pub fn admit(self: &Arc<Self>, ip: IpAddr, free: usize) -> Result<Held, Refusal> {
        if self.exempt.iter().any(|net| net.contains(&ip)) {
            return Ok(Held { owner: self.clone(), key: None });
        }
        let key = key(ip);
        let mut open = self.lock();
        let held = open.get(&key).copied().unwrap_or(0);
        if self.limit > 0 && held >= self.limit {
            return Err(Refusal::Address);
        }
        if held > 0 && free < self.reserve {
            return Err(Refusal::Reserve);
        }
        *open.entry(key).or_insert(0) += 1;
        Ok(Held { owner: self.clone(), key: Some(key) })
    }

    /// Addresses holding a connection now.
    pub fn addresses(&self) -> usize {
        self.lock().len()
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
        let p = PerAddress::new(2, 0, vec![]);
        let a = p.admit(ip("203.0.113.7"), 100).unwrap();
        let _b = p.admit(ip("203.0.113.7"), 100).unwrap();
        assert_eq!(p.admit(ip("203.0.113.7"), 100).err(), Some(Refusal::Address));
        assert!(p.admit(ip("203.0.113.8"), 100).is_ok(), "another address counts apart");
        drop(a);
        assert!(p.admit(ip("203.0.113.7"), 100).is_ok(), "its place is free again");
        let unbounded = PerAddress::new(0, 0, vec![]);
        let held: Vec<_> = (0..1000).map(|_| unbounded.admit(ip("203.0.113.7"), 100).unwrap()).collect();
        assert_eq!(held.len(), 1000, "0: no bound");
    }

    #[test]
    fn the_reserve_is_only_for_an_address_with_no_connection_open() {
        let p = PerAddress::new(0, 3, vec![]);
        let greedy = p.admit(ip("203.0.113.7"), 3).unwrap();
        assert_eq!(p.admit(ip("203.0.113.7"), 2).err(), Some(Refusal::Reserve), "a reserved place");
        assert!(p.admit(ip("203.0.113.7"), 3).is_ok(), "above the reserve it may");
        let health = p.admit(ip("198.51.100.1"), 0).expect("a new address takes the last reserved place");
        assert_eq!(p.admit(ip("198.51.100.1"), 1).err(), Some(Refusal::Reserve));
        drop((greedy, health));
    }

    #[test]
    fn ipv6_counts_per_64_mapped_ipv4_as_ipv4_and_trusted_proxies_are_exempt() {
        let p = PerAddress::new(1, 0, vec!["10.0.0.0/8".parse().unwrap()]);
        let _a = p.admit(ip("2001:db8:1:2::1"), 100).unwrap();
        assert_eq!(p.admit(ip("2001:db8:1:2:ffff::9"), 100).err(), Some(Refusal::Address), "the same /64");
        let _other = p.admit(ip("2001:db8:1:3::1"), 100).expect("another /64");
        let _v4 = p.admit(ip("192.0.2.1"), 100).unwrap();
        assert_eq!(p.admit(ip("::ffff:192.0.2.1"), 100).err(), Some(Refusal::Address), "the same IPv4");
        let proxied: Vec<_> = (0..50).map(|_| p.admit(ip("10.1.2.3"), 0).unwrap()).collect();
        assert_eq!((proxied.len(), p.addresses()), (50, 3), "a proxy is neither bounded nor counted");
    }
}
