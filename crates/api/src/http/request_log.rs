//! One span per request and one access-log line when it is answered. The
//! span holds the request id (a trusted proxy's `X-Request-Id`, else a new
//! one, returned in the answer either way) and method; the line adds the
//! route template, status and latency, and the user and session once an
//! access token has been checked. What is logged while the request is
//! served (a 500's `error_id`, a use case's span) is inside its span, so
//! one id finds all of it.
//!
//! The route and caller are fields of the line, not recorded on the span
//! later: the JSON formatter re-parses and re-writes a span's fields at
//! every `record`, which cost a token check more than its signature.

use std::cell::Cell;
use std::time::Instant;

use domain::session::Caller;
use poem::http::HeaderValue;
use poem::{Request, Response};
use tracing::Span;
use uuid::Uuid;

use crate::http::client_addr::TrustedProxies;

/// The header a request id comes in and goes back in.
pub const REQUEST_ID: &str = "x-request-id";

/// The id of `req`: the one a trusted proxy gave it when that is a sane
/// token (1–128 visible ASCII characters), else a new UUID. A client's own
/// id is not taken: it could forge another request's id in the logs.
pub fn request_id(req: &Request, proxies: &TrustedProxies) -> HeaderValue {
    let from_proxy = req.remote_addr().as_socket_addr().is_some_and(|a| proxies.trusts(a.ip()));
    from_proxy
        .then(|| req.headers().get(REQUEST_ID))
        .flatten()
        .filter(|v| (1..=128).contains(&v.len()) && v.as_bytes().iter().all(u8::is_ascii_graphic))
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).expect("a UUID is a valid header value")
        })
}

/// The span `req` is served in. `app_id` is filled in by the verification
/// API when an application's key is checked (`Apps::authenticate`).
pub fn span(req: &Request, id: &HeaderValue) -> Span {
    tracing::info_span!(
        "request",
        request_id = id.to_str().unwrap_or_default(),
        method = req.method().as_str(),
        app_id = tracing::field::Empty,
    )
}

tokio::task_local! {
    /// The user and session whose access token the request presented, once checked.
    static CALLER: Cell<Option<(Uuid, Uuid)>>;
}

/// Serves `fut` (a whole request, up to its access-log line) with room to
/// note its caller.
pub async fn with_caller<F: Future>(fut: F) -> F::Output {
    CALLER.scope(Cell::new(None), fut).await
}

/// The access-log line of an answered request, in its span. `route` is the
/// template that matched (`/api/v1/users/:param0`; as far as it matched for
/// an unknown route, `-` when nothing did), never the
/// raw path, so ids, tokens in query strings and junk do not reach the log.
pub fn answered(span: &Span, resp: &Response, route: Option<&str>, started: Instant) {
    let route = route.unwrap_or("-");
    let status = resp.status().as_u16();
    let latency_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    match CALLER.try_with(Cell::get).ok().flatten() {
        Some((user_id, session_id)) => tracing::info!(
            target: "authd::access", parent: span, route, status, latency_ms, %user_id, %session_id, "answered"
        ),
        None => tracing::info!(target: "authd::access", parent: span, route, status, latency_ms, "answered"),
    }
}

/// Notes the caller whose access token was just checked, for the access-log line.
pub fn record_caller(caller: &Caller) {
    let _ = CALLER.try_with(|c| c.set(Some((caller.user_id.0, caller.session_id))));
}
