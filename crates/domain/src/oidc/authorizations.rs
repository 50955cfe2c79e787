//! `Authorizations`: the authorization endpoint's use case. A request is
//! checked ([`check_request`]), its next step decided from the browser's
//! session ([`next_step`]); when the person must log in, prove themselves
//! again or consent, the request is kept under a random id while the pages
//! do that, and taken up again ([`resume`](Authorizations::resume)) until
//! it ends in a code or an error for the client. Both go back as the
//! redirect URI with `state` and `iss` (RFC 9207).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::client::{Client, ClientId};
use super::code::{AuthorizationCode, CODE_LIFETIME, CodeGrant};
use super::decision::{BrowserSession, Step, next_step};
use super::request::{AuthorizeParams, AuthorizeRequest, OAuthError, Refusal, Sent, check_request};
use crate::assurance::Acr;
use crate::audit::{Audit, EventKind};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::otp::SecondFactor;
use crate::ports::{AuthorizationRepo, ClientRepo, KeyedHasher, UserRepo};
use crate::rng::Rng;
use crate::session::Caller;

/// How long a request waits for the person to log in and consent.
pub const REQUEST_LIFETIME: chrono::Duration = chrono::Duration::minutes(30);

/// What the browser is to be shown or sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Back to the client: its redirect URI with a code or an error.
    ToClient(String),
    /// A page saying why not, and sending the browser nowhere.
    Shown(&'static str),
    /// The pages' part (log in, prove it again, enrol, consent) for the
    /// request kept under this id.
    Interact { request: Uuid, step: Step },
}

#[derive(Clone)]
pub struct Authorizations {
    pub(crate) repo: Arc<dyn AuthorizationRepo>,
    pub(crate) clients: Arc<dyn ClientRepo>,
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) second_factor: SecondFactor,
    pub(crate) keyed_hasher: Arc<dyn KeyedHasher>,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    /// `iss`: `AUTHD_PUBLIC_URL`, without a trailing slash.
    pub(crate) issuer: String,
}

/// What the pages show on the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub request: AuthorizeRequest,
    pub client: Client,
}

/// What a person is shown for a request that is gone.
pub const EXPIRED: &str =
    "That sign-in request has expired or was already answered. Go back to the application and start again.";

impl Authorizations {
    /// `GET/POST /oauth2/authorize` from a browser whose session is `browser`.
    pub async fn authorize(&self, params: &AuthorizeParams, browser: Option<&Caller>) -> Result<Answer> {
        let client = match params.client_id.as_deref().and_then(|id| Uuid::parse_str(id).ok()) {
            Some(id) => self.clients.get(ClientId(id)).await?,
            None => None,
        };
        match check_request(params, client.as_ref(), self.clock.now()) {
            Err(Refusal::Shown(why)) => Ok(Answer::Shown(why)),
            Err(Refusal::Sent(sent)) => Ok(Answer::ToClient(self.error_url(&sent))),
            Ok(request) => {
                let client = client.expect("a checked request has its client");
                self.proceed(None, request, &client, browser).await
            }
        }
    }

    /// The request kept under `id`, taken up again after the pages' part.
    pub async fn resume(&self, id: Uuid, browser: Option<&Caller>) -> Result<Answer> {
        let Some(Pending { request, client }) = self.pending(id).await? else { return Ok(Answer::Shown(EXPIRED)) };
        self.proceed(Some(id), request, &client, browser).await
    }

    /// The request kept under `id` with its client, while both exist and
    /// the redirect URI is still one the client registered.
    pub async fn pending(&self, id: Uuid) -> Result<Option<Pending>> {
        let Some(request) = self.repo.request(id, self.clock.now()).await? else { return Ok(None) };
        let client = self.clients.get(request.client_id).await?.filter(|c| c.redirects_to(&request.redirect_uri));
        Ok(client.map(|client| Pending { request, client }))
    }

    /// The person's answer on the consent page for the request `id`.
    pub async fn answer_consent(&self, id: Uuid, browser: &Caller, approve: bool) -> Result<Answer> {
        let browser = browser.unrestricted()?;
        let Some(Pending { request, client }) = self.pending(id).await? else { return Ok(Answer::Shown(EXPIRED)) };
        if !approve {
            self.repo.drop_request(id).await?;
            let sent = request.refused(OAuthError::AccessDenied, "the user declined");
            return Ok(Answer::ToClient(self.error_url(&sent)));
        }
        let now = self.clock.now();
        let mut scopes = self.repo.consent(browser.user_id, client.id).await?.map(|c| c.scopes).unwrap_or_default();
        scopes.extend(request.scopes.iter().copied());
        scopes.sort();
        scopes.dedup();
        self.repo.grant_consent(browser.user_id, client.id, &scopes, now).await?;
        let detail = [("client_id", client.id.to_string().into()), ("scope", request.scope_words().into())];
        self.audit.record(browser.user_id, None, EventKind::OidcConsentGranted, &detail).await?;
        self.proceed(Some(id), request, &client, Some(&browser)).await
    }

    /// Decides the next step and takes it: a code or an error ends the
    /// request; anything else keeps it (under `id`, or a new one).
    async fn proceed(
        &self,
        id: Option<Uuid>,
        request: AuthorizeRequest,
        client: &Client,
        browser: Option<&Caller>,
    ) -> Result<Answer> {
        let now = self.clock.now();
        let session = match browser {
            Some(c) => Some(self.browser_session(&request, c).await?),
            None => None,
        };
        let consent = match (browser, client.skip_consent) {
            (Some(c), false) => self.repo.consent(c.user_id, client.id).await?,
            _ => None,
        };
        let step = next_step(&request, client, session, consent.as_ref(), now);
        let url = match (&step, browser) {
            (Step::Code, Some(caller)) => self.issue_code(&request, caller, now).await?,
            (Step::Refuse(sent), _) => self.error_url(sent),
            _ => {
                let id = match id {
                    Some(id) => id,
                    None => {
                        let id = self.rng.uuid_v4();
                        self.repo.save_request(id, &request, now + REQUEST_LIFETIME).await?;
                        id
                    }
                };
                return Ok(Answer::Interact { request: id, step });
            }
        };
        if let Some(id) = id {
            self.repo.drop_request(id).await?;
        }
        Ok(Answer::ToClient(url))
    }

    /// The browser's session as the decision needs it; whether its user
    /// has a second factor is read only when a step-up is in question.
    async fn browser_session(&self, request: &AuthorizeRequest, caller: &Caller) -> Result<BrowserSession> {
        let has_second_factor = if request.wants_aal2 && caller.assurance.acr() < Acr::Aal2 {
            let user = self.users.user(caller.user_id).await?.ok_or(Error::TokenInvalid)?;
            !self.second_factor.methods_for(&user).await?.is_empty()
        } else {
            true
        };
        Ok(BrowserSession { assurance: caller.assurance, has_second_factor })
    }

    /// Stores a new code for `request` and the browser's user; the
    /// redirect URI that carries it.
    async fn issue_code(&self, request: &AuthorizeRequest, caller: &Caller, now: DateTime<Utc>) -> Result<String> {
        let code = AuthorizationCode::generate(&*self.rng);
        let grant = CodeGrant {
            hash: code.hashed(&*self.keyed_hasher),
            client_id: request.client_id,
            user_id: caller.user_id,
            browser_session: caller.session_id,
            redirect_uri: request.redirect_uri.clone(),
            scopes: request.scopes.clone(),
            nonce: request.nonce.clone(),
            challenge: request.challenge.clone(),
            assurance: caller.assurance,
            created_at: now,
            expires_at: now + CODE_LIFETIME,
        };
        self.repo.insert_code(&grant).await?;
        let detail = [("client_id", request.client_id.to_string().into()), ("scope", request.scope_words().into())];
        self.audit.record(caller.user_id, None, EventKind::OidcCodeIssued, &detail).await?;
        Ok(redirect_with(
            &request.redirect_uri,
            &[("code", Some(code.expose())), ("state", request.state.as_deref()), ("iss", Some(&self.issuer))],
        ))
    }

    fn error_url(&self, sent: &Sent) -> String {
        let params = [
            ("error", Some(sent.error.as_str())),
            ("error_description", Some(sent.description.as_str())),
            ("state", sent.state.as_deref()),
            ("iss", Some(self.issuer.as_str())),
        ];
        redirect_with(&sent.redirect_uri, &params)
    }
}

/// `uri` with `params` added to its query (RFC 6749 §3.1.2: a query the
/// client registered is kept), each form-encoded.
pub fn redirect_with(uri: &str, params: &[(&str, Option<&str>)]) -> String {
    let mut out = uri.to_owned();
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (name, value) in params {
        let Some(value) = value else { continue };
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        out.push(sep);
        out.push_str(name);
        out.push('=');
        out.push_str(&encoded);
        sep = '&';
    }
    out
}
