//! Proving an email address. A mail to the address carries a link (a
//! [`LinkToken`], 128 bits) and a short code (eight digits) for reading the
//! mail on another device; either proves the address, once, within
//! `AUTHD_EMAIL_VERIFICATION_TTL`. The mail is a challenge of the one
//! mechanism for sent codes ([`SentCodes`]): queued in the outbox with it,
//! sealed there, five wrong codes and it is dead, used once.
//!
//! A user's mail goes to the last address they proved ([`User::mail_to`]),
//! so a new address gets no login code or reset until it is proved; the
//! proof is marked only if the address is still the user's
//! ([`UserRepo::confirm_email`]).

use std::sync::Arc;
use std::time::Duration;

use crate::audit::{Audit, EventKind};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::notify::MessageKind;
use crate::otp::mailed_links::MailedLinks;
use crate::otp::sent_codes::{CodeStatus, SentCodes};
use crate::otp::{OtpChallenge, Purpose};
use crate::ports::{OtpRepo, UserRepo};
use crate::session::Caller;
use crate::throttle::{ClientAddress, RateScope, Throttle};
use crate::user::{User, UserId};

#[derive(Clone)]
pub struct Emails {
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) otps: Arc<dyn OtpRepo>,
    pub(crate) links: MailedLinks,
    pub(crate) codes: SentCodes,
    pub(crate) throttle: Throttle,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    /// How long a mailed proof works.
    pub(crate) ttl: Duration,
}

impl Emails {
    /// Queues a mail proving `user`'s current address: at registration and
    /// when the address changes. Each mail is a new challenge; an earlier
    /// one still proves the same address until it expires.
    pub(crate) async fn send_proof(&self, user: &User) -> Result<CodeStatus> {
        self.links.send(user.id, Purpose::Email, MessageKind::EmailVerification, &user.email, self.ttl).await
    }

    /// The caller asks for a new mail: not for a proved address, not within
    /// the cooldown of the last mail (the registration's included), and at
    /// most the hourly limit of mails per user.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn resend(&self, caller: &Caller) -> Result<CodeStatus> {
        self.resend_to(&self.user(caller.user_id).await?).await
    }

    /// [`resend`](Self::resend) for `user`: also what a login refused for
    /// an unproved address does (`AUTHD_REQUIRE_VERIFIED_EMAIL`), so the
    /// person gets a fresh link where they look for it.
    pub(crate) async fn resend_to(&self, user: &User) -> Result<CodeStatus> {
        if user.email_verified() {
            return Err(Error::AlreadyVerified);
        }
        if let Some(last) = self.otps.latest(user.id, Purpose::Email).await?
            && let Some(retry_after) = self.codes.cooling_down(&last, self.clock.now())
        {
            return Err(Error::ResendCooldown { retry_after });
        }
        self.throttle.check_rate(RateScope::EmailCode, &user.id.to_string()).await?;
        self.send_proof(user).await
    }

    /// Proves the address a mail went to by the link's token, once.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_link(&self, from: &ClientAddress, token: &str) -> Result<User> {
        self.throttle.check_rate(RateScope::VerifyOtp, &from.0).await?;
        let challenge = self.links.by_token(Purpose::Email, token).await?.ok_or(Error::VerificationInvalid)?;
        self.prove(&challenge).await
    }

    /// Proves `email` by the short code mailed to it, once; a wrong code
    /// costs one of the mail's five tries.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_code(&self, from: &ClientAddress, email: &str, code: &str) -> Result<User> {
        self.throttle.check_rate(RateScope::VerifyOtp, &from.0).await?;
        let found = self.links.by_code(Purpose::Email, email, code, true).await?;
        self.prove(&found.ok_or(Error::VerificationInvalid)?).await
    }

    /// Spends `challenge` and marks the address it went to proved, if it is
    /// still the user's.
    async fn prove(&self, challenge: &OtpChallenge) -> Result<User> {
        let uid = challenge.owner.user().ok_or(Error::VerificationInvalid)?;
        if challenge.closed_reason(self.clock.now()).is_some() {
            return Err(Error::VerificationInvalid);
        }
        self.codes.spend(challenge).await.map_err(|_| Error::VerificationInvalid)?;
        let email = challenge.destination.as_deref().ok_or(Error::VerificationInvalid)?;
        if !self.users.confirm_email(uid, email, self.clock.now()).await? {
            return Err(Error::VerificationInvalid);
        }
        self.audit.record(uid, None, EventKind::EmailVerified, &[]).await?;
        self.user(uid).await
    }

    async fn user(&self, id: UserId) -> Result<User> {
        self.users.user(id).await?.ok_or(Error::TokenInvalid)
    }
}

#[cfg(test)]
mod tests;
