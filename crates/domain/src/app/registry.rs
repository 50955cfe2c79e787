//! `Apps`: admins registering, changing and removing applications and
//! rotating their keys, and an application's key being checked on each of
//! its requests. Every admin use case starts by checking the caller is an
//! active administrator; every change is an event about the app.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::api_key::{ApiKey, AppKey};
use super::settings::{App, AppChanges, AppForm, AppId, Served};
use crate::admin::Admin;
use crate::audit::{Audit, AuditEvent, EventKind};
use crate::clock::{Clock, after};
use crate::error::{Error, Result};
use crate::notify::Channel;
use crate::page::{Page, check_limit, page};
use crate::ports::{AppRepo, KeyedHasher};
use crate::rng::Rng;
use crate::session::Caller;
use crate::subject::Subject;

/// A key made by a rotation.
pub type IssuedKey = crate::prefixed_key::IssuedKey<super::api_key::AppKeys>;

#[derive(Clone)]
pub struct Apps {
    pub(crate) repo: Arc<dyn AppRepo>,
    pub(crate) admin: Admin,
    pub(crate) keyed_hasher: Arc<dyn KeyedHasher>,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    /// The channels a sender is configured for: an app may enable no other.
    pub(crate) channels: Vec<Channel>,
    /// The countries the deployment texts (`AUTHD_SMS_COUNTRIES`): an app
    /// may allow no other.
    pub(crate) countries: Vec<String>,
    /// How long a replaced key keeps working after a rotation.
    pub(crate) key_grace: Duration,
}

impl Apps {
    fn served(&self) -> Served<'_> {
        Served { channels: &self.channels, countries: &self.countries }
    }

    /// Registers an application and makes its first key, which the answer
    /// carries and nothing stores.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn create(&self, caller: &Caller, form: AppForm) -> Result<(App, ApiKey)> {
        let admin = self.admin.require_admin(caller).await?;
        let now = self.clock.now();
        let app = App::new(AppId(self.rng.uuid_v7(now)), form, self.served(), now)?;
        let (key, stored) = ApiKey::issue(&*self.rng, &*self.keyed_hasher, app.id, now);
        self.repo.create(&app, &stored).await?;
        let detail = [("name", app.name.clone().into()), ("key", stored.hint.into())];
        self.audit.record_about(Subject::App(app.id), Some(admin.id), EventKind::AppCreated, &detail).await?;
        Ok((app, key))
    }

    /// Applications in registration order, a keyset page at a time.
    pub async fn list(&self, caller: &Caller, after: Option<AppId>, limit: u32) -> Result<Page<App, AppId>> {
        self.admin.require_admin(caller).await?;
        let limit = check_limit(limit)?;
        let rows = self.repo.list(after, limit + 1).await?;
        Ok(page(rows, limit, |a: &App| a.id))
    }

    /// An application and its keys (their hints and lifetimes; never a key).
    pub async fn get(&self, caller: &Caller, id: AppId) -> Result<(App, Vec<AppKey>)> {
        self.admin.require_admin(caller).await?;
        let app = self.repo.get(id).await?.ok_or(Error::AppNotFound)?;
        Ok((app, self.repo.keys(id).await?))
    }

    /// Changes an application's settings; deactivating it refuses its keys
    /// from the next request on.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn update(&self, caller: &Caller, id: AppId, changes: AppChanges) -> Result<App> {
        let admin = self.admin.require_admin(caller).await?;
        let fields = changes.field_names().join(",");
        let patch = changes.checked(self.served())?;
        let app = self.repo.update(id, &patch, self.clock.now()).await?.ok_or(Error::AppNotFound)?;
        let kind = if patch.is_active == Some(false) { EventKind::AppDeactivated } else { EventKind::AppUpdated };
        self.audit.record_about(Subject::App(id), Some(admin.id), kind, &[("fields", fields.into())]).await?;
        Ok(app)
    }

    /// Makes a new key; the app's other keys keep working for the grace
    /// period, then stop.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn rotate_key(&self, caller: &Caller, id: AppId) -> Result<IssuedKey> {
        let admin = self.admin.require_admin(caller).await?;
        let now = self.clock.now();
        let (key, stored) = ApiKey::issue(&*self.rng, &*self.keyed_hasher, id, now);
        let until = after(now, self.key_grace);
        if !self.repo.add_key(&stored, until).await? {
            return Err(Error::AppNotFound);
        }
        let detail = [("key", stored.hint.into()), ("previous_until", until.to_rfc3339().into())];
        self.audit.record_about(Subject::App(id), Some(admin.id), EventKind::AppKeyRotated, &detail).await?;
        Ok(IssuedKey { key, previous_until: until })
    }

    /// Deletes an application; its keys stop at once. Its events stay.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn delete(&self, caller: &Caller, id: AppId) -> Result<()> {
        let admin = self.admin.require_admin(caller).await?;
        if !self.repo.delete(id).await? {
            return Err(Error::AppNotFound);
        }
        self.audit.record_about(Subject::App(id), Some(admin.id), EventKind::AppDeleted, &[]).await
    }

    /// An application's events, newest first. A deleted app's stay readable.
    pub async fn events(
        &self,
        caller: &Caller,
        id: AppId,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<AuditEvent, Uuid>> {
        self.admin.require_admin(caller).await?;
        let limit = check_limit(limit)?;
        let rows = self.audit.list(Subject::App(id), before, limit + 1).await?;
        if rows.is_empty() && before.is_none() && self.repo.get(id).await?.is_none() {
            return Err(Error::AppNotFound);
        }
        Ok(page(rows, limit, |e: &AuditEvent| e.id))
    }

    /// The application a presented key belongs to: the key must have a
    /// key's shape, be stored, unexpired, and its app active, all decided by
    /// one lookup, so a deactivated or deleted app's key fails at once on
    /// every node.
    pub async fn authenticate(&self, presented: &str) -> Result<App> {
        let key = ApiKey::parse(presented).ok_or(Error::ApiKeyInvalid)?;
        let hash = key.hashed(&*self.keyed_hasher);
        let app = self.repo.by_key(&hash, self.clock.now()).await?.ok_or(Error::ApiKeyInvalid)?;
        tracing::Span::current().record("app_id", tracing::field::display(app.id));
        Ok(app)
    }
}
