//! The request body limits: at most `AUTHD_BODY_LIMIT` bytes reach a
//! handler, and they must arrive within `AUTHD_BODY_TIMEOUT_MS`; a larger
//! body is refused with a 413 the client can read, a slower one with a 408.
//!
//! A client that is still sending when the 413 is written only reads it if
//! the server keeps reading too: closing a socket with unread data in it
//! makes the kernel send a reset, which throws away the answer on the
//! client's side before it is read. So a refused body is read and thrown away
//! in the background after the answer, for a bounded time and size, and the
//! connection is then closed — nginx's "lingering close".

use std::time::Duration;

use futures::{Stream, StreamExt};
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::headers::{ContentLength, HeaderMapExt};
use poem::{Request, Response};

use crate::http::error::problem_from_poem;

/// How long a refused body is still read after the 413 (nginx:
/// `lingering_time 30s`; a client on a slow link sending a few MB is done in
/// far less).
pub const LINGER_TIME: Duration = Duration::from_secs(10);

/// How much of a refused body is read after the 413 before the connection is
/// closed regardless.
pub const LINGER_BYTES: u64 = 64 * 1024 * 1024;

/// How much of a body a handler gets, and how long it may take to arrive.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub bytes: usize,
    pub time: Duration,
}

/// Holds at most `limits.bytes` of `req`'s body, whether or not it declared
/// its length; a larger body is answered with a 413 problem at once, one
/// still arriving after `limits.time` with a 408 that closes the connection.
pub async fn limit_body(limits: BodyLimits, mut req: Request) -> Result<Request, Response> {
    let BodyLimits { bytes: limit, time } = limits;
    let deadline = tokio::time::Instant::now() + time;
    let declared = req.headers().typed_get::<ContentLength>().map(|l| l.0);
    // A client waiting for `100 Continue` has not sent the body and will not:
    // reading it would ask for it.
    let expects_continue = req.headers().contains_key(header::EXPECT);
    if declared.is_some_and(|n| n > limit as u64) {
        if !expects_continue {
            linger(req.take_body().into_bytes_stream());
        }
        return Err(too_large(limit));
    }
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    // HTTP/1.1: no length and no transfer coding means no body at all.
    if !chunked && declared.is_none_or(|n| n == 0) {
        if req.content_type().is_none() {
            // No body at all is an absent JSON body: optional payloads
            // (logout's `{all}`) read it as none, required ones answer 400.
            req.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        return Ok(req);
    }
    let mut stream = req.take_body().into_bytes_stream();
    let mut kept = Vec::new();
    loop {
        let Ok(next) = tokio::time::timeout_at(deadline, stream.next()).await else {
            return Err(too_slow(time));
        };
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| {
            problem_from_poem(poem::Error::from_string(
                format!("reading the request body failed: {e}"),
                StatusCode::BAD_REQUEST,
            ))
        })?;
        if kept.len() + chunk.len() > limit {
            linger(stream);
            return Err(too_large(limit));
        }
        kept.extend_from_slice(&chunk);
    }
    req.set_body(kept);
    Ok(req)
}

/// The 413, telling the client that this connection ends after it.
fn too_large(limit: usize) -> Response {
    let mut resp = problem_from_poem(poem::Error::from_string(
        format!("The request body is larger than {limit} bytes."),
        StatusCode::PAYLOAD_TOO_LARGE,
    ));
    resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// The 408 for a body that did not arrive in time; the client is too slow
/// to be waited for, so the connection closes after it.
fn too_slow(time: Duration) -> Response {
    let mut resp = problem_from_poem(poem::Error::from_string(
        format!("The request body did not arrive within {} ms.", time.as_millis()),
        StatusCode::REQUEST_TIMEOUT,
    ));
    resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// Reads and throws away the rest of a refused body in the background, for at
/// most [`LINGER_TIME`] and [`LINGER_BYTES`]. The connection stays open while
/// this runs and closes when it ends.
fn linger<B: AsRef<[u8]>, E>(rest: impl Stream<Item = Result<B, E>> + Send + 'static) {
    tokio::spawn(async move {
        let mut rest = std::pin::pin!(rest);
        let mut read = 0u64;
        let drain = async {
            while let Some(Ok(chunk)) = rest.next().await {
                read += chunk.as_ref().len() as u64;
                if read > LINGER_BYTES {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(LINGER_TIME, drain).await;
    });
}
