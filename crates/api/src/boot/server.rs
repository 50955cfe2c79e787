//! The HTTP server: poem's endpoint on hyper's HTTP/1.1 connections, with
//! the bounds a server facing the open network needs and poem's own server
//! lacks (it has only an inactivity timeout, which a client sending a byte a
//! second never trips):
//!
//! - a request head must arrive whole within `AUTHD_HEADER_TIMEOUT_MS` of
//!   its first byte (or of the connection opening): slowloris;
//! - a connection opened in HTTP/2 is told to use HTTP/1.1 ([`super::http2`]);
//! - a connection idle between requests is closed after
//!   `AUTHD_KEEP_ALIVE_TIMEOUT_MS`;
//! - at most `AUTHD_MAX_CONNECTIONS` connections are open at once; one more
//!   is answered 503 and closed, so sockets cannot exhaust the process's
//!   open-file limit and stop the health checks with everything else;
//! - one address holds at most `AUTHD_MAX_CONNECTIONS_PER_ADDRESS` of them,
//!   and the last places are kept for addresses with none open
//!   ([`crate::http::per_address`]);
//! - on SIGTERM, no new connection is taken, connections without a request
//!   in flight close at once, and requests in flight finish within
//!   `AUTHD_SHUTDOWN_GRACE_MS`.
//!
//! The body of a request is bounded by [`crate::http::body_limit`].

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use poem::endpoint::BoxEndpoint;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, Response};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use super::http2::{self, Opening};
use super::refuse::{LINGERING_REFUSALS, refuse};
use crate::http::per_address::PerAddress;

/// The server's bounds (see the module's documentation).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub keep_alive_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_grace: Duration,
}

/// Serves `ep` on `listener` until `shutdown` completes, then drains: returns
/// once every connection has closed or the grace period is over.
pub async fn serve(
    listener: TcpListener,
    ep: BoxEndpoint<'static, Response>,
    limits: Limits,
    per_address: Arc<PerAddress>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    let ep: Arc<BoxEndpoint<'static, Response>> = Arc::new(ep);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let lingering = Arc::new(Semaphore::new(LINGERING_REFUSALS));
    let (stop, stopping) = watch::channel(false);
    let (full, unaccepted, crowded) = (Warning::default(), Warning::default(), Warning::default());
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => match slots.clone().try_acquire_owned() {
                Ok(slot) => match per_address.admit(peer.ip(), slots.available_permits()) {
                    Ok(held) => {
                        let (ep, stopping) = (ep.clone(), stopping.clone());
                        tokio::spawn(async move {
                            connection(stream, local, peer, ep, limits, stopping).await;
                            drop((held, slot));
                        });
                    }
                    Err(why) => {
                        drop(slot);
                        refuse(stream, &lingering, Some(why));
                        if crowded.due() {
                            tracing::warn!(
                                peer = %peer.ip(),
                                ?why,
                                addresses = per_address.addresses(),
                                "an address holds as many connections as it may (AUTHD_MAX_CONNECTIONS_PER_ADDRESS): its new connections are answered 503"
                            );
                        }
                    }
                },
                Err(_) => {
                    refuse(stream, &lingering, None);
                    if full.due() {
                        tracing::warn!(
                            limit = limits.max_connections,
                            "connection limit reached (AUTHD_MAX_CONNECTIONS): new connections are answered 503"
                        );
                    }
                }
            },
            // A connection that failed before it was taken is the client's affair.
            Err(e) if matches!(e.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset) => {}
            Err(e) => {
                // Out of file descriptors or memory: retrying at once would
                // spin a core; a closing connection frees one soon.
                if unaccepted.due() {
                    tracing::warn!(error = %e, "cannot accept connections");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    let open = limits.max_connections - slots.available_permits();
    tracing::info!(
        open,
        grace_ms = limits.shutdown_grace.as_millis() as u64,
        "shutting down: finishing requests in flight"
    );
    let _ = stop.send(true);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    match tokio::time::timeout(limits.shutdown_grace, slots.acquire_many(all)).await {
        Ok(_) => tracing::info!("every connection closed; stopped"),
        Err(_) => tracing::warn!(
            cut = limits.max_connections - slots.available_permits(),
            "the shutdown grace period (AUTHD_SHUTDOWN_GRACE_MS) is over: cutting the connections left"
        ),
    }
    Ok(())
}

/// `AUTHD_MAX_CONNECTIONS`, or [`default_max_connections`] of the open-file
/// limit (raised to the hard one first: see [`raise_open_file_limit`]).
pub fn max_connections(server: &crate::config::Server) -> usize {
    server.max_connections.unwrap_or_else(|| default_max_connections(raise_open_file_limit()))
}

/// The default connection bound: 10 000, or three quarters of the open-file
/// limit when that is lower (the rest is for the database pool, the logs and
/// the connections being refused).
pub fn default_max_connections(open_files: Option<usize>) -> usize {
    (open_files.unwrap_or(1024).saturating_mul(3) / 4).clamp(16, 10_000)
}

/// Raises the soft open-file limit to the hard one (as Go's runtime does):
/// the usual soft limit of 1024 is far below what a server is allowed.
/// Returns the limit now in force.
pub fn raise_open_file_limit() -> Option<usize> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit and setrlimit read or write the one struct passed.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return None;
            }
            if lim.rlim_cur < lim.rlim_max {
                let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    lim = raised;
                }
            }
        }
        Some(usize::try_from(lim.rlim_cur).unwrap_or(usize::MAX))
    }
    #[cfg(not(unix))]
    None
}

/// A warning that could repeat on every accept, logged once in 10 s.
#[derive(Default)]
struct Warning(Mutex<Option<Instant>>);

impl Warning {
    fn due(&self) -> bool {
        let mut last = self.0.lock().expect("not poisoned");
        let now = Instant::now();
        if last.is_some_and(|t| now < t + Duration::from_secs(10)) {
            return false;
        }
        *last = Some(now);
        true
    }
}

/// Where a connection is between requests, which decides its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Phase {
    /// Waiting for the next request after an answer: the keep-alive timeout.
    Idle = 0,
    /// A request head is due (bytes of it came, or the connection is new):
    /// the header timeout, from the first byte, however slowly the rest comes.
    Head = 1,
    /// A request is with the endpoint (its body read there, under the
    /// body timeout): no connection deadline.
    Busy = 2,
}

/// A connection's phase and when it began. A phase change wakes nobody:
/// the connection's task checks the phase when its timer fires, and never
/// sleeps longer than the shortest timeout, so a deadline that a change
/// brought closer is still kept to the moment (see [`connection`]). Waking
/// the task at every change cost each request three extra polls and timers.
struct Activity {
    phase: AtomicU8,
    since: Mutex<Instant>,
}

impl Activity {
    fn new() -> Self {
        Self { phase: AtomicU8::new(Phase::Head as u8), since: Mutex::new(Instant::now()) }
    }

    fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Acquire) {
            0 => Phase::Idle,
            1 => Phase::Head,
            _ => Phase::Busy,
        }
    }

    fn enter(&self, phase: Phase) {
        *self.since.lock().expect("not poisoned") = Instant::now();
        self.phase.store(phase as u8, Ordering::Release);
    }

    /// When the current phase runs out, if it can.
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let since = *self.since.lock().expect("not poisoned");
        match self.phase() {
            Phase::Idle => Some(since + limits.keep_alive_timeout),
            Phase::Head => Some(since + limits.header_timeout),
            Phase::Busy => None,
        }
    }
}

/// The socket, telling its [`Activity`] when the first byte of a request
/// arrives on an idle connection.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before && self.activity.phase() == Phase::Idle {
            self.activity.enter(Phase::Head);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Marks a request as with the endpoint until dropped (answered, or its
/// connection gone).
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.enter(Phase::Idle);
    }
}

async fn connection(
    stream: TcpStream,
    local: SocketAddr,
    peer: SocketAddr,
    ep: Arc<BoxEndpoint<'static, Response>>,
    limits: Limits,
    mut stopping: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let opening = tokio::select! {
        opening = http2::opening(&stream, limits.header_timeout) => opening,
        _ = stopping.wait_for(|stopping| *stopping) => return,
    };
    match opening {
        Opening::Http1 => {}
        Opening::Http2 => {
            tracing::debug!(%peer, "an HTTP/2 opening: told HTTP/1.1 is required (GOAWAY) and closed");
            return http2::refuse(stream).await;
        }
        Opening::Silent => {
            tracing::debug!(%peer, "no request head within AUTHD_HEADER_TIMEOUT_MS: closed");
            return;
        }
    }
    let activity = Arc::new(Activity::new());
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            let ep = ep.clone();
            activity.enter(Phase::Busy);
            let in_flight = InFlight(activity.clone());
            async move {
                let req = poem::Request::from((
                    req,
                    LocalAddr(Addr::SocketAddr(local)),
                    RemoteAddr(Addr::SocketAddr(peer)),
                    Scheme::HTTP,
                ));
                let resp = ep.get_response(req).await;
                drop(in_flight);
                Ok::<_, Infallible>(hyper::Response::<_>::from(resp))
            }
        })
    };
    let io = TokioIo::new(Watched { inner: stream, activity: activity.clone() });
    let conn = http1::Builder::new().serve_connection(io, service);
    tokio::pin!(conn);
    let mut draining = *stopping.borrow();
    // A phase that began while the task slept has a deadline at least this
    // far after the moment it began: sleeping no longer than this between
    // checks, the task sees every deadline before it passes.
    let check_every = limits.header_timeout.min(limits.keep_alive_timeout);
    loop {
        // Draining, a request not yet with the endpoint is dropped: nothing
        // was done for it. One in flight (or answered and being written)
        // finishes, and hyper closes the connection after it.
        if draining && activity.phase() == Phase::Head {
            return;
        }
        let next_check = Instant::now() + check_every;
        let wake_at = activity.deadline(&limits).map_or(next_check, |d| d.min(next_check));
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = tokio::time::sleep_until(wake_at) => {
                if activity.deadline(&limits).is_some_and(|d| d <= Instant::now()) {
                    match activity.phase() {
                        Phase::Head => tracing::debug!(%peer, "no whole request head within AUTHD_HEADER_TIMEOUT_MS: closed"),
                        _ => tracing::trace!(%peer, "idle past AUTHD_KEEP_ALIVE_TIMEOUT_MS: closed"),
                    }
                    return;
                }
            }
            _ = stopping.changed(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
