//! One span per request and one access-log line when it is answered: the
//! request id (a trusted proxy's `X-Request-Id`, else a new one, returned in
//! the answer either way), method, route template, status and latency, and
//! the user and session once an access token has been checked. What is
//! logged while the request is served (a 500's `error_id`, a use case's
//! span) is inside its span, so one id finds all of it.

use std::time::Instant;

use domain::session::Caller;
use poem::http::HeaderValue;
use poem::{Request, Response};
use tracing::Span;
use tracing::field::Empty;

use crate::client_addr::TrustedProxies;

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

/// The span `req` is served in; route, user and session are filled in later.
pub fn span(req: &Request, id: &HeaderValue) -> Span {
    tracing::info_span!(
        "request",
        request_id = id.to_str().unwrap_or_default(),
        method = %req.method(),
        route = Empty,
        user_id = Empty,
        session_id = Empty,
        app_id = Empty,
    )
}

/// The access-log line of an answered request, in its span. `route` is the
/// template that matched (`/api/v1/users/:param0`; as far as it matched for
/// an unknown route, `-` when nothing did), never the
/// raw path, so ids, tokens in query strings and junk do not reach the log.
pub fn answered(span: &Span, resp: &Response, route: Option<&str>, started: Instant) {
    span.record("route", route.unwrap_or("-"));
    let status = resp.status();
    let latency_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    tracing::info!(target: "authd::access", parent: span, status = status.as_u16(), latency_ms, "answered");
}

/// Names the caller whose access token was just checked on the request's span.
pub fn record_caller(caller: &Caller) {
    let span = Span::current();
    span.record("user_id", tracing::field::display(caller.user_id));
    span.record("session_id", tracing::field::display(caller.session_id));
}
