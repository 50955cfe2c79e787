//! Who is calling, by network address. `X-Forwarded-For` is believed only
//! when the connection comes from a configured trusted proxy, and then only
//! up to the first address that is not itself a trusted proxy.

use std::net::IpAddr;

use domain::throttle::ClientAddress;
use ipnet::IpNet;
use poem::Request;

/// Networks whose `X-Forwarded-For` is believed (`AUTHD_TRUSTED_PROXIES`,
/// read by `config::server`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    /// Whether `ip` is a trusted proxy's address.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client behind `peer`, given the request's `X-Forwarded-For` values.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        // Right to left: each hop appended the address it saw.
        let hops = forwarded_for.iter().flat_map(|h| h.split(',')).map(str::trim).collect::<Vec<_>>();
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip) => client = ip,
                Ok(ip) => return ip,
                // A malformed entry ends what can be believed.
                Err(_) => return client,
            }
        }
        client
    }
}

/// The calling client's address, as a handler parameter: what the use
/// cases count per-address limits against; with the device's `User-Agent`,
/// which a login's event names.
pub struct ClientAddr(pub ClientAddress);

impl ClientAddr {
    /// The address `req` comes from, believing `proxies` (the handler
    /// parameter is built in `state.rs`, where the proxies are kept).
    pub fn of(req: &Request, proxies: &TrustedProxies) -> Self {
        let user_agent = req.headers().get("user-agent").and_then(|v| v.to_str().ok());
        let Some(peer) = req.remote_addr().as_socket_addr().map(|a| a.ip()) else {
            return ClientAddr(ClientAddress::with_user_agent("unknown".into(), user_agent));
        };
        let forwarded: Vec<&str> =
            req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        ClientAddr(ClientAddress::with_user_agent(proxies.client(peer, &forwarded).to_string(), user_agent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("203.0.113.9"), &["198.51.100.1"]), ip("203.0.113.9"));
        let proxies = proxies(&["10.0.0.0/8", "127.0.0.1/32"]);
        assert_eq!(proxies.client(ip("203.0.113.9"), &["198.51.100.1"]), ip("203.0.113.9"));
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_forwarded_address() {
        let proxies = proxies(&["10.0.0.0/8"]);
        // A client may prepend anything; only what trusted hops appended counts.
        assert_eq!(proxies.client(ip("10.0.0.2"), &["6.6.6.6, 198.51.100.1, 10.0.0.1"]), ip("198.51.100.1"));
        assert_eq!(proxies.client(ip("10.0.0.2"), &["6.6.6.6", "198.51.100.1"]), ip("198.51.100.1"));
        assert_eq!(proxies.client(ip("10.0.0.2"), &[]), ip("10.0.0.2"));
        assert_eq!(proxies.client(ip("10.0.0.2"), &["garbage, 10.0.0.1"]), ip("10.0.0.1"));
    }
}
