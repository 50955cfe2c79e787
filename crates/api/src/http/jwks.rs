//! `GET /.well-known/jwks.json`: the public keys that verify authd's tokens.

use std::sync::Arc;

use infra::signing_keys::SigningKeys;
use poem::http::{HeaderValue, header};
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};

/// Where `/.well-known/jwks.json` reads from: the key table (EdDSA keys
/// when access tokens are EdDSA, and the ID tokens' keys; HS256 has no
/// public key), and how long a relying party may cache it.
#[derive(Clone)]
pub struct Published {
    pub keys: Arc<SigningKeys>,
    pub max_age_seconds: u64,
}

/// The public keys that verify authd's tokens (RFC 7517), the next signing
/// key included, so a relying party never meets a `kid` it cannot find.
#[handler]
pub fn jwks(published: Data<&Published>) -> Response {
    let body = published.keys.jwks();
    let mut resp = Json(body).into_response();
    let cache = format!("public, max-age={}", published.max_age_seconds);
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_str(&cache).expect("ascii"));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/jwk-set+json"));
    resp
}
