//! The OpenID Connect provider's endpoints for clients, as OAuth 2.0
//! defines them (form bodies in, JSON out, errors as RFC 6749 §5.2 words
//! them rather than problem details): the token endpoint ([`token`]),
//! revocation and introspection ([`revoke`]), userinfo ([`userinfo`]) and
//! discovery ([`discovery`]); how a client proves itself ([`client_auth`]). The
//! authorization endpoint is the pages' (`ui/authorize_pages.rs`).

pub mod client_auth;
pub mod discovery;
pub mod revoke;
pub mod token;
pub mod userinfo;

use poem::http::{HeaderValue, StatusCode, header};
use poem::web::Json;
use poem::{IntoResponse, Response};
use serde::Serialize;

/// An OAuth error body (RFC 6749 §5.2).
#[derive(Serialize)]
pub struct OAuthError<'a> {
    pub error: &'a str,
    pub error_description: &'a str,
}

/// `status` with an OAuth error body; never cached.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut resp = Json(OAuthError { error, error_description: description }).into_response();
    resp.set_status(status);
    no_store(&mut resp);
    resp
}

/// RFC 6749 §5.1: token answers are never cached. `Cache-Control:
/// no-store` is on every answer already (the layer's); HTTP/1.0 caches
/// read `Pragma`.
pub fn no_store(resp: &mut Response) {
    resp.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}
