//! The password step of a login: it ends in a session, or hands over to the
//! second factor ([`SecondFactor`]).

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::assurance::Amr;
use crate::audit::{Audit, Detail, EventKind};
use crate::email::Emails;
use crate::error::{Error, Result};
use crate::otp::{Pending, SecondFactor};
use crate::password::plausible_login_password;
use crate::ports::{PasswordHasher, UserRepo};
use crate::session::{SessionKeys, Sessions};
use crate::throttle::{ClientAddress, RateScope, Throttle, account_key};
use crate::token::TokenPair;
use crate::user::{LoginName, StoredUser, User};

/// What a correct password earns: `K` is what an open session hands out,
/// a token pair to the API, a browser token to the web pages.
#[derive(Debug)]
pub enum LoginOutcome<K = TokenPair> {
    /// No second factor: the session is open.
    Tokens(K),
    /// A second factor is due.
    SecondFactor(Pending),
}

#[derive(Clone)]
pub struct Login {
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) throttle: Throttle,
    pub(crate) sessions: Sessions,
    pub(crate) second_factor: SecondFactor,
    pub(crate) audit: Audit,
    /// Let in only accounts whose address is proved (checked after the
    /// password, so a guesser learns nothing).
    pub(crate) require_verified_email: bool,
    pub(crate) emails: Emails,
}

impl Login {
    /// Checks a login name and password from `from`, within the limit of
    /// logins per client address. Unknown users, wrong passwords and
    /// deactivated accounts get the same error after the same work: one hash.
    pub async fn login(&self, from: &ClientAddress, login: &str, password: &SecretString) -> Result<LoginOutcome> {
        self.login_as(from, login, password).await
    }

    /// [`login`](Self::login), for a client that keeps its session as `K`.
    pub async fn login_as<K: SessionKeys>(
        &self,
        from: &ClientAddress,
        login: &str,
        password: &SecretString,
    ) -> Result<LoginOutcome<K>> {
        self.login_on_device_as(from, login, password, None).await
    }

    /// [`login_as`](Self::login_as) from a device that may have been
    /// trusted after an earlier second factor: a live `device_token` of the
    /// same user lets the right password alone open the session (`aal1`).
    #[tracing::instrument(skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn login_on_device_as<K: SessionKeys>(
        &self,
        from: &ClientAddress,
        login: &str,
        password: &SecretString,
        device_token: Option<&str>,
    ) -> Result<LoginOutcome<K>> {
        self.throttle.check_rate(RateScope::Token, &from.0).await?;
        if !plausible_login_password(password.expose_secret()) {
            return Err(Error::InvalidCredentials);
        }
        // A storm past the hashing threads is shed before any lookup.
        self.hasher.admit()?;
        let name = LoginName::parse(login);
        let stored = match &name {
            Some(name) => self.users.by_login(name).await?,
            None => None,
        };
        if let Some(s) = &stored {
            tracing::Span::current().record("user_id", tracing::field::display(s.user.id));
        }
        let key = account_key(stored.as_ref().map(|s| s.user.id), name.as_ref(), login);
        // Locked names are refused before any hashing, known or not: the
        // answer is the same either way and costs the attacker, not us.
        self.throttle.ensure_unlocked(&key).await?;
        let hash = stored.as_ref().map_or(self.hasher.dummy_hash(), |s| s.password_hash.as_str());
        let matches = self.hasher.verify(password, hash).await?;
        let user = match stored {
            Some(StoredUser { user, .. }) if matches && user.is_active => user,
            Some(StoredUser { user, .. }) => {
                let failures = self.throttle.count_failure(&key, Some(user.id)).await?;
                let why = if matches { "inactive" } else { "wrong_password" };
                let detail = [("reason", why.into()), ("failures", failures.into())];
                self.audit.record(user.id, None, EventKind::LoginFailed, &detail).await?;
                return Err(Error::InvalidCredentials);
            }
            None => {
                self.throttle.count_failure(&key, None).await?;
                return Err(Error::InvalidCredentials);
            }
        };
        self.after_password(from, &user, &key, "password", device_token).await
    }

    /// Whether `user`, who proved who they are, may be let in: with
    /// `AUTHD_REQUIRE_VERIFIED_EMAIL`, only with a proved address (and a
    /// fresh link goes out, within the cooldown and the hourly limit; the
    /// refusal stands whether one went out or not).
    pub(crate) async fn admits(&self, user: &User) -> Result<()> {
        if self.require_verified_email && !user.email_verified() {
            if let Err(e) = self.emails.resend_to(user).await {
                tracing::debug!(error = %e, "no new mail proving the address");
            }
            return Err(Error::EmailUnverified);
        }
        Ok(())
    }

    /// What follows a proved password (or a reset, which sets one): the
    /// second factor, when the user has one and `device_token` is not one
    /// of their trusted devices', exactly as after a password; otherwise
    /// the session, proved by the password alone. `factors` names the
    /// proof in the event.
    pub(crate) async fn after_password<K: SessionKeys>(
        &self,
        from: &ClientAddress,
        user: &User,
        key: &str,
        factors: &str,
        device_token: Option<&str>,
    ) -> Result<LoginOutcome<K>> {
        self.admits(user).await?;
        let methods = self.second_factor.methods_for(user).await?;
        let mut factors = factors.to_owned();
        if !methods.is_empty() {
            if !self.sessions.trusted_devices.recognise(user.id, device_token).await? {
                return self.second_factor.issue(user, methods).await.map(LoginOutcome::SecondFactor);
            }
            factors.push_str(",trusted_device");
        }
        // Only a complete login resets the count: a two-factor user's count
        // runs on through their codes, or knowing the password would buy
        // endless fresh code guesses.
        self.throttle.reset(key).await?;
        // A user the policy covers who has no second factor gets a session
        // that may only enrol one.
        let due = methods.is_empty() && self.second_factor.required.covers(user);
        let pair = self.sessions.open(user.id, Amr::password(), due, Error::InvalidCredentials).await?;
        self.audit.record(user.id, None, EventKind::LoginSucceeded, &signed_in(&factors, from)).await?;
        Ok(LoginOutcome::Tokens(pair))
    }
}

/// What a `login_succeeded` event says: the factors proved (`password,totp`)
/// and, when the device said what it is, the device ("Chrome on Linux").
pub(crate) fn signed_in(factors: &str, from: &ClientAddress) -> Vec<(&'static str, Detail)> {
    let mut detail = vec![("factors", factors.into())];
    detail.extend(from.device().map(|d| ("device", d.into())));
    detail
}

#[cfg(test)]
mod tests;
