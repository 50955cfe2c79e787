//! Account recovery: a forgotten password is replaced by what a mail to the
//! account's proved address carries, a link (a [`LinkToken`]) or the short
//! code beside it. The mail is a challenge of the one mechanism for sent
//! codes ([`SentCodes`]): queued with it, sealed, five wrong codes and it is
//! dead, used once (of concurrent confirms, one wins).
//!
//! - **No enumeration.** [`Resets::admit`] is all a request waits for (the
//!   per-address limit, the only refusal); [`Resets::request`] does the rest
//!   after the answer, so every address gets the same answer at the same
//!   time. A mail goes only to the proved address of an active account,
//!   within the per-account hourly limit.
//! - **Recovery never satisfies the second factor** (Ory Kratos #4317): a
//!   confirmed reset sets the password and then goes on exactly as a
//!   password login ([`Login::after_password`]): a user with a second factor
//!   proves it next. One whose only factor is mailed codes gets one by the
//!   same mailbox the reset went to: that login is recorded as
//!   `recovery_via_email_only`, and such an account is only as safe as its
//!   mailbox (docs/security.md).
//! - A reset ends every session, lifts the account's lockout, and mails a
//!   notice. Changing the password or the address kills open resets
//!   ([`UserRepo::set_password_hash`], [`UserRepo::update_profile`]).

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::audit::{Audit, EventKind};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::login::{Login, LoginOutcome};
use crate::notify::{MessageKind, Notices};
use crate::otp::mailed_links::MailedLinks;
use crate::otp::sent_codes::SentCodes;
use crate::otp::{Method, OtpChallenge, Purpose};
use crate::password::{Password, user_words};
use crate::ports::{PasswordHasher, UserRepo};
use crate::session::{SessionKeys, Sessions};
use crate::throttle::{ClientAddress, RateScope, Throttle, user_key};
use crate::user::LoginName;

/// What became of a reset request; never told to the person asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// A mail to the proved address is queued.
    Mailed,
    /// No active account with a proved address answers to it.
    Nothing,
    /// Over the account's hourly limit of reset mails.
    Throttled,
}

#[derive(Clone)]
pub struct Resets {
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) links: MailedLinks,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) codes: SentCodes,
    pub(crate) throttle: Throttle,
    pub(crate) sessions: Sessions,
    pub(crate) login: Login,
    pub(crate) notices: Notices,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    /// How long a reset mail works.
    pub(crate) ttl: Duration,
}

impl Resets {
    /// Counts a reset request from `from`: the only refusal a request gets
    /// (it says nothing about any address).
    pub async fn admit(&self, from: &ClientAddress) -> Result<()> {
        self.throttle.check_rate(RateScope::ResetRequest, &from.0).await
    }

    /// Mails a reset to the proved address of the active account whose
    /// email is `email`, within the account's hourly limit; nothing
    /// otherwise. Run after the request was answered.
    #[tracing::instrument(skip_all)]
    pub async fn request(&self, email: &str) -> Result<Requested> {
        let Some(login @ LoginName::Email(_)) = LoginName::parse(email) else {
            return Ok(Requested::Nothing);
        };
        let Some(stored) = self.users.by_login(&login).await? else {
            return Ok(Requested::Nothing);
        };
        let user = stored.user;
        let Some(to) = user.verified_email.clone().filter(|_| user.is_active) else {
            return Ok(Requested::Nothing);
        };
        if self.throttle.check_rate(RateScope::ResetMail, &user.id.to_string()).await.is_err() {
            return Ok(Requested::Throttled);
        }
        self.links.send(user.id, Purpose::Reset, MessageKind::PasswordReset, &to, self.ttl).await?;
        self.audit.record(user.id, None, EventKind::PasswordResetRequested, &[]).await?;
        Ok(Requested::Mailed)
    }

    /// Sets a new password with the reset mail's link token, then goes on as
    /// a password login.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_link<K: SessionKeys>(
        &self,
        from: &ClientAddress,
        token: &str,
        password: &SecretString,
        confirm: &SecretString,
    ) -> Result<LoginOutcome<K>> {
        self.throttle.check_rate(RateScope::VerifyOtp, &from.0).await?;
        let challenge = self.links.by_token(Purpose::Reset, token).await?.ok_or(Error::ResetInvalid)?;
        self.reset(from, &challenge, password, confirm).await
    }

    /// Sets a new password with the account's `email` and the reset mail's
    /// code, then goes on as a password login; a wrong code costs one of
    /// the mail's five tries.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_code<K: SessionKeys>(
        &self,
        from: &ClientAddress,
        email: &str,
        code: &str,
        password: &SecretString,
        confirm: &SecretString,
    ) -> Result<LoginOutcome<K>> {
        self.throttle.check_rate(RateScope::VerifyOtp, &from.0).await?;
        // The mail went to the proved address, which `reset` checks; the
        // code is typed with the account's address.
        let challenge = self.links.by_code(Purpose::Reset, email, code, false).await?.ok_or(Error::ResetInvalid)?;
        self.reset(from, &challenge, password, confirm).await
    }

    /// The reset itself: a password the policy accepts (a refused one
    /// spends nothing), the challenge spent (one winner), the password set,
    /// every session ended, the lockout lifted, the events and the notice;
    /// then the login goes on as after a password.
    async fn reset<K: SessionKeys>(
        &self,
        from: &ClientAddress,
        challenge: &OtpChallenge,
        password: &SecretString,
        confirm: &SecretString,
    ) -> Result<LoginOutcome<K>> {
        let uid = challenge.owner.user().ok_or(Error::ResetInvalid)?;
        if challenge.closed_reason(self.clock.now()).is_some() {
            return Err(Error::ResetInvalid);
        }
        let user = self.users.user(uid).await?.ok_or(Error::ResetInvalid)?;
        // The mail went to the address proved then: if that changed, or the
        // account was deactivated, the reset is dead.
        if !user.is_active || user.verified_email != challenge.destination {
            return Err(Error::ResetInvalid);
        }
        if password.expose_secret() != confirm.expose_secret() {
            return Err(Error::PasswordMismatch);
        }
        let words = user_words(&user.email, &user.username, &user.name, &user.lastname, &[]);
        let new = Password::parse(password.expose_secret(), &words)?;
        let hash = self.hasher.hash(&new).await?;
        self.codes.spend(challenge).await.map_err(|_| Error::ResetInvalid)?;
        if !self.users.set_password_hash(uid, &hash, self.clock.now()).await? {
            return Err(Error::ResetInvalid);
        }
        let revoked = self.sessions.revoke_all(uid, None).await?;
        let key = user_key(uid);
        self.throttle.reset(&key).await?;
        self.audit.record(uid, None, EventKind::PasswordReset, &[("sessions_revoked", revoked.into())]).await?;
        self.notices.send(uid, user.mail_to(), MessageKind::PasswordResetDone).await?;
        let methods = self.login.second_factor.methods_for(&user).await?;
        if methods == [Method::Email] {
            // The code comes by the mailbox the reset came by: say so.
            self.audit.record(uid, None, EventKind::RecoveryViaEmailOnly, &[]).await?;
        }
        self.login.after_password(from, &user, &key, "password_reset", None).await
    }
}

#[cfg(test)]
mod tests;
