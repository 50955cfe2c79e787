//! A user's own authenticator app and recovery codes: enrolling (pending
//! until a first code proves the app has the secret), removing, making a
//! new set of recovery codes, and what the account has. Changes that weaken
//! the account ask for the password again.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::credential::TotpCredential;
use super::secret::TotpSecret;
use crate::account::Accounts;
use crate::audit::{Audit, EventKind};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::otp::second_factor::Removal;
use crate::otp::{Method, SecondFactor};
use crate::ports::{KeyedHasher, RecoveryCodeRepo, SecretSealer, TotpRepo, UserRepo};
use crate::recovery_code::RecoveryCode;
use crate::rng::Rng;
use crate::session::{Caller, Sessions};
use crate::user::{ProfilePatch, UserId};

/// What a new enrolment shows, once: the secret and the URI that carries it.
#[derive(Debug)]
pub struct Enrolment {
    /// Base32, for typing into an app.
    pub secret: String,
    /// The `otpauth://` URI, for a QR code or a link.
    pub otpauth_url: String,
}

/// The second factors an account has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondFactors {
    /// What a login would offer, the default first; empty: the password suffices.
    pub methods: Vec<Method>,
    /// When the active app was enrolled; none: no active app.
    pub totp_since: Option<DateTime<Utc>>,
    pub recovery_codes_left: u32,
    /// How many passkeys the account has.
    pub passkeys: u32,
}

#[derive(Clone)]
pub struct Authenticator {
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) totp: Arc<dyn TotpRepo>,
    pub(crate) recovery_codes: Arc<dyn RecoveryCodeRepo>,
    pub(crate) sealer: Arc<dyn SecretSealer>,
    pub(crate) keyed_hasher: Arc<dyn KeyedHasher>,
    pub(crate) accounts: Accounts,
    pub(crate) second_factor: SecondFactor,
    pub(crate) sessions: Sessions,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
}

impl Authenticator {
    /// Starts enrolling an authenticator app: a new secret, pending until
    /// [`confirm`](Self::confirm). A pending enrolment is replaced; an active
    /// one must be removed first.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn enrol(&self, caller: &Caller, password: &SecretString) -> Result<Enrolment> {
        let user = self.accounts.confirm_password(caller, password).await?;
        let secret = TotpSecret::generate(&*self.rng);
        let credential = TotpCredential {
            user_id: user.id,
            sealed_secret: self.sealer.seal(secret.as_bytes(), user.id.0.as_bytes())?,
            created_at: self.clock.now(),
            confirmed_at: None,
            last_step: None,
        };
        if !self.totp.put_pending(&credential).await? {
            return Err(Error::TotpAlreadyActive);
        }
        self.audit.record(user.id, None, EventKind::TotpEnrolmentStarted, &[]).await?;
        Ok(Enrolment { secret: secret.base32(), otpauth_url: secret.otpauth_url(&user.email) })
    }

    /// Activates the pending app with a code it shows now, turns two-factor
    /// login on, and returns a first set of recovery codes (shown once).
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn confirm(&self, caller: &Caller, code: &str) -> Result<Vec<RecoveryCode>> {
        let uid = caller.user_id;
        let pending = self.totp.get(uid).await?.filter(|c| !c.is_active()).ok_or(Error::TotpNotPending)?;
        let secret = TotpSecret::from_bytes(self.sealer.open(&pending.sealed_secret, uid.0.as_bytes())?)?;
        let now = self.clock.now();
        let step = secret.matching_step(code, now).ok_or_else(|| Error::InvalidField {
            field: "code",
            reason: "is not the code the authenticator app shows now".into(),
        })?;
        if !self.totp.confirm(uid, &pending.sealed_secret, step, now).await? {
            return Err(Error::TotpNotPending);
        }
        let on = ProfilePatch { is_2fa: Some(true), ..Default::default() };
        self.users.update_profile(uid, &on, now).await?.ok_or(Error::TokenInvalid)?;
        let codes = self.new_recovery_codes(uid).await?;
        self.audit.record(uid, None, EventKind::TotpEnabled, &[]).await?;
        Ok(codes)
    }

    /// Removes the app and its recovery codes and ends the user's other
    /// sessions. Two-factor login by mail stays as `is_2fa` says.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn disable(&self, caller: &Caller, password: &SecretString) -> Result<()> {
        let user = self.accounts.confirm_password(caller, password).await?;
        self.second_factor.may_remove(&user, Removal::App).await?;
        if !self.remove_all(caller.user_id).await? {
            return Ok(());
        }
        let revoked = self.sessions.revoke_all(caller.user_id, Some(caller.session_id)).await?;
        let detail = [("other_sessions_revoked", revoked.into())];
        self.audit.record(caller.user_id, None, EventKind::TotpDisabled, &detail).await
    }

    /// A new set of recovery codes; the old set stops working.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn regenerate_recovery_codes(
        &self,
        caller: &Caller,
        password: &SecretString,
    ) -> Result<Vec<RecoveryCode>> {
        self.accounts.confirm_password(caller, password).await?;
        if self.second_factor.active_app(caller.user_id).await?.is_none() {
            return Err(Error::NoSecondFactor);
        }
        let codes = self.new_recovery_codes(caller.user_id).await?;
        self.audit.record(caller.user_id, None, EventKind::RecoveryCodesRegenerated, &[]).await?;
        Ok(codes)
    }

    /// What second factors the caller's account has.
    pub async fn status(&self, caller: &Caller) -> Result<SecondFactors> {
        let user = self.users.user(caller.user_id).await?.ok_or(Error::TokenInvalid)?;
        let app = self.second_factor.active_app(user.id).await?;
        let passkeys = self.second_factor.passkeys.repo.count(user.id).await?;
        Ok(SecondFactors {
            methods: self.second_factor.methods(&user, app.as_ref(), passkeys > 0),
            passkeys,
            totp_since: app.map(|c| c.created_at),
            recovery_codes_left: self.recovery_codes.remaining(user.id).await?,
        })
    }

    /// Removes the user's app (pending or active) and recovery codes; whether
    /// there was anything to remove.
    pub(crate) async fn remove_all(&self, user: UserId) -> Result<bool> {
        let app = self.totp.delete(user).await?;
        let codes = self.recovery_codes.delete_all(user).await?;
        Ok(app || codes > 0)
    }

    async fn new_recovery_codes(&self, user: UserId) -> Result<Vec<RecoveryCode>> {
        let codes = RecoveryCode::generate_set(&*self.rng);
        let hashes: Vec<Vec<u8>> = codes.iter().map(|c| self.keyed_hasher.hash_recovery_code(user, c)).collect();
        self.recovery_codes.replace_set(user, &hashes, self.clock.now()).await?;
        Ok(codes)
    }
}
