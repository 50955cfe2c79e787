//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0
//! §3, RFC 8414): what the provider serves, under the issuer
//! (`AUTHD_PUBLIC_URL`, exactly, without a trailing slash). Only what is
//! served is listed.

use poem::http::{HeaderValue, header};
use poem::web::Data;
use poem::{IntoResponse, Response, handler};
use serde_json::json;

/// The document, made once at start.
#[derive(Clone)]
pub struct Discovery(pub String);

impl Discovery {
    pub fn new(public_url: &str) -> Self {
        let issuer = public_url.trim_end_matches('/');
        let doc = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/oauth2/authorize"),
            "token_endpoint": format!("{issuer}/oauth2/token"),
            "userinfo_endpoint": format!("{issuer}/oauth2/userinfo"),
            "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
            "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint": format!("{issuer}/oauth2/introspect"),
            "end_session_endpoint": format!("{issuer}/oauth2/logout"),
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "EdDSA"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "email", "phone", "offline_access"],
            "claims_supported": [
                "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid", "at_hash",
                "name", "given_name", "family_name", "preferred_username", "updated_at",
                "email", "email_verified", "phone_number", "phone_number_verified"
            ],
            "acr_values_supported": ["aal1", "aal2"],
            "prompt_values_supported": ["none", "login", "consent", "select_account"],
            "authorization_response_iss_parameter_supported": true,
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
        });
        Self(doc.to_string())
    }
}

#[handler]
pub fn discovery(doc: Data<&Discovery>) -> Response {
    let mut resp = doc.0.0.clone().into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    resp
}
