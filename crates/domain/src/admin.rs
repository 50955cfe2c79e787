//! Administration: finding and managing users, their event history, and the
//! first administrator. Every use case here starts by checking the caller is
//! an active admin.

use std::sync::Arc;

use secrecy::SecretString;
use uuid::Uuid;

use crate::account::{Accounts, Registration};
use crate::assurance::Acr;
use crate::audit::{Audit, AuditEvent, EventKind};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::page::{Page, check_limit, page};
use crate::ports::UserRepo;
use crate::session::{Caller, Sessions};
use crate::subject::Subject;
use crate::throttle::{Throttle, user_key};
use crate::totp::Authenticator;
use crate::user::{LoginName, ProfileChanges, ProfilePatch, User, UserId, UserQuery};

/// Changes an administrator may make to any user.
#[derive(Debug, Clone, Default)]
pub struct AdminChanges {
    pub profile: ProfileChanges,
    pub is_admin: Option<bool>,
    pub is_active: Option<bool>,
    /// Mark the address proved (or forget every proved address) without a mail.
    pub email_verified: Option<bool>,
}

impl AdminChanges {
    pub fn parse(self) -> Result<ProfilePatch> {
        let mut patch = self.profile.parse()?;
        patch.is_admin = self.is_admin;
        patch.is_active = self.is_active;
        patch.forget_proved_email = self.email_verified == Some(false);
        Ok(patch)
    }
}

/// What bootstrapping the first administrator did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bootstrap {
    Created(User),
    Promoted(User),
    /// An active administrator already existed; nothing changed.
    AdminExists,
}

#[derive(Clone)]
pub struct Admin {
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) accounts: Accounts,
    pub(crate) sessions: Sessions,
    pub(crate) throttle: Throttle,
    pub(crate) authenticator: Authenticator,
    pub(crate) passkeys: Arc<dyn crate::ports::PasskeyRepo>,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Admin {
    /// The caller, if they are an active administrator; when the policy
    /// requires administrators to have a second factor, on a session that
    /// proved two ([`Acr::Aal2`]): without a factor the refusal says to add
    /// one, with one it asks for a step-up (RFC 9470, the level alone).
    pub async fn require_admin(&self, caller: &Caller) -> Result<User> {
        let user = self.users.user(caller.user_id).await?.ok_or(Error::TokenInvalid)?;
        if !(user.is_admin && user.is_active) {
            return Err(Error::Forbidden);
        }
        let second_factor = &self.accounts.second_factor;
        if second_factor.required.covers(&user) && caller.assurance.acr() < Acr::Aal2 {
            if second_factor.methods_for(&user).await?.is_empty() {
                return Err(Error::SecondFactorRequired);
            }
            return Err(Error::ReauthenticationRequired { max_age: None, two_factors: true });
        }
        Ok(user)
    }

    pub async fn list_users(&self, caller: &Caller, mut query: UserQuery) -> Result<Page<User, UserId>> {
        self.require_admin(caller).await?;
        let limit = check_limit(query.limit)?;
        query.search = query.search.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
        if query.search.as_ref().is_some_and(|s| s.chars().count() > 100) {
            return Err(Error::InvalidField { field: "q", reason: "must be at most 100 characters".into() });
        }
        query.limit = limit + 1;
        let rows = self.users.list(&query).await?;
        Ok(page(rows, limit, |u: &User| u.id))
    }

    pub async fn get_user(&self, caller: &Caller, id: UserId) -> Result<User> {
        self.require_admin(caller).await?;
        self.users.user(id).await?.ok_or(Error::UserNotFound)
    }

    /// Changes any field of a user. Deactivation revokes every session of
    /// theirs; no change may leave the service without an active admin.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn update_user(&self, caller: &Caller, id: UserId, changes: AdminChanges) -> Result<User> {
        let admin = self.require_admin(caller).await?;
        let changes_mark_proved = changes.email_verified == Some(true);
        let patch = changes.parse()?;
        let now = self.clock.now();
        let before = self.users.user(id).await?.ok_or(Error::UserNotFound)?;
        let user = self.users.update_profile(id, &patch, now).await?.ok_or(Error::UserNotFound)?;
        let marked = changes_mark_proved;
        if user.email != before.email {
            self.accounts.email_changed(&before, &user, !marked).await?;
        }
        let user = if marked {
            // An administrator's word proves the address, as its mail would:
            // the one statement that also takes it from any earlier holder.
            self.users.confirm_email(id, &user.email, now).await?;
            self.users.user(id).await?.ok_or(Error::UserNotFound)?
        } else {
            user
        };
        let mut fields = patch.field_names();
        if marked {
            fields.push("email_verified");
        }
        let fields = fields.join(",");
        self.audit.record(id, Some(admin.id), EventKind::UserUpdatedByAdmin, &[("fields", fields.into())]).await?;
        if patch.is_active == Some(true) {
            // Reactivating is how an administrator lifts a lockout.
            self.throttle.reset(&user_key(id)).await?;
        }
        if patch.is_active == Some(false) {
            let revoked = self.sessions.revoke_all(id, None).await?;
            let detail = [("sessions_revoked", revoked.into())];
            self.audit.record(id, Some(admin.id), EventKind::UserDeactivated, &detail).await?;
        }
        Ok(user)
    }

    /// Deletes a user with their sessions and pending codes. Their events stay.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn delete_user(&self, caller: &Caller, id: UserId) -> Result<()> {
        let admin = self.require_admin(caller).await?;
        if !self.accounts.delete(id).await? {
            return Err(Error::UserNotFound);
        }
        self.audit.record(id, Some(admin.id), EventKind::UserDeletedByAdmin, &[]).await
    }

    /// Removes a user's authenticator app, recovery codes and passkeys, for
    /// a user who lost them. Their next login asks for what remains (a mailed code if
    /// two-factor login is on, else only the password).
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn reset_second_factors(&self, caller: &Caller, id: UserId) -> Result<()> {
        let admin = self.require_admin(caller).await?;
        self.users.user(id).await?.ok_or(Error::UserNotFound)?;
        let removed = self.authenticator.remove_all(id).await?;
        let passkeys = self.passkeys.delete_all(id).await?;
        self.sessions.trusted_devices.forget_all(id).await?;
        let detail = [("removed", (removed || passkeys > 0).into()), ("passkeys_removed", passkeys.into())];
        self.audit.record(id, Some(admin.id), EventKind::SecondFactorsReset, &detail).await
    }

    /// A user's security events, newest first. A deleted user's events stay readable.
    pub async fn user_events(
        &self,
        caller: &Caller,
        id: UserId,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<AuditEvent, Uuid>> {
        self.require_admin(caller).await?;
        let limit = check_limit(limit)?;
        let rows = self.audit.list(Subject::User(id), before, limit + 1).await?;
        if rows.is_empty() && before.is_none() && self.users.user(id).await?.is_none() {
            return Err(Error::UserNotFound);
        }
        Ok(page(rows, limit, |e: &AuditEvent| e.id))
    }

    /// The user an email address or username names, if any.
    pub async fn find_user(&self, login: &str) -> Result<Option<User>> {
        Ok(match LoginName::parse(login) {
            Some(name) => self.users.by_login(&name).await?.map(|s| s.user),
            None => None,
        })
    }

    /// Makes `form` an active administrator: promotes the user with that email
    /// or username if there is one (keeping their password), creates it
    /// otherwise (which needs a password). With `only_if_none`, does nothing
    /// when an active administrator exists, so it can run at every start.
    #[tracing::instrument(skip_all)]
    pub async fn bootstrap_admin(&self, form: Registration, only_if_none: bool) -> Result<Bootstrap> {
        if only_if_none && self.users.any_active_admin().await? {
            return Ok(Bootstrap::AdminExists);
        }
        let existing = match self.find_user(&form.email).await? {
            Some(u) => Some(u),
            None => self.find_user(&form.username).await?,
        };
        if let Some(user) = existing {
            return self.promote(user.id).await.map(Bootstrap::Promoted);
        }
        if secrecy::ExposeSecret::expose_secret(&form.password).is_empty() {
            return Err(Error::InvalidField {
                field: "password",
                reason: "is needed to create a new administrator".into(),
            });
        }
        let email = form.email.clone();
        match self.accounts.create_user(form, true).await {
            Ok(user) => {
                self.audit.record(user.id, None, EventKind::AdminBootstrapped, &[("how", "created".into())]).await?;
                Ok(Bootstrap::Created(user))
            }
            // Another node created it at the same moment: promote what is there.
            Err(Error::EmailTaken | Error::UsernameTaken) => {
                let user = self.find_user(&email).await?.ok_or(Error::UsernameTaken)?;
                self.promote(user.id).await.map(Bootstrap::Promoted)
            }
            Err(e) => Err(e),
        }
    }

    async fn promote(&self, id: UserId) -> Result<User> {
        let patch = ProfilePatch { is_admin: Some(true), is_active: Some(true), ..Default::default() };
        let user = self.users.update_profile(id, &patch, self.clock.now()).await?.ok_or(Error::UserNotFound)?;
        self.audit.record(id, None, EventKind::AdminBootstrapped, &[("how", "promoted".into())]).await?;
        Ok(user)
    }
}

/// A registration form for an administrator whose password may be unknown
/// (promotion keeps the existing one).
pub fn admin_form(
    email: &str,
    username: &str,
    name: &str,
    lastname: &str,
    password: Option<SecretString>,
) -> Registration {
    Registration {
        email: email.into(),
        username: username.into(),
        name: name.into(),
        lastname: lastname.into(),
        phone: None,
        password: password.unwrap_or_else(|| SecretString::from("")),
        is_2fa: false,
    }
}

#[cfg(test)]
mod tests;
