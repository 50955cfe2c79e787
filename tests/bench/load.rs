//! A small closed-loop load generator: N keep-alive HTTP/1 connections, each
//! running one scenario step after another until the deadline, with every
//! step's latency in an HDR histogram.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One keep-alive connection.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(Self { sender, host: addr.to_string() })
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        json: Option<&str>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let mut req = Request::builder().method(method).uri(path).header("host", &self.host);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let body = match json {
            Some(j) => {
                req = req.header("content-type", "application/json");
                Full::new(Bytes::copy_from_slice(j.as_bytes()))
            }
            None => Full::new(Bytes::new()),
        };
        self.sender.ready().await?;
        let resp = self.sender.send_request(req.body(body)?).await?;
        let status = resp.status();
        Ok((status, resp.into_body().collect().await?.to_bytes()))
    }
}

/// One unit of work on a connection (a request, or a whole login flow).
pub trait Step: Send + 'static {
    /// `Ok(true)` for a success, `Ok(false)` for an unexpected answer.
    fn step(&mut self, conn: &mut Conn) -> impl Future<Output = anyhow::Result<bool>> + Send;
}

#[derive(Clone)]
pub struct Stats {
    pub ops: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency_us: Histogram<u64>,
}

impl Stats {
    pub fn rate(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }
    pub fn p(&self, q: f64) -> f64 {
        self.latency_us.value_at_quantile(q) as f64 / 1000.0
    }
}

/// Runs one `Step` per connection for `duration`; merges their figures.
pub async fn run<S: Step>(addr: SocketAddr, steps: Vec<S>, duration: Duration) -> anyhow::Result<Stats> {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mut s in steps {
        let mut conn = Conn::open(addr).await?;
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
            let (mut ops, mut errors) = (0u64, 0u64);
            while Instant::now() < deadline {
                let t = Instant::now();
                match s.step(&mut conn).await {
                    Ok(true) => {
                        ops += 1;
                        hist.saturating_record(t.elapsed().as_micros() as u64);
                    }
                    Ok(false) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        // A broken connection: open a new one and go on.
                        match Conn::open(conn_addr(&conn)).await {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
            }
            (ops, errors, hist)
        }));
    }
    let mut total =
        Stats { ops: 0, errors: 0, elapsed: Duration::ZERO, latency_us: Histogram::new_with_bounds(1, 60_000_000, 3)? };
    for t in tasks {
        let (ops, errors, hist) = t.await?;
        total.ops += ops;
        total.errors += errors;
        total.latency_us.add(hist)?;
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

fn conn_addr(c: &Conn) -> SocketAddr {
    c.host.parse().expect("host is a socket address")
}
