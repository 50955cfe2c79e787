//! `GET/POST /oauth2/userinfo` (OpenID Connect Core §5.3): with an access
//! token a client got from the token endpoint (for `openid`), the claims of
//! the scopes granted. Any other token is `invalid_token` (RFC 6750 §3.1).

use domain::account::Accounts;
use domain::oidc::Scope;
use domain::oidc::id_token::UserClaims;
use domain::session::Sessions;
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::Json;
use poem::{IntoResponse, Request, Response, handler};
use serde::Serialize;

use super::no_store;
use crate::http::error::Problem;
use crate::http::state::Use;

/// The claims returned: `sub` and those of the scopes granted.
#[derive(Serialize)]
struct UserInfo {
    sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number_verified: Option<bool>,
}

/// RFC 6750 §3: 401 with `WWW-Authenticate: Bearer` (and the error, when a
/// token was sent).
fn refused(error: Option<&str>) -> Response {
    let value = match error {
        Some(e) => format!("Bearer realm=\"authd\", error=\"{e}\""),
        None => "Bearer realm=\"authd\"".to_owned(),
    };
    let mut resp = Response::builder().status(StatusCode::UNAUTHORIZED).finish();
    resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_str(&value).expect("ascii"));
    resp
}

#[handler]
pub async fn userinfo(req: &Request, sessions: Use<'_, Sessions>, accounts: Use<'_, Accounts>) -> Response {
    // The same reading of `Authorization: Bearer` as every API route's.
    let Ok(bearer) = <poem_openapi::auth::Bearer as poem_openapi::auth::BearerAuthorization>::from_request(req) else {
        return refused(None);
    };
    let (caller, grant) = match sessions.authenticate_resource(&bearer.token).await {
        Ok(found) => found,
        Err(e @ (domain::Error::Unavailable(_) | domain::Error::Internal(_))) => {
            return Problem::from(e).into_response();
        }
        Err(_) => return refused(Some("invalid_token")),
    };
    let Some(grant) = grant.filter(|g| g.has(Scope::Openid)) else { return refused(Some("invalid_token")) };
    let user = match accounts.me(&caller).await {
        Ok(user) => user,
        Err(_) => return refused(Some("invalid_token")),
    };
    let c = UserClaims::of(&user, &grant.scopes);
    let body = UserInfo {
        sub: user.id.0.to_string(),
        name: c.name,
        given_name: c.given_name,
        family_name: c.family_name,
        preferred_username: c.preferred_username,
        updated_at: c.updated_at,
        email: c.email,
        email_verified: c.email_verified,
        phone_number: c.phone_number,
        phone_number_verified: c.phone_number_verified,
    };
    let mut resp = Json(body).into_response();
    no_store(&mut resp);
    resp
}
