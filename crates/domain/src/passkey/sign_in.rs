//! Signing in with a passkey alone: no name, no password. The browser
//! offers the user's discoverable credential for this site; its signature,
//! made after the authenticator checked the person, is both factors.

use std::sync::Arc;

use uuid::Uuid;

use super::about;
use super::ceremony::{Begun, CeremonyPurpose};
use super::{Checked, PasskeyCeremonies};
use crate::assurance::Amr;
use crate::audit::EventKind;
use crate::error::{Error, Result};
use crate::login::Login;
use crate::ports::UserRepo;
use crate::session::{SessionKeys, Sessions};
use crate::throttle::{ClientAddress, RateScope, Throttle, user_key};
use crate::token::TokenPair;

#[derive(Clone)]
pub struct PasskeySignIn {
    pub(crate) ceremonies: PasskeyCeremonies,
    pub(crate) users: Arc<dyn UserRepo>,
    /// Who may be let in at all (a proved address, if the server asks for one).
    pub(crate) login: Login,
    pub(crate) sessions: Sessions,
    pub(crate) throttle: Throttle,
    /// `AUTHD_PASSKEYS`: off, every call is [`Error::PasskeysOff`].
    pub(crate) on: bool,
}

impl PasskeySignIn {
    /// Whether passkeys are offered (`AUTHD_PASSKEYS`).
    pub fn enabled(&self) -> bool {
        self.on
    }

    /// Begins a sign-in from `from`, within the limit of logins per client
    /// address that password logins count against too. The options name
    /// no credential: the browser offers any of this site's.
    pub async fn start(&self, from: &ClientAddress) -> Result<Begun> {
        if !self.on {
            return Err(Error::PasskeysOff);
        }
        self.throttle.check_rate(RateScope::Token, &from.0).await?;
        let started = self.ceremonies.webauthn.start_assertion(&[])?;
        self.ceremonies.keep(CeremonyPurpose::SignIn, None, None, started, None).await
    }

    /// Finishes a sign-in with the browser's answer to ceremony
    /// `ceremony_id` (spent, right or wrong). An unknown credential, a bad
    /// signature, a missing user verification and a spent ceremony get one
    /// answer after the same work; a known user's refusal counts against
    /// their account's lockout.
    pub async fn finish(&self, from: &ClientAddress, ceremony_id: Uuid, credential: &str) -> Result<TokenPair> {
        self.finish_as(from, ceremony_id, credential).await
    }

    /// [`finish`](Self::finish), for a client that keeps its session as `K`.
    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn finish_as<K: SessionKeys>(
        &self,
        from: &ClientAddress,
        ceremony_id: Uuid,
        credential: &str,
    ) -> Result<K> {
        if !self.on {
            return Err(Error::PasskeysOff);
        }
        let state = self.ceremonies.take(ceremony_id, CeremonyPurpose::SignIn, None).await?;
        let passkey = match self.ceremonies.check(state, credential, None).await? {
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
        let user = self.users.user(uid).await?.ok_or(Error::PasskeyInvalid { remaining: None })?;
        if !user.is_active {
            return Err(Error::AccountInactive);
        }
        let key = user_key(uid);
        self.throttle.ensure_unlocked(&key).await?;
        self.login.admits(&user).await?;
        let keys = self.sessions.open(uid, Amr::passkey(), false, Error::AccountInactive).await?;
        self.throttle.reset(&key).await?;
        let audit = &self.ceremonies.audit;
        audit.record(uid, None, EventKind::PasskeyUsed, &about(&passkey)).await?;
        audit.record(uid, None, EventKind::LoginSucceeded, &crate::login::signed_in("passkey", from)).await?;
        Ok(keys)
    }
}
