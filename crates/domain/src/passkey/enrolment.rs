//! A user's own passkeys: adding one (a registration ceremony, opened with
//! the password), listing, renaming and removing them.

use std::sync::Arc;

use secrecy::SecretString;
use uuid::Uuid;

use super::ceremony::{Begun, CeremonyPurpose};
use super::{Passkey, PasskeyCeremonies, Refusal, parse_name};
use crate::account::Accounts;
use crate::audit::Detail;
use crate::audit::EventKind;
use crate::error::{Error, Result};
use crate::otp::second_factor::Removal;
use crate::ports::UserRepo;
use crate::session::{Caller, Sessions};
use crate::user::ProfilePatch;

#[derive(Clone)]
pub struct Passkeys {
    pub(crate) ceremonies: PasskeyCeremonies,
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) accounts: Accounts,
    pub(crate) sessions: Sessions,
    /// `AUTHD_PASSKEYS`: off, every call is [`Error::PasskeysOff`].
    pub(crate) on: bool,
}

impl Passkeys {
    /// Whether passkeys are offered (`AUTHD_PASSKEYS`).
    pub fn enabled(&self) -> bool {
        self.on
    }

    fn on(&self) -> Result<()> {
        if self.on { Ok(()) } else { Err(Error::PasskeysOff) }
    }

    /// Begins adding a passkey: the caller's password, then options that
    /// exclude the passkeys the user has. The ceremony is the user's.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn begin(&self, caller: &Caller, password: &SecretString) -> Result<Begun> {
        self.on()?;
        let user = self.accounts.confirm_password(caller, password).await?;
        let c = &self.ceremonies;
        let held: Vec<Vec<u8>> = c.repo.list(user.id).await?.into_iter().map(|p| p.credential_id).collect();
        let started = c.webauthn.start_registration(user.id, &user.username, &held)?;
        c.keep(CeremonyPurpose::Register, Some(user.id.0), None, started, None).await
    }

    /// Finishes adding a passkey named `name` with the browser's answer to
    /// the caller's own ceremony `ceremony_id` (spent, right or wrong), and
    /// turns two-factor login on.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn finish(&self, caller: &Caller, ceremony_id: Uuid, name: &str, credential: &str) -> Result<Passkey> {
        self.on()?;
        let name = parse_name(name)?;
        let uid = caller.user_id;
        let c = &self.ceremonies;
        let registered = match c.take(ceremony_id, CeremonyPurpose::Register, Some(uid.0)).await? {
            None => Err(Refusal::Invalid("ceremony_spent_or_expired".into())),
            Some(state) => c.webauthn.finish_registration(&state, credential),
        };
        let registered = match registered {
            Ok(r) => r,
            Err(refusal) => {
                let why = [("reason", refusal.reason().to_owned().into())];
                c.audit.record(uid, None, EventKind::PasskeyRejected, &why).await?;
                return Err(Error::PasskeyInvalid { remaining: None });
            }
        };
        let now = c.clock.now();
        let passkey = Passkey {
            id: c.rng.uuid_v4(),
            user_id: uid,
            credential_id: registered.credential_id,
            name,
            created_at: now,
            last_used_at: None,
            backup_eligible: registered.backup_eligible,
            backed_up: registered.backed_up,
            counter: registered.counter,
            data: registered.data,
        };
        if !c.repo.add(&passkey).await? {
            return Err(Error::PasskeyExists);
        }
        let on = ProfilePatch { is_2fa: Some(true), ..Default::default() };
        self.users.update_profile(uid, &on, now).await?.ok_or(Error::TokenInvalid)?;
        c.audit.record(uid, None, EventKind::PasskeyAdded, &about(&passkey)).await?;
        Ok(passkey)
    }

    /// The caller's passkeys, newest first.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<Passkey>> {
        self.on()?;
        self.ceremonies.repo.list(caller.user_id).await
    }

    /// Renames one of the caller's passkeys.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn rename(&self, caller: &Caller, id: Uuid, name: &str) -> Result<Passkey> {
        self.on()?;
        let name = parse_name(name)?;
        let passkey = self.ceremonies.repo.rename(caller.user_id, id, &name).await?.ok_or(Error::PasskeyNotFound)?;
        self.ceremonies.audit.record(caller.user_id, None, EventKind::PasskeyRenamed, &about(&passkey)).await?;
        Ok(passkey)
    }

    /// Removes one of the caller's passkeys (with the password) and ends
    /// the user's other sessions.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn remove(&self, caller: &Caller, id: Uuid, password: &SecretString) -> Result<()> {
        self.on()?;
        let user = self.accounts.confirm_password(caller, password).await?;
        self.accounts.second_factor.may_remove(&user, Removal::Passkey).await?;
        if !self.ceremonies.repo.delete(caller.user_id, id).await? {
            return Err(Error::PasskeyNotFound);
        }
        let revoked = self.sessions.revoke_all(caller.user_id, Some(caller.session_id)).await?;
        let detail = [("passkey_id", id.to_string().into()), ("other_sessions_revoked", revoked.into())];
        self.ceremonies.audit.record(caller.user_id, None, EventKind::PasskeyRemoved, &detail).await
    }
}

/// Which passkey an event is about.
pub(crate) fn about(passkey: &Passkey) -> Vec<(&'static str, Detail)> {
    vec![("passkey_id", passkey.id.to_string().into()), ("name", passkey.name.clone().into())]
}
