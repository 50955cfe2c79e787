//! A TCP proxy in front of the test PostgreSQL server, which a test can
//! switch off (its port refuses, open connections are cut) and on again, or
//! freeze (connections stay open and are accepted, but no byte goes either
//! way, as with a stopped server or a black-holed network) and thaw: a
//! database outage for one authd without touching the server other tests
//! share.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

pub struct DbProxy {
    pub port: u16,
    upstream: String,
    task: Option<JoinHandle<()>>,
    /// Whether bytes flow (false: frozen).
    flowing: watch::Sender<bool>,
}

impl DbProxy {
    /// A proxy to `upstream` (`host:port`) on a free port, not yet serving.
    pub fn new(upstream: &str) -> Self {
        Self { port: free_port(), upstream: upstream.to_owned(), task: None, flowing: watch::Sender::new(true) }
    }

    /// Holds every byte, in either direction, of open connections and of
    /// new ones (accepted, not yet connected onward) until [`thaw`](Self::thaw).
    pub fn freeze(&self) {
        self.flowing.send_replace(false);
    }

    /// Lets the held bytes go on, in order.
    pub fn thaw(&self) {
        self.flowing.send_replace(true);
    }

    /// `url` (a PostgreSQL URL) with its host and port replaced by this proxy's.
    pub fn url_for(&self, url: &str) -> String {
        let (scheme_user, rest) = url.split_once('@').unwrap();
        let (_, path) = rest.split_once('/').unwrap();
        format!("{scheme_user}@127.0.0.1:{}/{path}", self.port)
    }

    /// Starts serving: connections are forwarded to the upstream.
    pub async fn up(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        let upstream = self.upstream.clone();
        let flowing = self.flowing.subscribe();
        self.task = Some(tokio::spawn(async move {
            // Dropped with this task: every forwarded connection is cut.
            let mut connections = JoinSet::new();
            loop {
                let (inbound, _) = listener.accept().await.unwrap();
                let upstream = upstream.clone();
                let mut flowing = flowing.clone();
                connections.spawn(async move {
                    if flowing.wait_for(|f| *f).await.is_err() {
                        return;
                    }
                    let Ok(outbound) = TcpStream::connect(upstream).await else { return };
                    let (from_client, to_client) = inbound.into_split();
                    let (from_server, to_server) = outbound.into_split();
                    let up = pump(from_client, to_server, flowing.clone());
                    let down = pump(from_server, to_client, flowing);
                    tokio::join!(up, down);
                });
            }
        }));
    }

    /// Stops serving: the port refuses and open connections are cut.
    pub async fn down(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Copies `from` to `to`, holding what it read while the proxy is frozen.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut flowing: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if flowing.wait_for(|f| *f).await.is_err() || to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// A fresh database on the test PostgreSQL server (its URL) and a proxy to
/// it, not yet serving; None without AUTHD_TEST_DATABASE_URL.
pub async fn fresh_database_behind_proxy() -> Option<(String, DbProxy)> {
    let admin = std::env::var(crate::testdb::POSTGRES_ENV).ok()?;
    let real = crate::testdb::create_postgres_database(&admin).await.unwrap();
    let proxy = DbProxy::new(&host_port(&real));
    Some((real, proxy))
}

/// A port on 127.0.0.1 nothing listens on (bound, then let go).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `host:port` of a PostgreSQL URL.
pub fn host_port(url: &str) -> String {
    let (_, rest) = url.split_once('@').unwrap();
    rest.split_once('/').unwrap().0.to_owned()
}
