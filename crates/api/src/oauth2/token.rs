//! `POST /oauth2/token` (RFC 6749 §3.2, §4.1.3, §6): a client proves itself
//! (HTTP Basic, or `client_id` and `client_secret` in the form, or a public
//! client's `client_id` alone; one way per request, RFC 6749 §2.3), then
//! exchanges a code or a refresh token, or (a confidential client) asks
//! for a token of its own (`client_credentials`). A client that does not prove itself
//! gets 401 `invalid_client` with `WWW-Authenticate`.

use domain::oidc::{Clients, GrantRefusal, TokenAnswer, TokenGrants};
use poem::http::StatusCode;
use poem::web::{Form, Json};
use poem::{IntoResponse, Request, Response, handler};
use serde::{Deserialize, Serialize};

use super::client_auth::authenticate;
use super::{no_store, oauth_error};
use crate::http::error::Problem;
use crate::http::state::Use;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// RFC 6749 §5.1's answer.
#[derive(Serialize)]
struct TokenBody {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    /// Absent when no scope was granted (a client's own token).
    #[serde(skip_serializing_if = "String::is_empty")]
    scope: String,
}

#[handler]
pub async fn token(
    req: &Request,
    clients: Use<'_, Clients>,
    grants: Use<'_, TokenGrants>,
    Form(form): Form<TokenForm>,
) -> Response {
    let client = match authenticate(req, &clients, form.client_id.as_deref(), form.client_secret.as_deref()).await {
        Ok(client) => client,
        Err(refused) => return refused,
    };
    let granted = match form.grant_type.as_str() {
        "authorization_code" => {
            let Some(code) = form.code.as_deref() else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "code is required");
            };
            grants.exchange_code(&client, code, form.redirect_uri.as_deref(), form.code_verifier.as_deref()).await
        }
        "refresh_token" => {
            let Some(refresh) = form.refresh_token.as_deref() else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "refresh_token is required");
            };
            grants.refresh(&client, refresh).await
        }
        "client_credentials" => grants.client_credentials(&client, form.scope.as_deref()).await,
        "" => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required"),
        _ => Ok(Err(GrantRefusal::UnsupportedGrantType)),
    };
    match granted {
        Ok(Ok(answer)) => answered(answer),
        Ok(Err(refusal)) => oauth_error(StatusCode::BAD_REQUEST, refusal.error(), refusal.description()),
        Err(e) => Problem::from(e).into_response(),
    }
}

fn answered(a: TokenAnswer) -> Response {
    let body = TokenBody {
        access_token: a.access_token,
        token_type: "Bearer",
        expires_in: a.expires_in,
        id_token: a.id_token,
        refresh_token: a.refresh_token,
        scope: a.scope,
    };
    let mut resp = Json(body).into_response();
    no_store(&mut resp);
    resp
}
