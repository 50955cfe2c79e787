//! An authorization request (RFC 6749 §4.1.1, OpenID Connect Core
//! §3.1.2.1) read and checked in the order that keeps authd from being an
//! open redirector (RFC 6749 §4.1.2.1, RFC 9700 §4.11): until the client and
//! the redirect URI are known good, a fault is shown to the person
//! ([`Refusal::Shown`]) and never sent anywhere; after, it goes back to the
//! client's redirect URI with the request's `state` ([`Refusal::Sent`]).

use chrono::{DateTime, Utc};

use super::client::{Client, ClientId, Scope};
use super::pkce::CodeChallenge;

/// The longest `state`, `nonce` or `login_hint` kept (they are stored with
/// the pending request and echoed back).
pub const MAX_ECHOED_CHARS: usize = 1024;

/// The parameters of `GET /oauth2/authorize` (or the form of `POST`), as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub acr_values: Option<String>,
    pub login_hint: Option<String>,
    pub response_mode: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
}

impl AuthorizeParams {
    /// The parameters as a query string (a `POST` sent on as a `GET`).
    pub fn to_query(&self) -> String {
        form_query(&[
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("nonce", &self.nonce),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("prompt", &self.prompt),
            ("max_age", &self.max_age),
            ("acr_values", &self.acr_values),
            ("login_hint", &self.login_hint),
            ("response_mode", &self.response_mode),
            ("request", &self.request),
            ("request_uri", &self.request_uri),
        ])
    }
}

/// The fields that are present, form-encoded as a query string, in order.
pub(crate) fn form_query(fields: &[(&str, &Option<String>)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        if let Some(value) = value {
            q.append_pair(name, value);
        }
    }
    q.finish()
}

/// An OAuth error code sent to the redirect URI (RFC 6749 §4.1.2.1; OpenID
/// Connect Core §3.1.2.6; RFC 9470 §4 for `unmet_authentication_requirements`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    UnmetAuthenticationRequirements,
}

impl OAuthError {
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::UnsupportedResponseType => "unsupported_response_type",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::AccessDenied => "access_denied",
            OAuthError::LoginRequired => "login_required",
            OAuthError::ConsentRequired => "consent_required",
            OAuthError::InteractionRequired => "interaction_required",
            OAuthError::RequestNotSupported => "request_not_supported",
            OAuthError::RequestUriNotSupported => "request_uri_not_supported",
            OAuthError::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
        }
    }
}

/// Why a request is refused, and where the refusal goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Shown to the person: the client or the redirect URI cannot be trusted
    /// with an answer.
    Shown(&'static str),
    /// Sent to the (registered) redirect URI with the request's `state`.
    Sent(Sent),
}

/// An error answer for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub redirect_uri: String,
    pub error: OAuthError,
    pub description: String,
    pub state: Option<String>,
}

/// The `prompt` values honoured (OpenID Connect Core §3.1.2.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    /// No page may be shown: answer, or say why not.
    pub none: bool,
    /// Prove who you are again, even with a live session.
    pub login: bool,
    /// Ask for consent again, even when given before.
    pub consent: bool,
}

/// A checked authorization request: what is kept while the person logs in
/// and consents, and what the code is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub client_id: ClientId,
    pub redirect_uri: String,
    /// The scopes asked for that the client may have, `openid` first.
    pub scopes: Vec<Scope>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub challenge: CodeChallenge,
    pub prompt: Prompt,
    /// Seconds: a login older than this must be made again.
    pub max_age: Option<u64>,
    /// `acr_values` names `aal2`: only a two-factor login will do.
    pub wants_aal2: bool,
    pub login_hint: Option<String>,
    /// When the request arrived: `prompt=login` and `prompt=consent` are
    /// met by a login or a consent from then on.
    pub created_at: DateTime<Utc>,
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// Reads `params` for `client` (the one its `client_id` names, if any).
pub fn check_request(
    params: &AuthorizeParams,
    client: Option<&Client>,
    now: DateTime<Utc>,
) -> Result<AuthorizeRequest, Refusal> {
    let Some(client) = client else {
        return Err(Refusal::Shown("The application that sent you here is not registered with this server."));
    };
    let Some(redirect_uri) = present(&params.redirect_uri).filter(|uri| client.redirects_to(uri)) else {
        return Err(Refusal::Shown(
            "The application asked to send you to an address it did not register, so you are not sent there.",
        ));
    };
    let state = params.state.clone().filter(|s| !s.is_empty());
    let refuse = |error: OAuthError, description: &str| {
        Refusal::Sent(Sent {
            redirect_uri: redirect_uri.to_owned(),
            error,
            description: description.to_owned(),
            state: state.clone().filter(|s| s.len() <= MAX_ECHOED_CHARS),
        })
    };
    if present(&params.request).is_some() {
        return Err(refuse(OAuthError::RequestNotSupported, "request objects are not supported"));
    }
    if present(&params.request_uri).is_some() {
        return Err(refuse(OAuthError::RequestUriNotSupported, "request_uri is not supported"));
    }
    if present(&params.response_type) != Some("code") {
        return Err(refuse(OAuthError::UnsupportedResponseType, "response_type must be code"));
    }
    if present(&params.response_mode).is_some_and(|m| m != "query") {
        return Err(refuse(OAuthError::InvalidRequest, "response_mode must be query"));
    }
    for (name, value) in [("state", &params.state), ("nonce", &params.nonce), ("login_hint", &params.login_hint)] {
        if value.as_ref().is_some_and(|v| v.len() > MAX_ECHOED_CHARS) {
            return Err(refuse(OAuthError::InvalidRequest, &format!("{name} is longer than {MAX_ECHOED_CHARS}")));
        }
    }
    let challenge = CodeChallenge::parse(present(&params.code_challenge), present(&params.code_challenge_method))
        .map_err(|e| refuse(OAuthError::InvalidRequest, &e.to_string()))?;
    let prompt = prompt(present(&params.prompt)).map_err(|d| refuse(OAuthError::InvalidRequest, d))?;
    let max_age = present(&params.max_age)
        .map(|v| v.parse::<u64>())
        .transpose()
        .map_err(|_| refuse(OAuthError::InvalidRequest, "max_age must be a number of seconds"))?;
    let scopes = scopes(present(&params.scope), client, prompt).map_err(|d| refuse(OAuthError::InvalidScope, d))?;
    let wants_aal2 = present(&params.acr_values).is_some_and(|v| v.split(' ').any(|a| a == "aal2"));
    Ok(AuthorizeRequest {
        redirect_uri: redirect_uri.to_owned(),
        client_id: client.id,
        scopes,
        state,
        nonce: present(&params.nonce).map(str::to_owned),
        challenge,
        prompt,
        max_age,
        wants_aal2,
        login_hint: present(&params.login_hint).map(str::to_owned),
        created_at: now,
    })
}

/// `prompt`: space-separated; `none` stands alone; `select_account` is
/// met by the one session a browser has.
fn prompt(value: Option<&str>) -> Result<Prompt, &'static str> {
    let mut p = Prompt::default();
    for word in value.unwrap_or("").split(' ').filter(|w| !w.is_empty()) {
        match word {
            "none" => p.none = true,
            "login" => p.login = true,
            "consent" => p.consent = true,
            "select_account" => {}
            _ => return Err("prompt must be none, login, consent or select_account"),
        }
    }
    if p.none && (p.login || p.consent) {
        return Err("prompt=none cannot be combined with another value");
    }
    Ok(p)
}

/// The scopes granted from `scope`: `openid` is required; words the
/// client may not have, or that authd does not know, are left out (RFC
/// 6749 §3.3; the token answer says what was granted); `offline_access`
/// only with `prompt=consent` or for a client that skips consent
/// (OpenID Connect Core §11).
fn scopes(value: Option<&str>, client: &Client, prompt: Prompt) -> Result<Vec<Scope>, &'static str> {
    let asked: Vec<Scope> = value.unwrap_or("").split(' ').filter_map(Scope::parse).collect();
    if !asked.contains(&Scope::Openid) {
        return Err("scope must include openid");
    }
    let mut granted: Vec<Scope> = asked
        .into_iter()
        .filter(|s| client.scopes.contains(s))
        .filter(|s| *s != Scope::OfflineAccess || prompt.consent || client.skip_consent)
        .collect();
    granted.sort();
    granted.dedup();
    Ok(granted)
}

impl AuthorizeRequest {
    /// The request's answer for the client: `error` sent to its redirect URI.
    pub fn refused(&self, error: OAuthError, description: &str) -> Sent {
        Sent {
            redirect_uri: self.redirect_uri.clone(),
            error,
            description: description.to_owned(),
            state: self.state.clone(),
        }
    }

    /// The granted scopes as the `scope` parameter writes them.
    pub fn scope_words(&self) -> String {
        self.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }
}
