//! Signing in with a passkey alone: no name, no password. The browser
//! offers the user's discoverable credential for this site; its signature,
//! made after the authenticator checked the person, is both factors.

use std::sync::Arc;

use chrono::Duration as Span;
use uuid::Uuid;

use super::about;
use super::ceremony::{CEREMONY_TTL, Ceremony, CeremonyPurpose};
use super::{Checked, PasskeyCheck};
use crate::audit::{Audit, EventKind};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::login::Login;
use crate::ports::{PasskeyRepo, UserRepo, WebAuthn};
use crate::rng::Rng;
use crate::session::{SessionKeys, Sessions};
use crate::throttle::{ClientAddress, RateScope, Throttle, user_key};
use crate::token::TokenPair;

/// A sign-in ceremony begun: its id and the options for
/// `navigator.credentials.get` (no allowed credentials: any of this site's).
#[derive(Debug)]
pub struct SignInStarted {
    pub ceremony_id: Uuid,
    pub options: String,
}

#[derive(Clone)]
pub struct PasskeySignIn {
    pub(crate) check: PasskeyCheck,
    pub(crate) repo: Arc<dyn PasskeyRepo>,
    pub(crate) webauthn: Arc<dyn WebAuthn>,
    pub(crate) users: Arc<dyn UserRepo>,
    /// Who may be let in at all (a proved address, if the server asks for one).
    pub(crate) login: Login,
    pub(crate) sessions: Sessions,
    pub(crate) throttle: Throttle,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    /// `AUTHD_PASSKEYS`: off, every call is [`Error::PasskeysOff`].
    pub(crate) on: bool,
}

impl PasskeySignIn {
    /// Whether passkeys are offered (`AUTHD_PASSKEYS`).
    pub fn enabled(&self) -> bool {
        self.on
    }

    /// Begins a sign-in from `from`, within the limit of logins per client
    /// address that password logins count against too.
    pub async fn start(&self, from: &ClientAddress) -> Result<SignInStarted> {
        if !self.on {
            return Err(Error::PasskeysOff);
        }
        self.throttle.check_rate(RateScope::Token, &from.0).await?;
        let started = self.webauthn.start_assertion(&[])?;
        let ceremony = Ceremony {
            id: self.rng.uuid_v4(),
            purpose: CeremonyPurpose::SignIn,
            owner: None,
            state: started.state,
            expires_at: self.clock.now() + Span::seconds(CEREMONY_TTL.as_secs() as i64),
        };
        self.repo.put_ceremony(&ceremony).await?;
        Ok(SignInStarted { ceremony_id: ceremony.id, options: started.options })
    }

    /// Finishes a sign-in with the browser's answer to ceremony
    /// `ceremony_id` (spent, right or wrong). An unknown credential, a bad
    /// signature, a missing user verification and a spent ceremony get one
    /// answer after the same work; a known user's refusal counts against
    /// their account's lockout.
    pub async fn finish(&self, ceremony_id: Uuid, credential: &str) -> Result<TokenPair> {
        self.finish_as(ceremony_id, credential).await
    }

    /// [`finish`](Self::finish), for a client that keeps its session as `K`.
    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn finish_as<K: SessionKeys>(&self, ceremony_id: Uuid, credential: &str) -> Result<K> {
        if !self.on {
            return Err(Error::PasskeysOff);
        }
        let now = self.clock.now();
        let state = self.repo.take_ceremony(ceremony_id, CeremonyPurpose::SignIn, None, now).await?;
        let passkey = match self.check.check(state, credential, None).await? {
            Checked::Accepted(passkey) => passkey,
            Checked::Refused { user, .. } => {
                if let Some(uid) = user {
                    self.throttle.count_failure(&user_key(uid), Some(uid)).await?;
                }
                return Err(Error::PasskeyInvalid { remaining: None });
            }
        };
        let uid = passkey.user_id;
        tracing::Span::current().record("user_id", tracing::field::display(uid));
        let user = self.users.by_id(uid).await?.ok_or(Error::PasskeyInvalid { remaining: None })?.user;
        if !user.is_active {
            return Err(Error::AccountInactive);
        }
        let key = user_key(uid);
        self.throttle.ensure_unlocked(&key).await?;
        self.login.admits(&user).await?;
        let keys = self.sessions.open(uid, Error::AccountInactive).await?;
        self.throttle.reset(&key).await?;
        self.audit.record(uid, None, EventKind::PasskeyUsed, &about(&passkey)).await?;
        self.audit.record(uid, None, EventKind::LoginSucceeded, &[("factors", "passkey".into())]).await?;
        Ok(keys)
    }
}
