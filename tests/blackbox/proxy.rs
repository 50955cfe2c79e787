//! A TCP proxy in front of the test PostgreSQL server, which a test can
//! switch off (its port refuses, open connections are cut) and on again:
//! a database outage for one authd without touching the server other tests
//! share.

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

pub struct DbProxy {
    pub port: u16,
    upstream: String,
    task: Option<JoinHandle<()>>,
}

impl DbProxy {
    /// A proxy to `upstream` (`host:port`) on a free port, not yet serving.
    pub fn new(upstream: &str) -> Self {
        Self { port: free_port(), upstream: upstream.to_owned(), task: None }
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
        self.task = Some(tokio::spawn(async move {
            // Dropped with this task: every forwarded connection is cut.
            let mut connections = JoinSet::new();
            loop {
                let (mut inbound, _) = listener.accept().await.unwrap();
                let upstream = upstream.clone();
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
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

/// A port on 127.0.0.1 nothing listens on (bound, then let go).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `host:port` of a PostgreSQL URL.
pub fn host_port(url: &str) -> String {
    let (_, rest) = url.split_once('@').unwrap();
    rest.split_once('/').unwrap().0.to_owned()
}
