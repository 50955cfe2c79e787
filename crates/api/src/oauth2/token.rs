//! `POST /oauth2/token` (RFC 6749 §3.2, §4.1.3, §6): a client proves itself
//! (HTTP Basic, or `client_id` and `client_secret` in the form, or a public
//! client's `client_id` alone; one way per request, RFC 6749 §2.3), then
//! exchanges a code or a refresh token. A client that does not prove itself
//! gets 401 `invalid_client` with `WWW-Authenticate`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::oidc::{Clients, GrantRefusal, TokenAnswer, TokenGrants};
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Form, Json};
use poem::{IntoResponse, Request, Response, handler};
use serde::{Deserialize, Serialize};

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
    scope: String,
}

/// The client's id and secret from `Authorization: Basic` (each
/// form-urlencoded first, RFC 6749 §2.3.1); `Err` for a malformed header.
fn basic(req: &Request) -> Result<Option<(String, String)>, ()> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else { return Ok(None) };
    let value = value.to_str().map_err(|_| ())?;
    let Some(encoded) = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic ")) else {
        return Err(());
    };
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).map_err(|_| ())?).map_err(|_| ())?;
    let (id, secret) = decoded.split_once(':').ok_or(())?;
    let unescape = |s: &str| -> Result<String, ()> {
        let plus_as_space = s.replace('+', " ");
        percent_encoding::percent_decode_str(&plus_as_space).decode_utf8().map(|c| c.into_owned()).map_err(|_| ())
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}

fn invalid_client(description: &str) -> Response {
    let mut resp = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description);
    resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"authd\""));
    resp
}

#[handler]
pub async fn token(
    req: &Request,
    clients: Use<'_, Clients>,
    grants: Use<'_, TokenGrants>,
    Form(form): Form<TokenForm>,
) -> Response {
    let Ok(header) = basic(req) else { return invalid_client("the Authorization header is not HTTP Basic") };
    let (client_id, secret) = match (header, &form.client_id, &form.client_secret) {
        (Some(_), _, Some(_)) => {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "use one way to authenticate the client");
        }
        (Some((id, secret)), form_id, None) => {
            if form_id.as_ref().is_some_and(|f| *f != id) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "client_id differs from the header's");
            }
            (id, Some(secret))
        }
        (None, Some(id), secret) => (id.clone(), secret.clone()),
        (None, None, _) => return invalid_client("the client must authenticate"),
    };
    let client = match clients.authenticate(&client_id, secret.as_deref()).await {
        Ok(Some(client)) => client,
        Ok(None) => return invalid_client("unknown client or wrong secret"),
        Err(e) => return Problem::from(e).into_response(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn with(auth: &str) -> Request {
        Request::builder().header(header::AUTHORIZATION, auth).finish()
    }

    #[test]
    fn basic_credentials_are_base64_of_form_encoded_id_and_secret() {
        let encoded = STANDARD.encode("my%3Aclient:s%2Bcret+x");
        assert_eq!(basic(&with(&format!("Basic {encoded}"))), Ok(Some(("my:client".into(), "s+cret x".into()))));
        assert_eq!(basic(&Request::builder().finish()), Ok(None));
        assert!(basic(&with("Bearer abc")).is_err());
        assert!(basic(&with("Basic !!!")).is_err());
        assert!(basic(&with(&format!("Basic {}", STANDARD.encode("no-colon")))).is_err());
    }
}
