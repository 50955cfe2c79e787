//! The node and its HTTP server: where it listens, its data, its bounds
//! against slow or greedy clients, and what it tells browsers.

use std::net::IpAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use serde::Deserialize;

use super::section::{section, words};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunEnv {
    Dev,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

words!(RunEnv, LogFormat);

section! {
    /// Settings of the node and its HTTP server.
    pub struct Server {
        /// `AUTHD_ENV`: `dev` or `production` (which refuses unsafe defaults).
        pub env: RunEnv = RunEnv::Dev,
        /// `AUTHD_LISTEN`: address to serve on; port 0 picks a free one.
        pub listen: String = "127.0.0.1:8000".into(),
        /// `AUTHD_PUBLIC_URL`: the address people reach authd at
        /// (`https://id.example.com`); every link in a mail starts with it,
        /// never with a request's Host. Default `http://localhost:<port of
        /// AUTHD_LISTEN>` (the port it got, for port 0); production needs it.
        pub public_url: Option<String> = None,
        /// `AUTHD_DATA_DIR`: where the embedded defaults live.
        pub data_dir: PathBuf = PathBuf::from("./data"),
        /// `AUTHD_LOG_FORMAT`: `pretty` or `json`; default: json in production.
        pub log_format: Option<LogFormat> = None,
        /// `AUTHD_UI`: serve the web pages under `/ui` (default `true`).
        pub ui: bool = true,
        /// `AUTHD_BODY_LIMIT`: largest request body in bytes.
        pub body_limit: usize = 64 * 1024,
        /// `AUTHD_HEADER_TIMEOUT_MS`: a request head must arrive whole within
        /// this time of its first byte (or of the connection opening).
        pub header_timeout_ms: u64 = 10_000,
        /// `AUTHD_BODY_TIMEOUT_MS`: a request body must arrive whole within this
        /// time of its head; past it the answer is 408 and the connection closes.
        pub body_timeout_ms: u64 = 10_000,
        /// `AUTHD_KEEP_ALIVE_TIMEOUT_MS`: a connection idle between requests
        /// this long is closed.
        pub keep_alive_timeout_ms: u64 = 75_000,
        /// `AUTHD_MAX_CONNECTIONS`: connections open at once; one more is
        /// answered 503. Default: 10 000, or 3/4 of the open-file limit if lower.
        pub max_connections: Option<usize> = None,
        /// `AUTHD_MAX_CONNECTIONS_PER_ADDRESS`: connections one client
        /// address (an IPv6 /64) may hold open at once; one more is answered
        /// 503. Default: a tenth of `AUTHD_MAX_CONNECTIONS`, at least 64; 0:
        /// no bound. `AUTHD_TRUSTED_PROXIES` are exempt.
        pub max_connections_per_address: Option<usize> = None,
        /// `AUTHD_SHUTDOWN_GRACE_MS`: on SIGTERM, how long requests in flight
        /// may take to finish before their connections are cut.
        pub shutdown_grace_ms: u64 = 10_000,
        /// `AUTHD_METRICS_LISTEN`: serve `/metrics` on this address only (say,
        /// one the load balancer does not expose); unset: on `AUTHD_LISTEN`.
        pub metrics_listen: Option<String> = None,
        /// `AUTHD_HSTS_SECONDS`: send `Strict-Transport-Security` with this
        /// max-age (0: off; set it behind TLS).
        pub hsts_seconds: u64 = 0,
        /// `AUTHD_TRUSTED_PROXIES`: comma-separated addresses or networks whose
        /// `X-Forwarded-For` is believed. Empty: the peer address is the client.
        pub trusted_proxies: String = String::new(),
        /// `AUTHD_CORS_ORIGINS`: comma-separated origins browsers may call
        /// from. Empty: CORS off.
        pub cors_origins: String = String::new(),
    }
}

impl Server {
    pub fn production(&self) -> bool {
        self.env == RunEnv::Production
    }

    /// The log format: as configured, else json in production and pretty in dev.
    pub fn log_format(&self) -> LogFormat {
        self.log_format.unwrap_or(if self.production() { LogFormat::Json } else { LogFormat::Pretty })
    }

    /// The networks of `AUTHD_TRUSTED_PROXIES`: addresses and CIDR networks,
    /// comma-separated.
    pub fn trusted_proxies(&self) -> Result<Vec<IpNet>, String> {
        let items = self.trusted_proxies.split(',').map(str::trim).filter(|s| !s.is_empty());
        items
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("AUTHD_TRUSTED_PROXIES: {item:?} is no address or network"))
            })
            .collect()
    }

    /// Origins allowed by CORS; none means CORS is off.
    pub fn cors_origins(&self) -> Vec<String> {
        self.cors_origins.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
    }

    /// Where people reach authd: `AUTHD_PUBLIC_URL` without a trailing
    /// slash, or `http://localhost:<port>` with the port authd listens on.
    pub fn public_url(&self, listening_on: Option<u16>) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let configured = self.listen.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok());
                format!("http://localhost:{}", listening_on.or(configured).unwrap_or(8000))
            }
        }
    }

    pub(super) fn problems(&self, problems: &mut Vec<String>) {
        match &self.public_url {
            Some(url) if !public_url_is_usable(url) => problems.push(format!(
                "AUTHD_PUBLIC_URL must be an http:// or https:// address with a host and no query, fragment or spaces (got {url:?})"
            )),
            None if self.production() => problems.push(
                "AUTHD_PUBLIC_URL must be set when AUTHD_ENV=production: every link in a mail starts with it (say https://id.example.com)".into(),
            ),
            _ => {}
        }
        if let Err(e) = self.trusted_proxies() {
            problems.push(e);
        }
        for (name, v) in [
            ("AUTHD_HEADER_TIMEOUT_MS", self.header_timeout_ms),
            ("AUTHD_BODY_TIMEOUT_MS", self.body_timeout_ms),
            ("AUTHD_KEEP_ALIVE_TIMEOUT_MS", self.keep_alive_timeout_ms),
        ] {
            if v == 0 {
                problems.push(format!("{name} must be at least 1"));
            }
        }
        if self.max_connections == Some(0) {
            problems.push("AUTHD_MAX_CONNECTIONS must be at least 1".into());
        }
    }
}

/// Whether `url` can start a link: `http://` or `https://`, a host, maybe a
/// port and a path, nothing a link could not be appended to.
fn public_url_is_usable(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or("");
    !host.is_empty() && !url.contains(['?', '#', ' ', '\t', '\n', '"', '<', '>', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_is_an_http_address_without_a_query_and_production_needs_one() {
        for good in ["https://id.example.com", "http://localhost:8000", "https://example.com/auth/"] {
            let s = Server { public_url: Some(good.into()), ..Default::default() };
            let mut problems = Vec::new();
            s.problems(&mut problems);
            assert!(problems.is_empty(), "{good}: {problems:?}");
        }
        for bad in ["id.example.com", "ftp://x", "https://", "https://x/?a=b", "https://x/#f", "https://x y"] {
            let s = Server { public_url: Some(bad.into()), ..Default::default() };
            let mut problems = Vec::new();
            s.problems(&mut problems);
            assert!(problems.iter().any(|p| p.contains("AUTHD_PUBLIC_URL")), "{bad}");
        }
        let prod = Server { env: RunEnv::Production, ..Default::default() };
        let mut problems = Vec::new();
        prod.problems(&mut problems);
        assert!(problems.iter().any(|p| p.contains("AUTHD_PUBLIC_URL must be set")), "{problems:?}");
        let s = Server { public_url: Some("https://id.example.com/".into()), ..Default::default() };
        assert_eq!(s.public_url(Some(1234)), "https://id.example.com", "no trailing slash");
        let s = Server { listen: "127.0.0.1:0".into(), ..Default::default() };
        assert_eq!(s.public_url(Some(40123)), "http://localhost:40123", "the port it got");
        assert_eq!(Server::default().public_url(None), "http://localhost:8000");
    }

    #[test]
    fn trusted_proxies_must_be_addresses_or_networks() {
        let s = Server { trusted_proxies: "10.0.0.0/8, ::1,192.0.2.7".into(), ..Default::default() };
        assert_eq!(s.trusted_proxies().unwrap().len(), 3);
        let s = Server { trusted_proxies: "not-an-ip".into(), ..Default::default() };
        assert!(s.trusted_proxies().unwrap_err().contains("AUTHD_TRUSTED_PROXIES"));
    }
}
