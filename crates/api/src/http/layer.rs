//! The one layer every request goes through (see [`HttpLayer`]).

use std::net::IpAddr;
use std::sync::Arc;

use poem::PathPattern;
use poem::http::{HeaderName, HeaderValue, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use tracing::Instrument;

use crate::http::body_limit::BodyLimits;
use crate::http::client_addr::TrustedProxies;
use crate::http::error::{Problem, problem_from_poem};
use crate::http::per_address::{Held, PerAddress, Refusal};
use crate::http::request_log;

/// Whether `path` is answered by a page for a person (the pages' CSP and
/// referrer policy): everything under `/ui`, and the OpenID Connect
/// authorization endpoint, which the pages serve.
fn is_page(path: &str) -> bool {
    path.starts_with("/ui") || path == "/oauth2/authorize" || path == "/oauth2/logout"
}

/// The methods a path has, if it is known (the API's document says).
pub trait AllowedMethods: Send + Sync {
    fn allow(&self, path: &str) -> Option<&HeaderValue>;
}

/// What every request goes through, in one layer rather than a stack of
/// middlewares (each of which boxes and moves the whole request future): its
/// span and access-log line, the header and body limits, problem details for
/// framework errors (with `Allow` on a 405), the request id and security headers.
pub struct HttpLayer {
    pub body: BodyLimits,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub proxies: TrustedProxies,
    /// Behind trusted proxies: the requests in flight of each forwarded
    /// client address, bounded as a client's own connections are.
    pub forwarded: Option<Arc<PerAddress>>,
    /// The methods each path has, for the `Allow` of a 405.
    pub paths: Arc<dyn AllowedMethods>,
    /// The pages' Content-Security-Policy (`ui::CSP`).
    pub pages_csp: HeaderValue,
}

impl HttpLayer {
    pub async fn call<E: Endpoint>(self: Arc<Self>, ep: Arc<E>, req: Request) -> poem::Result<Response> {
        // Boxed here, the request's future is moved as a pointer through
        // the layers above (task-local scope, `Around`, poem's dyn endpoint)
        // instead of being copied whole at each (about 6 KB; perf put those
        // copies at 9% of a token check).
        request_log::with_caller(Box::pin(self.serve(ep, req))).await
    }

    async fn serve<E: Endpoint>(&self, ep: Arc<E>, req: Request) -> poem::Result<Response> {
        let started = std::time::Instant::now();
        let method = req.method().clone();
        let id = request_log::request_id(&req, &self.proxies);
        let span = request_log::span(&req, &id);
        let docs = req.uri().path().starts_with("/docs");
        let pages = is_page(req.uri().path());
        let uri = req.uri().clone();
        let (mut resp, route) = async {
            if let Some(refused) = headers_too_large(&req) {
                return (refused, None);
            }
            let _in_flight = match self.admit_forwarded(&req) {
                Ok(held) => held,
                Err((client, why)) => return (forwarded_refusal(client, why), None),
            };
            match crate::http::body_limit::limit_body(self.body, req).await {
                // Boxed as well: the route's future (about 3.6 KB) would
                // otherwise make up most of this one.
                Ok(req) => match Box::pin(ep.call(req)).await {
                    Ok(r) => {
                        let r = r.into_response();
                        let route = r.data::<PathPattern>().map(|p| p.0.clone());
                        (r, route)
                    }
                    Err(e) => {
                        let route = e.data::<PathPattern>().map(|p| p.0.clone());
                        (problem_from_poem(e), route)
                    }
                },
                Err(refused) => (refused, None),
            }
        }
        .instrument(span.clone())
        .await;
        request_log::answered(&span, &resp, route.as_deref(), started);
        crate::http::metrics::observe_request(&method, route.as_ref(), resp.status(), started.elapsed());
        if resp.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED
            && let Some(allow) = self.paths.allow(uri.path())
        {
            resp.headers_mut().insert(header::ALLOW, allow.clone());
        }
        let h = resp.headers_mut();
        h.insert(request_log::REQUEST_ID, id);
        for (name, value) in &self.headers {
            // A route that may be cached (the JWKS) says so itself.
            if name == header::CACHE_CONTROL && h.contains_key(header::CACHE_CONTROL) {
                continue;
            }
            h.insert(name.clone(), value.clone());
        }
        // JSON answers load nothing and frame nothing; the pages load their
        // stylesheet; the explorers under /docs run scripts, so they go
        // without a policy.
        if pages {
            h.insert(header::CONTENT_SECURITY_POLICY, self.pages_csp.clone());
            // Under `no-referrer` a browser posts forms with `Origin: null`;
            // `same-origin` lets the pages' forms name their origin (checked
            // with the CSRF token) and still tells other sites nothing.
            h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        } else if !docs {
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
            );
        }
        Ok(resp)
    }
}

impl HttpLayer {
    /// Counts a request that came through a trusted proxy against its
    /// forwarded client address until dropped, or says which address was
    /// refused and why. Other requests are counted by their connection.
    fn admit_forwarded(&self, req: &Request) -> Result<Option<Held>, (IpAddr, Refusal)> {
        let Some(per) = &self.forwarded else { return Ok(None) };
        let Some(peer) = req.remote_addr().as_socket_addr().map(|a| a.ip()) else { return Ok(None) };
        if !self.proxies.trusts(peer) {
            return Ok(None);
        }
        let forwarded: Vec<&str> =
            req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        let client = self.proxies.client(peer, &forwarded);
        per.admit_request(client).map(Some).map_err(|why| (client, why))
    }
}

/// The 503 a refused connection gets, for a request behind a proxy.
fn forwarded_refusal(client: IpAddr, why: Refusal) -> Response {
    let detail = match why {
        Refusal::Address => format!(
            "{client} has as many requests in flight through the proxy as one address may \
             (AUTHD_MAX_CONNECTIONS_PER_ADDRESS); try again shortly."
        ),
        Refusal::Reserve => "The server's last places are kept for other clients; try again shortly.".into(),
    };
    let p = Problem::new(poem::http::StatusCode::SERVICE_UNAVAILABLE, "too_many_connections", detail);
    let mut resp = p.into_response();
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
}

/// The most header bytes (names and values) a request may carry: generous
/// for a bearer token, a few cookies and a proxy's additions. Past it, a 431
/// problem; past hyper's own read buffer (about 400 KB) or 100 header
/// fields, hyper answers an empty 431 before the request reaches here.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The 431 for a request whose header fields are past [`MAX_HEADER_BYTES`].
fn headers_too_large(req: &Request) -> Option<Response> {
    let bytes: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if bytes <= MAX_HEADER_BYTES {
        return None;
    }
    let p = crate::http::error::Problem::new(
        poem::http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
        format!("The request's header fields take {bytes} bytes; at most {MAX_HEADER_BYTES} are accepted."),
    );
    let mut resp = p.into_response();
    resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    Some(resp)
}
