//! `POST /oauth2/revoke` (RFC 7009) and `POST /oauth2/introspect` (RFC
//! 7662). A client revokes a token issued to it (its session ends, so every
//! token of it); the answer is 200 for any token, known or not.
//! Introspection is for confidential clients (resource servers): whether a
//! token is live, and what it says.

use domain::oidc::{Client, ClientKind, Clients, Introspection, TokenGrants};
use domain::token::TokenKind;
use poem::http::StatusCode;
use poem::web::{Form, Json};
use poem::{IntoResponse, Request, Response, handler};
use serde::{Deserialize, Serialize};

use super::client_auth::{authenticate, invalid_client};
use super::{no_store, oauth_error};
use crate::http::error::Problem;
use crate::http::state::Use;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    token: Option<String>,
    /// A hint only (RFC 7009 §2.1): every kind is tried.
    #[allow(dead_code)]
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The client the request proves and the token it names, or the answer
/// refusing the request.
async fn client_and_token<'f>(
    req: &Request,
    clients: &Clients,
    form: &'f TokenForm,
) -> Result<(Client, &'f str), Response> {
    let client = authenticate(req, clients, form.client_id.as_deref(), form.client_secret.as_deref()).await?;
    let token = form
        .token
        .as_deref()
        .ok_or_else(|| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "token is required"))?;
    Ok((client, token))
}

#[handler]
pub async fn revoke(
    req: &Request,
    clients: Use<'_, Clients>,
    grants: Use<'_, TokenGrants>,
    Form(form): Form<TokenForm>,
) -> Response {
    let (client, token) = match client_and_token(req, &clients, &form).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    match grants.revoke(&client, token).await {
        Ok(()) => {
            let mut resp = Response::builder().status(StatusCode::OK).finish();
            no_store(&mut resp);
            resp
        }
        Err(e) => Problem::from(e).into_response(),
    }
}

/// RFC 7662 §2.2's answer; only `active` when the token is not.
#[derive(Serialize, Default)]
struct Introspected {
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acr: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
}

#[handler]
pub async fn introspect(
    req: &Request,
    clients: Use<'_, Clients>,
    grants: Use<'_, TokenGrants>,
    Form(form): Form<TokenForm>,
) -> Response {
    let (client, token) = match client_and_token(req, &clients, &form).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    if client.kind != ClientKind::Confidential {
        return invalid_client("introspection is for confidential clients");
    }
    let body = match grants.introspect(&client, token).await {
        Ok(Introspection::Inactive) => Introspected::default(),
        Ok(Introspection::Active { claims, token_type }) => Introspected {
            active: true,
            scope: claims.client.as_ref().map(|g| g.scope_words()),
            client_id: claims.client.as_ref().map(|g| g.client_id.to_string()),
            token_type: Some(token_type),
            exp: Some(claims.exp),
            iat: Some(claims.iat),
            // A client's own token has the client as its subject and no session.
            sub: Some(match (&claims.kind, &claims.client) {
                (TokenKind::Client, Some(g)) => g.client_id.to_string(),
                _ => claims.sub.0.to_string(),
            }),
            sid: (claims.kind != TokenKind::Client).then(|| claims.sid.to_string()),
            acr: claims.assurance.map(|a| a.acr().as_str()),
            auth_time: claims.assurance.map(|a| a.auth_time.timestamp()),
        },
        Err(e) => return Problem::from(e).into_response(),
    };
    let mut resp = Json(body).into_response();
    no_store(&mut resp);
    resp
}
