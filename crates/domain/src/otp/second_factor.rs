//! The second step of a two-factor login. A challenge is issued with the
//! temporary token; it is answered with one of the user's methods (an
//! authenticator app's code, a recovery code, or a mailed code). Every wrong
//! answer, whatever the method, counts against the same challenge (five
//! tries) and the same account lockout.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::challenge::{MAX_ATTEMPTS, MAX_RESENDS, Method, OtpChallenge};
use super::code::OtpCode;
use crate::audit::{Audit, EventKind};
use crate::clock::{Clock, after, retry_after, span};
use crate::error::{Error, Result};
use crate::notify::{Channel, Delivery, MessageKind};
use crate::ports::{OtpHasher, OtpRepo, RecoveryCodeRepo, SecretSealer, TotpRepo, UserRepo};
use crate::recovery_code::RecoveryCode;
use crate::rng::Rng;
use crate::session::Sessions;
use crate::throttle::{Throttle, user_key};
use crate::token::{TokenKind, TokenPair, Tokens};
use crate::totp::{TotpCredential, TotpSecret};
use crate::user::{Email, User, UserId};

/// A second factor is due: this token lets the caller answer it.
#[derive(Debug)]
pub struct Pending {
    pub temporary_token: String,
    /// Seconds the temporary token (and the challenge) lives.
    pub expires_in: u64,
    /// What the user may answer with, the default first.
    pub methods: Vec<Method>,
}

/// A finished login.
#[derive(Debug)]
pub struct Verified {
    pub pair: TokenPair,
    /// After a recovery code: how many the user has left.
    pub recovery_codes_left: Option<u32>,
}

#[derive(Clone)]
pub struct SecondFactor {
    pub(crate) otps: Arc<dyn OtpRepo>,
    pub(crate) otp_hasher: Arc<dyn OtpHasher>,
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) totp: Arc<dyn TotpRepo>,
    pub(crate) recovery_codes: Arc<dyn RecoveryCodeRepo>,
    pub(crate) sealer: Arc<dyn SecretSealer>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    pub(crate) tokens: Tokens,
    pub(crate) sessions: Sessions,
    pub(crate) throttle: Throttle,
    pub(crate) audit: Audit,
    pub(crate) temporary_ttl: Duration,
    pub(crate) resend_cooldown: Duration,
    /// Whether a user with an authenticator app may also answer with a
    /// mailed code (weaker: it makes the mailbox a second factor).
    pub(crate) mail_fallback: bool,
}

impl SecondFactor {
    /// How long a login waits between mailed codes.
    pub fn resend_cooldown(&self) -> Duration {
        self.resend_cooldown
    }

    /// The second factors `user` can answer with, the default first; none
    /// means the password is enough. An active authenticator app always
    /// demands a second factor, whatever `is_2fa` says.
    pub async fn methods_for(&self, user: &User) -> Result<Vec<Method>> {
        let app = self.active_app(user.id).await?;
        Ok(self.methods(user, app.as_ref()))
    }

    /// [`methods_for`](Self::methods_for), given the user's active app as
    /// already read.
    pub(crate) fn methods(&self, user: &User, app: Option<&TotpCredential>) -> Vec<Method> {
        match (app.is_some(), user.is_2fa) {
            (true, _) if self.mail_fallback => vec![Method::Totp, Method::RecoveryCode, Method::Email],
            (true, _) => vec![Method::Totp, Method::RecoveryCode],
            (false, true) => vec![Method::Email],
            (false, false) => vec![],
        }
    }

    /// The user's authenticator app, if it is active.
    pub(crate) async fn active_app(&self, user: UserId) -> Result<Option<TotpCredential>> {
        Ok(self.totp.get(user).await?.filter(TotpCredential::is_active))
    }

    /// Opens a challenge for `user`, whose password was right, and signs the
    /// temporary token bound to it. A code is mailed only when mail is the
    /// default method.
    pub async fn issue(&self, user: &User, methods: Vec<Method>) -> Result<Pending> {
        let default = *methods.first().ok_or(Error::MethodUnavailable)?;
        let now = self.clock.now();
        let id = self.rng.uuid_v4();
        let mut challenge = OtpChallenge {
            id,
            user_id: user.id,
            method: default,
            code_hash: Vec::new(),
            attempts: 0,
            resends: 0,
            created_at: now,
            // No code went out yet: the first one may be asked for at once.
            last_sent_at: now - span(self.resend_cooldown),
            expires_at: after(now, self.temporary_ttl),
            used_at: None,
            delivery_id: None,
        };
        let mut delivery = None;
        if default == Method::Email {
            let code = OtpCode::generate(&*self.rng);
            challenge.code_hash = self.otp_hasher.hash(id, &code);
            challenge.last_sent_at = now;
            let d = self.delivery(&challenge, &user.email, &code)?;
            challenge.delivery_id = Some(d.id);
            delivery = Some(d);
        }
        self.otps.create(&challenge, delivery.as_ref()).await?;
        if delivery.is_some() {
            self.record_sent(&challenge, false).await?;
        }
        Ok(Pending {
            temporary_token: self.tokens.temporary(user.id, id, now, challenge.expires_at)?,
            expires_in: self.temporary_ttl.as_secs(),
            methods,
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

    /// The challenge's user, their active app and the methods they have
    /// now (an app removed since the login no longer counts): the app is
    /// read once, and its secret is what a TOTP answer is checked against.
    async fn factors(&self, challenge: &OtpChallenge) -> Result<(User, Option<TotpCredential>, Vec<Method>)> {
        let user = self.users.by_id(challenge.user_id).await?.ok_or(Error::TokenInvalid)?.user;
        let app = self.active_app(user.id).await?;
        let methods = self.methods(&user, app.as_ref());
        Ok((user, app, methods))
    }

    /// Checks the answer to a two-factor login and opens the session.
    /// `method` defaults to the one offered first at login. A malformed
    /// answer costs no try; a wrong one counts against the challenge and
    /// the account.
    #[tracing::instrument(skip_all)]
    pub async fn verify(&self, temporary_token: &str, answer: &str, method: Option<Method>) -> Result<Verified> {
        let challenge = self.open_challenge(temporary_token).await?;
        let (_, app, methods) = self.factors(&challenge).await?;
        let method = method.unwrap_or(challenge.method);
        if !methods.contains(&method) {
            return Err(Error::MethodUnavailable);
        }
        let uid = challenge.user_id;
        let key = user_key(uid);
        self.throttle.ensure_unlocked(&key).await?;
        let now = self.clock.now();
        let mut codes_left = None;
        let right = match method {
            Method::Email => {
                let code = OtpCode::parse(answer)?;
                self.otp_hasher.verify(challenge.id, &code, &challenge.code_hash)
            }
            Method::Totp => {
                OtpCode::parse(answer)?;
                let app = app.as_ref().ok_or(Error::MethodUnavailable)?;
                let secret = TotpSecret::from_bytes(self.sealer.open(&app.sealed_secret, uid.0.as_bytes())?)?;
                match secret.matching_step(answer, now) {
                    // RFC 6238 §5.2: a step is accepted once. A replay is
                    // no guess (whoever sends it saw the code), so it costs
                    // no try, but it opens nothing.
                    Some(step) if !self.totp.accept_step(uid, step).await? => return Err(Error::OtpUsed),
                    Some(_) => true,
                    None => false,
                }
            }
            Method::RecoveryCode => {
                let code = RecoveryCode::parse(answer)?;
                let hash = self.otp_hasher.hash_recovery_code(uid, &code);
                let spent = self.recovery_codes.consume(uid, &hash, now).await?;
                if spent {
                    let left = self.recovery_codes.remaining(uid).await?;
                    self.audit.record(uid, None, EventKind::RecoveryCodeUsed, &[("left", left.to_string())]).await?;
                    codes_left = Some(left);
                }
                spent
            }
        };
        if !right {
            return Err(self.wrong_answer(&challenge, &key).await);
        }
        if !self.otps.consume(challenge.id, now, MAX_ATTEMPTS).await? {
            // Lost a race: another request used or killed it first.
            return Err(self.closed_now(challenge.id).await);
        }
        let pair = self.sessions.open(uid, Error::TokenInvalid).await?;
        self.throttle.reset(&key).await?;
        let factors = format!("password,{}", method.as_str());
        self.audit.record(uid, None, EventKind::OtpVerified, &[("method", method.as_str().into())]).await?;
        self.audit.record(uid, None, EventKind::LoginSucceeded, &[("factors", factors)]).await?;
        Ok(Verified { pair, recovery_codes_left: codes_left })
    }

    /// Counts a wrong answer against the challenge and the account; the
    /// error to answer with.
    async fn wrong_answer(&self, challenge: &OtpChallenge, key: &str) -> Error {
        let counted = async {
            if !self.otps.record_failure(challenge.id, MAX_ATTEMPTS).await? {
                return Ok(self.closed_now(challenge.id).await);
            }
            // Concurrent wrong guesses may make this an overestimate; the
            // database alone decided whether this one counted.
            self.throttle.count_failure(key, Some(challenge.user_id)).await?;
            let remaining = MAX_ATTEMPTS.saturating_sub(challenge.attempts + 1);
            let kind = if remaining == 0 { EventKind::OtpLocked } else { EventKind::OtpFailed };
            self.audit.record(challenge.user_id, None, kind, &[("remaining_attempts", remaining.to_string())]).await?;
            Ok(Error::OtpInvalid { remaining })
        };
        counted.await.unwrap_or_else(|e: Error| e)
    }

    /// Why a challenge that just refused a conditional update is closed.
    async fn closed_now(&self, id: Uuid) -> Error {
        match self.otps.get(id).await {
            Ok(Some(c)) => c.closed_reason(self.clock.now()).unwrap_or(Error::OtpLocked),
            Ok(None) => Error::TokenInvalid,
            Err(e) => e,
        }
    }

    /// Queues a fresh code by mail for the same login, replacing any earlier one, at
    /// most `MAX_RESENDS` times and not within the cooldown of the last
    /// one. Only mail can be resent, and only to a user who may use it.
    #[tracing::instrument(skip_all)]
    pub async fn resend(&self, temporary_token: &str, method: Option<Method>) -> Result<()> {
        let challenge = self.open_challenge(temporary_token).await?;
        let (user, _, methods) = self.factors(&challenge).await?;
        if method.unwrap_or(Method::Email) != Method::Email || !methods.contains(&Method::Email) {
            return Err(Error::MethodUnavailable);
        }
        let now = self.clock.now();
        let cooldown = span(self.resend_cooldown);
        let code = OtpCode::generate(&*self.rng);
        let hash = self.otp_hasher.hash(challenge.id, &code);
        let delivery = self.delivery(&challenge, &user.email, &code)?;
        let replaced = self
            .otps
            .replace_code(challenge.id, &hash, now, now - cooldown, MAX_ATTEMPTS, MAX_RESENDS, &delivery)
            .await?;
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
        self.record_sent(&challenge, true).await
    }

    /// The outbox row that mails `code` for `challenge`, the code sealed to
    /// the row so that a database dump shows no code waiting to go out.
    fn delivery(&self, challenge: &OtpChallenge, email: &str, code: &OtpCode) -> Result<Delivery> {
        let to = Email::parse(email)?;
        let now = self.clock.now();
        let id = self.rng.uuid_v7(now);
        let sealed = self.sealer.seal(code.as_str().as_bytes(), id.as_bytes())?;
        let (user, kind) = (Some(challenge.user_id), MessageKind::LoginCode);
        Ok(Delivery::queued(id, user, Channel::Email, to.as_str().to_owned(), kind, sealed, challenge.expires_at, now))
    }

    /// Records that a code was queued for `challenge`; the courier records
    /// whether it reached the provider.
    async fn record_sent(&self, challenge: &OtpChallenge, resend: bool) -> Result<()> {
        let detail = [("method", Method::Email.as_str().into()), ("resend", resend.to_string())];
        self.audit.record(challenge.user_id, None, EventKind::OtpSent, &detail).await
    }
}
