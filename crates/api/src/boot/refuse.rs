//! Refusing a connection the server will not take (past
//! `AUTHD_MAX_CONNECTIONS`, or past its address's share): a short 503 the
//! client can read, then closed.

use std::sync::Arc;
use std::time::Duration;

use poem::http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::http::error::{PROBLEM_JSON, Problem};
use crate::http::per_address::Refusal;

/// One more connection than allowed: a short 503 it can read, then closed.
/// The answer goes out after the request head (an HTTP client takes no
/// answer before it has asked), and the rest of the request is read and
/// thrown away before closing, since closing with it unread would send a
/// reset that discards the answer on the client's side. Each step has a
/// second at most, and at most [`LINGERING_REFUSALS`] connections are
/// refused this way at once; past that, they are closed at once.
pub(super) fn refuse(stream: TcpStream, lingering: &Arc<Semaphore>, why: Option<Refusal>) {
    let Ok(place) = lingering.clone().try_acquire_owned() else { return };
    tokio::spawn(async move {
        let _place = place;
        let mut stream = stream;
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        let read_head = async {
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                match stream.read(&mut buf).await {
                    Ok(n) if n > 0 => head.extend_from_slice(&buf[..n]),
                    _ => return,
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), read_head).await;
        let detail = match why {
            None => "The server has as many connections open as it allows; try again shortly.",
            Some(Refusal::Address) => {
                "Your address has as many connections open as one address may; close one or try again shortly."
            }
            Some(Refusal::Reserve) => {
                "The server's last places are kept for other clients; close a connection or try again shortly."
            }
        };
        let body = Problem::new(StatusCode::SERVICE_UNAVAILABLE, "too_many_connections", detail).to_body();
        let mut answer = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        answer.extend_from_slice(&body);
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&answer)).await;
        let _ = stream.shutdown().await;
        let drain = async { while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {} };
        let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
    });
}

/// Refused connections answered at once, each for up to three seconds.
pub(super) const LINGERING_REFUSALS: usize = 256;
