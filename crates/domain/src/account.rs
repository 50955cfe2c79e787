//! A user's own account: registration, profile, password, deletion.

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::audit::{Audit, AuditEvent, EventKind};
use crate::clock::Clock;
use crate::email::Emails;
use crate::error::{Error, Result};
use crate::notify::{MessageKind, Notices};
use crate::otp::SecondFactor;
use crate::otp::second_factor::Removal;
use crate::page::{Page, check_limit, page};
use crate::password::{Password, user_words};
use crate::ports::{PasswordHasher, UserRepo};
use crate::rng::Rng;
use crate::session::{Caller, Sessions};
use crate::subject::Subject;
use crate::throttle::{ClientAddress, RateScope, Throttle, user_key};
use crate::user::{Email, NewUser, PersonName, Phone, ProfileChanges, StoredUser, User, UserId, Username};

/// A registration form as it arrives.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: String,
    pub username: String,
    pub name: String,
    pub lastname: String,
    /// E.164; unverified until the user confirms a code sent to it.
    pub phone: Option<String>,
    pub password: SecretString,
    pub is_2fa: bool,
}

impl Registration {
    /// Every field's fault at once, in the form's order (a page shows each
    /// beside its field); empty when each field would be accepted. The
    /// checks are [`Accounts::register`]'s own; only whether the email or
    /// username is taken needs the database, and is left to it.
    pub fn faults(&self) -> Vec<Error> {
        let email = Email::parse(&self.email);
        let username = Username::parse(&self.username);
        let name = PersonName::parse("name", &self.name);
        let lastname = PersonName::parse("lastname", &self.lastname);
        let phone = self.phone.as_deref().map(Phone::parse).transpose();
        // The password is checked against the words of the fields as typed.
        let words = user_words(&self.email, &self.username, &self.name, &self.lastname, &[]);
        let password = Password::parse(self.password.expose_secret(), &words);
        [email.err(), username.err(), name.err(), lastname.err(), phone.err(), password.err()]
            .into_iter()
            .flatten()
            .collect()
    }
}

#[derive(Clone)]
pub struct Accounts {
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) sessions: Sessions,
    pub(crate) throttle: Throttle,
    pub(crate) emails: Emails,
    pub(crate) notices: Notices,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    /// Which second factors a user has: with one, a sensitive change needs `aal2`.
    pub(crate) second_factor: SecondFactor,
    /// How recently the user must have proved who they are for a sensitive change.
    pub(crate) reauth_max_age: Duration,
}

impl Accounts {
    /// Registers an account from `from`, within the limit of registrations
    /// per client address.
    #[tracing::instrument(skip_all)]
    pub async fn register(&self, from: &ClientAddress, form: Registration) -> Result<User> {
        self.throttle.check_rate(RateScope::Registration, &from.0).await?;
        let user = self.create_user(form, false).await?;
        self.audit.record(user.id, None, EventKind::Registered, &[]).await?;
        self.emails.send_proof(&user).await?;
        Ok(user)
    }

    pub(crate) async fn create_user(&self, form: Registration, is_admin: bool) -> Result<User> {
        let email = Email::parse(&form.email)?;
        let username = Username::parse(&form.username)?;
        let name = PersonName::parse("name", &form.name)?;
        let lastname = PersonName::parse("lastname", &form.lastname)?;
        let phone = form.phone.as_deref().map(Phone::parse).transpose()?;
        let words = user_words(email.as_str(), username.as_str(), name.as_str(), lastname.as_str(), &[]);
        let password = Password::parse(form.password.expose_secret(), &words)?;
        let password_hash = self.hasher.hash(&password).await?;
        let now = self.clock.now();
        self.users
            .insert(&NewUser {
                id: UserId(self.rng.uuid_v7(now)),
                email,
                username,
                name,
                lastname,
                phone,
                password_hash,
                is_admin,
                is_2fa: form.is_2fa,
                created_at: now,
            })
            .await
    }

    pub async fn me(&self, caller: &Caller) -> Result<User> {
        self.users.user(caller.user_id).await?.ok_or(Error::TokenInvalid)
    }

    /// The caller's own security events, newest first, as an admin sees them.
    pub async fn my_events(
        &self,
        caller: &Caller,
        before: Option<uuid::Uuid>,
        limit: u32,
    ) -> Result<Page<AuditEvent, uuid::Uuid>> {
        let limit = check_limit(limit)?;
        let rows = self.audit.list(Subject::User(caller.user_id), before, limit + 1).await?;
        Ok(page(rows, limit, |e: &AuditEvent| e.id))
    }

    /// Changes the caller's profile. Only the fields that differ from the
    /// account are written, and when those weaken its second factor
    /// ([`ProfilePatch::needs_password`]) the current password must come with them.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn update_me(&self, caller: &Caller, mut changes: ProfileChanges) -> Result<User> {
        let password = changes.current_password.take();
        let patch = changes.parse()?;
        let stored = self.users.by_id(caller.user_id).await?.ok_or(Error::TokenInvalid)?;
        let patch = patch.against(&stored.user);
        if caller.assurance.second_factor_due && !patch.only_enrols() {
            return Err(Error::SecondFactorRequired);
        }
        if patch.is_2fa == Some(false) {
            self.second_factor.may_remove(&stored.user, Removal::MailedCodes).await?;
        }
        if patch.needs_password() {
            self.sensitive(caller, &stored, password.as_ref().ok_or(Error::PasswordRequired)?).await?;
        }
        let now = self.clock.now();
        let user = self.users.update_profile(caller.user_id, &patch, now).await?.ok_or(Error::TokenInvalid)?;
        if patch.email.is_some() {
            self.email_changed(&stored.user, &user, true).await?;
        }
        if patch.is_2fa == Some(false) {
            // Mailed codes off: no device is trusted to skip them any more.
            self.sessions.trusted_devices.forget_all(caller.user_id).await?;
        }
        Ok(user)
    }

    /// After the address changed from `before`'s to `after`'s: a notice to
    /// the old address (the last proved, else the old one), and, with
    /// `prove`, a mail proving the new one. Mail goes on to the last proved
    /// address until the new one is proved.
    pub(crate) async fn email_changed(&self, before: &User, after: &User, prove: bool) -> Result<()> {
        self.notices.send(after.id, before.mail_to(), MessageKind::EmailChanged).await?;
        if prove {
            self.emails.send_proof(after).await?;
        }
        Ok(())
    }

    /// Lets a sensitive change (password, address, phone, second factors,
    /// passkeys, recovery codes, deletion) go ahead: the caller's session
    /// proved its user recently enough, with two factors when they have a
    /// second factor ([`Assurance::allows_sensitive`](crate::assurance::Assurance::allows_sensitive)), and `password` is
    /// theirs. For a user without a second factor the password is the proof.
    pub(crate) async fn confirm_password(&self, caller: &Caller, password: &SecretString) -> Result<User> {
        let stored = self.users.by_id(caller.user_id).await?.ok_or(Error::TokenInvalid)?;
        self.sensitive(caller, &stored, password).await?;
        Ok(stored.user)
    }

    async fn sensitive(&self, caller: &Caller, stored: &StoredUser, password: &SecretString) -> Result<()> {
        // A session that would do even for a user with a second factor
        // needs no lookup of whether this one has one.
        let (now, max_age) = (self.clock.now(), self.reauth_max_age);
        if let Err(refusal) = caller.assurance.allows_sensitive(now, max_age, true)
            && !self.second_factor.methods_for(&stored.user).await?.is_empty()
        {
            return Err(refusal);
        }
        self.check_password(stored, password).await
    }

    /// Checks the caller's password (a step-up's, a sensitive change's): a
    /// wrong one counts against the account's lockout, as at login.
    pub(crate) async fn check_password(&self, stored: &StoredUser, password: &SecretString) -> Result<()> {
        let (uid, key) = (stored.user.id, user_key(stored.user.id));
        self.throttle.ensure_unlocked(&key).await?;
        if !self.hasher.verify(password, &stored.password_hash).await? {
            let failures = self.throttle.count_failure(&key, Some(uid)).await?;
            let detail = [("reason", "wrong_password".into()), ("failures", failures.into())];
            self.audit.record(uid, None, EventKind::ReauthenticationFailed, &detail).await?;
            return Err(Error::WrongPassword);
        }
        Ok(())
    }

    /// Deletes the caller's account, with their sessions and challenges.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn delete_me(&self, caller: &Caller, password: &SecretString) -> Result<()> {
        self.confirm_password(caller, password).await?;
        self.delete(caller.user_id).await?;
        self.audit.record(caller.user_id, None, EventKind::AccountDeleted, &[]).await
    }

    /// Deletes a user (their sessions go with them, by foreign key), then
    /// revokes their sessions through the one path every session ending
    /// takes, so this node's session cache forgets them at once. A refused
    /// delete (the last admin) leaves the sessions alone.
    pub(crate) async fn delete(&self, id: UserId) -> Result<bool> {
        if !self.users.delete(id).await? {
            return Ok(false);
        }
        self.sessions.revoke_all(id, None).await?;
        Ok(true)
    }

    /// Replaces the password and revokes every other session of the user.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &SecretString,
        new: &SecretString,
        confirm: &SecretString,
    ) -> Result<()> {
        if new.expose_secret() != confirm.expose_secret() {
            return Err(Error::PasswordMismatch);
        }
        let user = self.confirm_password(caller, current).await?;
        let words = user_words(&user.email, &user.username, &user.name, &user.lastname, &[current.expose_secret()]);
        let password = Password::parse(new.expose_secret(), &words)?;
        let hash = self.hasher.hash(&password).await?;
        let now = self.clock.now();
        if !self.users.set_password_hash(caller.user_id, &hash, now).await? {
            return Err(Error::TokenInvalid);
        }
        let revoked = self.sessions.revoke_all(caller.user_id, Some(caller.session_id)).await?;
        let detail = [("other_sessions_revoked", revoked.into())];
        self.audit.record(caller.user_id, None, EventKind::PasswordChanged, &detail).await
    }
}

#[cfg(test)]
mod tests;
