//! A user's own passkeys: adding one (a registration ceremony, opened with
//! the password), listing, renaming and removing them.

use std::sync::Arc;

use chrono::Duration as Span;
use secrecy::SecretString;
use uuid::Uuid;

use super::ceremony::{CEREMONY_TTL, Ceremony, CeremonyPurpose};
use super::{Passkey, Refusal, parse_name};
use crate::account::Accounts;
use crate::audit::{Audit, EventKind};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ports::{PasskeyRepo, UserRepo, WebAuthn};
use crate::rng::Rng;
use crate::session::{Caller, Sessions};
use crate::user::ProfilePatch;

/// A registration ceremony begun: its id and the options for
/// `navigator.credentials.create`.
#[derive(Debug)]
pub struct Registration {
    pub ceremony_id: Uuid,
    pub options: String,
}

#[derive(Clone)]
pub struct Passkeys {
    pub(crate) repo: Arc<dyn PasskeyRepo>,
    pub(crate) webauthn: Arc<dyn WebAuthn>,
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) accounts: Accounts,
    pub(crate) sessions: Sessions,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
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
    pub async fn begin(&self, caller: &Caller, password: &SecretString) -> Result<Registration> {
        self.on()?;
        let user = self.accounts.confirm_password(caller, password).await?;
        let held: Vec<Vec<u8>> = self.repo.list(user.id).await?.into_iter().map(|p| p.credential_id).collect();
        let started = self.webauthn.start_registration(user.id, &user.username, &held)?;
        let ceremony = Ceremony {
            id: self.rng.uuid_v4(),
            purpose: CeremonyPurpose::Register,
            owner: Some(user.id.0),
            state: started.state,
            expires_at: self.clock.now() + Span::seconds(CEREMONY_TTL.as_secs() as i64),
        };
        self.repo.put_ceremony(&ceremony).await?;
        Ok(Registration { ceremony_id: ceremony.id, options: started.options })
    }

    /// Finishes adding a passkey named `name` with the browser's answer to
    /// the caller's own ceremony `ceremony_id` (spent, right or wrong), and
    /// turns two-factor login on.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn finish(&self, caller: &Caller, ceremony_id: Uuid, name: &str, credential: &str) -> Result<Passkey> {
        self.on()?;
        let name = parse_name(name)?;
        let uid = caller.user_id;
        let now = self.clock.now();
        let state = self.repo.take_ceremony(ceremony_id, CeremonyPurpose::Register, Some(uid.0), now).await?;
        let registered = match state {
            None => Err(Refusal::Invalid("ceremony_spent_or_expired".into())),
            Some(state) => self.webauthn.finish_registration(&state, credential),
        };
        let registered = match registered {
            Ok(r) => r,
            Err(refusal) => {
                let why = [("reason", refusal.reason().to_owned())];
                self.audit.record(uid, None, EventKind::PasskeyRejected, &why).await?;
                return Err(Error::PasskeyInvalid { remaining: None });
            }
        };
        let passkey = Passkey {
            id: self.rng.uuid_v4(),
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
        if !self.repo.add(&passkey).await? {
            return Err(Error::PasskeyExists);
        }
        let on = ProfilePatch { is_2fa: Some(true), ..Default::default() };
        self.users.update_profile(uid, &on, now).await?.ok_or(Error::TokenInvalid)?;
        self.audit.record(uid, None, EventKind::PasskeyAdded, &about(&passkey)).await?;
        Ok(passkey)
    }

    /// The caller's passkeys, newest first.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<Passkey>> {
        self.on()?;
        self.repo.list(caller.user_id).await
    }

    /// Renames one of the caller's passkeys.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn rename(&self, caller: &Caller, id: Uuid, name: &str) -> Result<Passkey> {
        self.on()?;
        let name = parse_name(name)?;
        let passkey = self.repo.rename(caller.user_id, id, &name).await?.ok_or(Error::PasskeyNotFound)?;
        self.audit.record(caller.user_id, None, EventKind::PasskeyRenamed, &about(&passkey)).await?;
        Ok(passkey)
    }

    /// Removes one of the caller's passkeys (with the password) and ends
    /// the user's other sessions.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn remove(&self, caller: &Caller, id: Uuid, password: &SecretString) -> Result<()> {
        self.on()?;
        self.accounts.confirm_password(caller, password).await?;
        if !self.repo.delete(caller.user_id, id).await? {
            return Err(Error::PasskeyNotFound);
        }
        let revoked = self.sessions.revoke_all(caller.user_id, Some(caller.session_id)).await?;
        let detail = [("passkey_id", id.to_string()), ("other_sessions_revoked", revoked.to_string())];
        self.audit.record(caller.user_id, None, EventKind::PasskeyRemoved, &detail).await
    }
}

/// Which passkey an event is about.
pub(crate) fn about(passkey: &Passkey) -> Vec<(&'static str, String)> {
    vec![("passkey_id", passkey.id.to_string()), ("name", passkey.name.clone())]
}
