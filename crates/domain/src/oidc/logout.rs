//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): an
//! application asks authd to end the person's browser session, and to send
//! them back to one of its registered `post_logout_redirect_uris` with its
//! `state`. The request is checked before anything is shown
//! ([`Logouts::check`]); the browser session ends only when the person
//! confirms on authd's own page ([`Logouts::end`]), so a link on another
//! site cannot log anyone out. As at the authorization endpoint, a request
//! whose client or return address is not known good is shown, never
//! redirected.

use std::sync::Arc;

use serde::Deserialize;

use super::authorizations::redirect_with;
use super::client::{Client, ClientId};
use super::id_token::IdTokenHint;
use super::request::{MAX_ECHOED_CHARS, form_query};
use crate::error::Result;
use crate::ports::{ClientRepo, IdTokenSigner};
use crate::session::{Caller, Sessions};

/// The parameters of §2, as they arrive (query or form).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LogoutParams {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    /// Read as a hint only (§2): the person confirms whoever is signed in.
    pub logout_hint: Option<String>,
    pub ui_locales: Option<String>,
}

impl LogoutParams {
    /// The parameters as a query string, form-encoded (for a `POST` sent
    /// on as a `GET`).
    pub fn to_query(&self) -> String {
        form_query(&[
            ("id_token_hint", &self.id_token_hint),
            ("client_id", &self.client_id),
            ("post_logout_redirect_uri", &self.post_logout_redirect_uri),
            ("state", &self.state),
            ("logout_hint", &self.logout_hint),
            ("ui_locales", &self.ui_locales),
        ])
    }
}

/// A checked logout request: the application that asked (when it said),
/// and where the person goes back to afterwards, `state` added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndSession {
    pub client: Option<Client>,
    pub hint: Option<IdTokenHint>,
    /// The registered post-logout address with `state`, when one was asked for.
    pub back_to: Option<String>,
}

/// Why a logout request is shown as an error page rather than followed.
pub type LogoutRefusal = &'static str;

#[derive(Clone)]
pub struct Logouts {
    pub(crate) clients: Arc<dyn ClientRepo>,
    pub(crate) id_tokens: Arc<dyn IdTokenSigner>,
    pub(crate) sessions: Sessions,
}

impl Logouts {
    /// Checks a logout request (§2, §3): an `id_token_hint` must be an ID
    /// token this provider signed (expired or not); a `client_id` sent with
    /// it must be its audience; a `post_logout_redirect_uri` needs the
    /// client (from either) and must be one it registered, as the exact
    /// string; `state` is passed back untouched.
    pub async fn check(&self, p: &LogoutParams) -> Result<std::result::Result<EndSession, LogoutRefusal>> {
        let hint = match p.id_token_hint.as_deref().filter(|h| !h.is_empty()) {
            Some(token) => match self.id_tokens.read_hint(token) {
                Ok(hint) => Some(hint),
                Err(_) => return Ok(Err("The application's id_token_hint was not issued by this server.")),
            },
            None => None,
        };
        let named = match p.client_id.as_deref().filter(|c| !c.is_empty()) {
            Some(id) => match id.parse() {
                Ok(id) => Some(ClientId(id)),
                Err(_) => return Ok(Err("The application that asked to sign you out is not registered here.")),
            },
            None => None,
        };
        let client_id = match (named, &hint) {
            (Some(named), Some(hint)) if named != hint.client_id => {
                return Ok(Err("The sign-out request names two different applications."));
            }
            (named, hint) => named.or(hint.as_ref().map(|h| h.client_id)),
        };
        let client = match client_id {
            Some(id) => match self.clients.get(id).await? {
                Some(client) => Some(client),
                None => return Ok(Err("The application that asked to sign you out is not registered here.")),
            },
            None => None,
        };
        if p.state.as_ref().is_some_and(|s| s.chars().count() > MAX_ECHOED_CHARS) {
            return Ok(Err("The sign-out request's state is too long."));
        }
        let back_to = match p.post_logout_redirect_uri.as_deref().filter(|u| !u.is_empty()) {
            None => None,
            Some(uri) => {
                let Some(client) = &client else {
                    return Ok(Err("The sign-out request does not say which application it comes from."));
                };
                if !client.returns_after_logout_to(uri) {
                    return Ok(Err("The application asked to return to an address it has not registered."));
                }
                Some(redirect_with(uri, &[("state", p.state.as_deref())]))
            }
        };
        Ok(Ok(EndSession { client, hint, back_to }))
    }

    /// Ends the browser session of `caller`, who confirmed (a logout event
    /// like any other).
    pub async fn end(&self, caller: &Caller) -> Result<()> {
        self.sessions.logout(caller, false).await
    }
}
