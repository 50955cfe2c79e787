//! The second step of a two-factor login: a challenge is issued with the
//! temporary token, its code is checked (a wrong one counts against the
//! challenge and the account), and a fresh code may be resent.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::challenge::{MAX_ATTEMPTS, MAX_RESENDS, Method, OtpChallenge};
use super::code::OtpCode;
use crate::audit::{Audit, EventKind};
use crate::clock::{Clock, after, retry_after, span};
use crate::error::{Error, Result};
use crate::mail::{Mail, MailKind};
use crate::ports::{Mailer, OtpHasher, OtpRepo, UserRepo};
use crate::rng::Rng;
use crate::session::Sessions;
use crate::throttle::{Throttle, account_key};
use crate::token::{TokenKind, TokenPair, Tokens};
use crate::user::{Email, User};

/// A second factor is due: a code went out, and this token lets the caller answer it.
#[derive(Debug)]
pub struct Pending {
    pub temporary_token: String,
    /// Seconds the temporary token (and the code) lives.
    pub expires_in: u64,
    pub methods: Vec<Method>,
}

#[derive(Clone)]
pub struct SecondFactor {
    pub(crate) otps: Arc<dyn OtpRepo>,
    pub(crate) otp_hasher: Arc<dyn OtpHasher>,
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    pub(crate) tokens: Tokens,
    pub(crate) sessions: Sessions,
    pub(crate) throttle: Throttle,
    pub(crate) audit: Audit,
    pub(crate) temporary_ttl: Duration,
    pub(crate) resend_cooldown: Duration,
}

impl SecondFactor {
    /// How long a login waits between codes.
    pub fn resend_cooldown(&self) -> Duration {
        self.resend_cooldown
    }

    /// Opens a challenge for `user`, whose password was right, mails its
    /// code and signs the temporary token bound to it.
    pub async fn issue(&self, user: &User) -> Result<Pending> {
        let now = self.clock.now();
        let id = self.rng.uuid_v4();
        let code = OtpCode::generate(&*self.rng);
        let challenge = OtpChallenge {
            id,
            user_id: user.id,
            method: Method::Email,
            code_hash: self.otp_hasher.hash(id, &code),
            attempts: 0,
            resends: 0,
            created_at: now,
            last_sent_at: now,
            expires_at: after(now, self.temporary_ttl),
            used_at: None,
        };
        self.otps.create(&challenge).await?;
        self.mail_code(&user.email, &challenge, code, false).await?;
        Ok(Pending {
            temporary_token: self.tokens.temporary(user.id, id, now, challenge.expires_at)?,
            expires_in: self.temporary_ttl.as_secs(),
            methods: vec![Method::Email],
        })
    }

    /// The challenge a temporary token belongs to, if it is still open.
    async fn open_challenge(&self, temporary_token: &str) -> Result<OtpChallenge> {
        let claims = self.tokens.check(temporary_token, TokenKind::Temporary)?;
        let challenge = self.otps.get(claims.sid).await?.ok_or(Error::TokenInvalid)?;
        if challenge.user_id != claims.sub {
            return Err(Error::TokenInvalid);
        }
        match challenge.closed_reason(self.clock.now()) {
            Some(e) => Err(e),
            None => Ok(challenge),
        }
    }

    /// Checks the code of a two-factor login and opens the session. A wrong
    /// code counts against the challenge; the fifth kills it.
    #[tracing::instrument(skip_all)]
    pub async fn verify(&self, temporary_token: &str, code: &str) -> Result<TokenPair> {
        let challenge = self.open_challenge(temporary_token).await?;
        let code = OtpCode::parse(code)?;
        let key = account_key(Some(challenge.user_id), None, "");
        self.throttle.ensure_unlocked(&key).await?;
        let now = self.clock.now();
        let uid = challenge.user_id;
        if self.otp_hasher.verify(challenge.id, &code, &challenge.code_hash) {
            if !self.otps.consume(challenge.id, now, MAX_ATTEMPTS).await? {
                // Lost a race: another request used or killed it first.
                return Err(self.closed_now(challenge.id).await);
            }
            let pair = self.sessions.open(uid, Error::TokenInvalid).await?;
            self.throttle.reset(&key).await?;
            self.audit.record(uid, None, EventKind::OtpVerified, &[("method", "email".into())]).await?;
            self.audit.record(uid, None, EventKind::LoginSucceeded, &[("factors", "password,email".into())]).await?;
            return Ok(pair);
        }
        if !self.otps.record_failure(challenge.id, MAX_ATTEMPTS).await? {
            return Err(self.closed_now(challenge.id).await);
        }
        // Concurrent wrong guesses may make this an overestimate; the database
        // alone decided whether this one counted.
        self.throttle.count_failure(&key, Some(uid)).await?;
        let remaining = MAX_ATTEMPTS.saturating_sub(challenge.attempts + 1);
        let kind = if remaining == 0 { EventKind::OtpLocked } else { EventKind::OtpFailed };
        self.audit.record(uid, None, kind, &[("remaining_attempts", remaining.to_string())]).await?;
        Err(Error::OtpInvalid { remaining })
    }

    /// Why a challenge that just refused a conditional update is closed.
    async fn closed_now(&self, id: Uuid) -> Error {
        match self.otps.get(id).await {
            Ok(Some(c)) => c.closed_reason(self.clock.now()).unwrap_or(Error::OtpLocked),
            Ok(None) => Error::TokenInvalid,
            Err(e) => e,
        }
    }

    /// Sends a fresh code for the same login, replacing the old one, at most
    /// `MAX_RESENDS` times and not within the cooldown of the last one.
    #[tracing::instrument(skip_all)]
    pub async fn resend(&self, temporary_token: &str) -> Result<()> {
        let challenge = self.open_challenge(temporary_token).await?;
        let now = self.clock.now();
        let cooldown = span(self.resend_cooldown);
        let code = OtpCode::generate(&*self.rng);
        let hash = self.otp_hasher.hash(challenge.id, &code);
        let replaced =
            self.otps.replace_code(challenge.id, &hash, now, now - cooldown, MAX_ATTEMPTS, MAX_RESENDS).await?;
        if !replaced {
            let current = self.otps.get(challenge.id).await?.ok_or(Error::TokenInvalid)?;
            if let Some(e) = current.closed_reason(now) {
                return Err(e);
            }
            if current.resends >= MAX_RESENDS {
                return Err(Error::ResendLimit);
            }
            return Err(Error::ResendCooldown {
                retry_after: retry_after(now, after(current.last_sent_at, self.resend_cooldown)),
            });
        }
        let user = self.users.by_id(challenge.user_id).await?.ok_or(Error::TokenInvalid)?;
        self.mail_code(&user.user.email, &challenge, code, true).await
    }

    /// Mails `code` for `challenge` and records that it went out.
    async fn mail_code(&self, email: &str, challenge: &OtpChallenge, code: OtpCode, resend: bool) -> Result<()> {
        let to = Email::parse(email)?;
        self.mailer.send(&Mail { to, kind: MailKind::LoginCode { code, expires_at: challenge.expires_at } }).await?;
        let detail = [("method", challenge.method.as_str().into()), ("resend", resend.to_string())];
        self.audit.record(challenge.user_id, None, EventKind::OtpSent, &detail).await
    }
}
