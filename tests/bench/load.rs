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

/// How the requests of an open-loop run were answered.
pub struct OpenLoop {
    /// Answered 2xx.
    pub accepted: Stats,
    /// Answered 503 (shed).
    pub shed: Stats,
    /// Anything else, and requests that failed or passed `timeout`.
    pub failed: u64,
    /// Requests not sent because `max_in_flight` were already waiting.
    pub unsent: u64,
}

/// An open-loop run: one request every `1 / rate` seconds for `duration`,
/// whether or not earlier ones were answered (as a crowd of clients would),
/// each on a free keep-alive connection or a new one, with at most
/// `max_in_flight` waiting at once and each given up after `timeout`.
pub async fn run_open<F, Fut>(
    addr: SocketAddr,
    rate: f64,
    duration: Duration,
    max_in_flight: usize,
    timeout: Duration,
    request: F,
) -> anyhow::Result<OpenLoop>
where
    F: Fn(u64, Conn) -> Fut,
    Fut: Future<Output = (anyhow::Result<StatusCode>, Conn)> + Send + 'static,
{
    use std::sync::{Arc, Mutex};
    let hist = || Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("valid bounds");
    let idle: Arc<Mutex<Vec<Conn>>> = Arc::default();
    let totals = Arc::new(Mutex::new((hist(), hist(), 0u64)));
    let in_flight = Arc::new(tokio::sync::Semaphore::new(max_in_flight));
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let (mut unsent, mut tasks) = (0u64, Vec::new());
    for i in 0u64.. {
        ticks.tick().await;
        if started.elapsed() >= duration {
            break;
        }
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            unsent += 1;
            continue;
        };
        let sent = Instant::now();
        let pooled = idle.lock().expect("not poisoned").pop();
        let conn = match pooled {
            Some(c) => c,
            None => match Conn::open(addr).await {
                Ok(c) => c,
                Err(_) => {
                    totals.lock().expect("not poisoned").2 += 1;
                    continue;
                }
            },
        };
        let (idle, totals) = (idle.clone(), totals.clone());
        let answer = tokio::time::timeout(timeout, request(i, conn));
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            let answer = answer.await;
            let took = sent.elapsed().as_micros() as u64;
            let mut t = totals.lock().expect("not poisoned");
            match answer {
                Ok((Ok(status), conn)) => {
                    if status.is_success() {
                        t.0.saturating_record(took);
                    } else if status == StatusCode::SERVICE_UNAVAILABLE {
                        t.1.saturating_record(took);
                    } else {
                        t.2 += 1;
                    }
                    idle.lock().expect("not poisoned").push(conn);
                }
                _ => t.2 += 1,
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = started.elapsed();
    let (accepted, shed, failed) = Arc::try_unwrap(totals)
        .map_err(|_| anyhow::anyhow!("a request outlived its run"))?
        .into_inner()
        .expect("not poisoned");
    let stats = |h: Histogram<u64>| Stats { ops: h.len(), errors: 0, elapsed, latency_us: h };
    Ok(OpenLoop { accepted: stats(accepted), shed: stats(shed), failed, unsent })
}
