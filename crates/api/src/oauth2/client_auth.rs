//! How a client proves itself at the endpoints for clients (RFC 6749
//! §2.3): HTTP Basic (id and secret form-encoded, then base64), or
//! `client_id` and `client_secret` in the form (`client_secret_post`), or a
//! public client's `client_id` alone; one way per request. Anything else is
//! 401 `invalid_client` with `WWW-Authenticate`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::oidc::{Client, Clients};
use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Request, Response};

use super::oauth_error;
use crate::http::error::Problem;

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

pub fn invalid_client(description: &str) -> Response {
    let mut resp = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description);
    resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"authd\""));
    resp
}

/// The client the request proves, or the answer refusing it.
pub async fn authenticate(
    req: &Request,
    clients: &Clients,
    form_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<Client, Response> {
    let Ok(header) = basic(req) else { return Err(invalid_client("the Authorization header is not HTTP Basic")) };
    let (client_id, secret) = match (header, form_id, form_secret) {
        (Some(_), _, Some(_)) => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "use one way to authenticate the client",
            ));
        }
        (Some((id, secret)), form_id, None) => {
            if form_id.is_some_and(|f| f != id) {
                return Err(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "client_id differs from the header's",
                ));
            }
            (id, Some(secret))
        }
        (None, Some(id), secret) => (id.to_owned(), secret.map(str::to_owned)),
        (None, None, _) => return Err(invalid_client("the client must authenticate")),
    };
    match clients.authenticate(&client_id, secret.as_deref()).await {
        Ok(Some(client)) => Ok(client),
        Ok(None) => Err(invalid_client("unknown client or wrong secret")),
        Err(e) => Err(Problem::from(e).into_response()),
    }
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
