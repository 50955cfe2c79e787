//! Password login and the second-factor step that may follow it.

use secrecy::{ExposeSecret, SecretString};

use crate::audit::EventKind;
use crate::error::{Error, Result};
use crate::otp::{self, Method, OtpChallenge, OtpCode};
use crate::password::plausible_login_password;
use crate::ports::{Mail, MailKind};
use crate::service::{AuthService, after};
use crate::throttle;
use crate::token::{Claims, TokenKind, TokenPair};
use crate::user::{LoginName, StoredUser};

/// What a correct password earns.
#[derive(Debug)]
pub enum LoginOutcome {
    /// No second factor: the session is open.
    Tokens(TokenPair),
    /// A second factor is due: a code went out, and this token lets the caller answer it.
    SecondFactor { temporary_token: String, expires_in: u64, methods: Vec<Method> },
}

impl AuthService {
    /// Checks a login name and password. Unknown users, wrong passwords and
    /// deactivated accounts get the same error after the same work: one hash.
    #[tracing::instrument(skip_all)]
    pub async fn login(&self, login: &str, password: &SecretString) -> Result<LoginOutcome> {
        if !plausible_login_password(password.expose_secret()) {
            return Err(Error::InvalidCredentials);
        }
        let name = LoginName::parse(login);
        let stored = match &name {
            Some(name) => self.p.users.by_login(name).await?,
            None => None,
        };
        let key = throttle::account_key(stored.as_ref().map(|s| s.user.id), name.as_ref(), login);
        // Locked names are refused before any hashing, known or not: the
        // answer is the same either way and costs the attacker, not us.
        self.ensure_unlocked(&key).await?;
        let hash = stored.as_ref().map_or(self.p.hasher.dummy_hash(), |s| s.password_hash.as_str());
        let matches = self.p.hasher.verify(password, hash).await?;
        let user = match stored {
            Some(StoredUser { user, .. }) if matches && user.is_active => user,
            Some(StoredUser { user, .. }) => {
                let failures = self.count_failure(&key, Some(user.id)).await?;
                let why = if matches { "inactive" } else { "wrong_password" };
                let detail = [("reason", why.into()), ("failures", failures.to_string())];
                self.audit(user.id, None, EventKind::LoginFailed, &detail).await?;
                return Err(Error::InvalidCredentials);
            }
            None => {
                self.count_failure(&key, None).await?;
                return Err(Error::InvalidCredentials);
            }
        };
        if !user.is_2fa {
            // Only a complete login resets the count: a two-factor user's
            // count runs on through their codes, or knowing the password
            // would buy endless fresh code guesses.
            self.p.throttle.clear(&key).await?;
            let pair = self.open_session(user.id, Error::InvalidCredentials).await?;
            self.audit(user.id, None, EventKind::LoginSucceeded, &[("factors", "password".into())]).await?;
            return Ok(LoginOutcome::Tokens(pair));
        }

        let now = self.p.clock.now();
        let challenge_id = self.p.rng.uuid_v4();
        let code = OtpCode::generate(&*self.p.rng);
        let challenge = OtpChallenge {
            id: challenge_id,
            user_id: user.id,
            method: Method::Email,
            code_hash: self.p.otp_hasher.hash(challenge_id, &code),
            attempts: 0,
            resends: 0,
            created_at: now,
            last_sent_at: now,
            expires_at: after(now, self.policy.temporary_ttl),
            used_at: None,
        };
        self.p.otps.create(&challenge).await?;
        self.mail_code(&user.email, &challenge, code, false).await?;
        let claims =
            Claims::new(TokenKind::Temporary, user.id, challenge_id, self.p.rng.uuid_v4(), now, challenge.expires_at);
        Ok(LoginOutcome::SecondFactor {
            temporary_token: self.p.tokens.encode(&claims)?,
            expires_in: self.policy.temporary_ttl.as_secs(),
            methods: vec![Method::Email],
        })
    }

    /// The challenge a temporary token belongs to, if it is still open.
    async fn open_challenge(&self, temporary_token: &str) -> Result<OtpChallenge> {
        let claims = self.claims(temporary_token, TokenKind::Temporary)?;
        let challenge = self.p.otps.get(claims.sid).await?.ok_or(Error::TokenInvalid)?;
        if challenge.user_id != claims.sub {
            return Err(Error::TokenInvalid);
        }
        match challenge.closed_reason(self.p.clock.now()) {
            Some(e) => Err(e),
            None => Ok(challenge),
        }
    }

    /// Checks the code of a two-factor login and opens the session. A wrong
    /// code counts against the challenge; the fifth kills it.
    #[tracing::instrument(skip_all)]
    pub async fn verify_otp(&self, temporary_token: &str, code: &str) -> Result<TokenPair> {
        let challenge = self.open_challenge(temporary_token).await?;
        let code = OtpCode::parse(code)?;
        let key = throttle::account_key(Some(challenge.user_id), None, "");
        self.ensure_unlocked(&key).await?;
        let now = self.p.clock.now();
        if self.p.otp_hasher.verify(challenge.id, &code, &challenge.code_hash) {
            if !self.p.otps.consume(challenge.id, now, otp::MAX_ATTEMPTS).await? {
                // Lost a race: another request used or killed it first.
                return Err(self.closed_now(challenge.id).await);
            }
            let pair = self.open_session(challenge.user_id, Error::TokenInvalid).await?;
            self.p.throttle.clear(&key).await?;
            let uid = challenge.user_id;
            self.audit(uid, None, EventKind::OtpVerified, &[("method", "email".into())]).await?;
            self.audit(uid, None, EventKind::LoginSucceeded, &[("factors", "password,email".into())]).await?;
            return Ok(pair);
        }
        if !self.p.otps.record_failure(challenge.id, otp::MAX_ATTEMPTS).await? {
            return Err(self.closed_now(challenge.id).await);
        }
        // Concurrent wrong guesses may make this an overestimate; the database
        // alone decided whether this one counted.
        self.count_failure(&key, Some(challenge.user_id)).await?;
        let remaining = otp::MAX_ATTEMPTS.saturating_sub(challenge.attempts + 1);
        let kind = if remaining == 0 { EventKind::OtpLocked } else { EventKind::OtpFailed };
        self.audit(challenge.user_id, None, kind, &[("remaining_attempts", remaining.to_string())]).await?;
        Err(Error::OtpInvalid { remaining })
    }

    /// Why a challenge that just refused a conditional update is closed.
    async fn closed_now(&self, id: uuid::Uuid) -> Error {
        match self.p.otps.get(id).await {
            Ok(Some(c)) => c.closed_reason(self.p.clock.now()).unwrap_or(Error::OtpLocked),
            Ok(None) => Error::TokenInvalid,
            Err(e) => e,
        }
    }

    /// Sends a fresh code for the same login, replacing the old one, at most
    /// `MAX_RESENDS` times and not within the cooldown of the last one.
    #[tracing::instrument(skip_all)]
    pub async fn resend_otp(&self, temporary_token: &str) -> Result<()> {
        let challenge = self.open_challenge(temporary_token).await?;
        let now = self.p.clock.now();
        let cooldown = chrono::Duration::from_std(self.policy.otp_resend_cooldown).unwrap_or_default();
        let code = OtpCode::generate(&*self.p.rng);
        let hash = self.p.otp_hasher.hash(challenge.id, &code);
        let replaced = self
            .p
            .otps
            .replace_code(challenge.id, &hash, now, now - cooldown, otp::MAX_ATTEMPTS, otp::MAX_RESENDS)
            .await?;
        if !replaced {
            let current = self.p.otps.get(challenge.id).await?.ok_or(Error::TokenInvalid)?;
            if let Some(e) = current.closed_reason(now) {
                return Err(e);
            }
            if current.resends >= otp::MAX_RESENDS {
                return Err(Error::ResendLimit);
            }
            let retry_after = crate::service::retry_after(now, current.last_sent_at + cooldown);
            return Err(Error::ResendCooldown { retry_after });
        }
        let user = self.p.users.by_id(challenge.user_id).await?.ok_or(Error::TokenInvalid)?;
        self.mail_code(&user.user.email, &challenge, code, true).await
    }

    /// Mails `code` for `challenge` and records that it went out.
    async fn mail_code(&self, email: &str, challenge: &OtpChallenge, code: OtpCode, resend: bool) -> Result<()> {
        let to = crate::user::Email::parse(email)?;
        self.p.mailer.send(&Mail { to, kind: MailKind::LoginCode { code, expires_at: challenge.expires_at } }).await?;
        let detail = [("method", challenge.method.as_str().into()), ("resend", resend.to_string())];
        self.audit(challenge.user_id, None, EventKind::OtpSent, &detail).await
    }
}
