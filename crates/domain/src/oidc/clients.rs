//! `Clients`: admins registering, changing and removing OpenID Connect
//! clients and rotating a confidential client's secret, and a client
//! proving itself with its id and secret. Every admin use case starts by
//! checking the caller is an administrator (on an `aal2` session under the
//! second-factor policy); every change is an event in that admin's history
//! naming the client.

use std::sync::Arc;
use std::time::Duration;

use super::client::{
    Client, ClientChanges, ClientForm, ClientId, ClientKind, ClientSecret, StoredSecret, secret_matches,
};
use crate::admin::Admin;
use crate::audit::{Audit, AuditEvent, EventKind};
use crate::clock::{Clock, after};
use crate::error::{Error, Result};
use crate::page::{Page, check_limit, page};
use crate::ports::{ClientRepo, KeyedHasher};
use crate::rng::Rng;
use crate::session::Caller;
use crate::subject::Subject;

/// A secret made by a rotation.
pub type IssuedSecret = crate::prefixed_key::IssuedKey<super::client::ClientSecrets>;

#[derive(Clone)]
pub struct Clients {
    pub(crate) repo: Arc<dyn ClientRepo>,
    pub(crate) admin: Admin,
    pub(crate) keyed_hasher: Arc<dyn KeyedHasher>,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    /// How long a replaced secret keeps working after a rotation (the
    /// applications' key grace, `AUTHD_APP_KEY_GRACE_SECONDS`).
    pub(crate) secret_grace: Duration,
}

impl Clients {
    /// Registers a client; a confidential one gets its first secret, which
    /// the answer carries and nothing stores.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn create(&self, caller: &Caller, form: ClientForm) -> Result<(Client, Option<ClientSecret>)> {
        let admin = self.admin.require_admin(caller).await?;
        let now = self.clock.now();
        let client = Client::new(ClientId(self.rng.uuid_v7(now)), form, now)?;
        let secret = (client.kind == ClientKind::Confidential)
            .then(|| ClientSecret::issue(&*self.rng, &*self.keyed_hasher, client.id, now));
        self.repo.create(&client, secret.as_ref().map(|(_, stored)| stored)).await?;
        let mut detail = vec![("client_id", client.id.to_string().into()), ("name", client.name.clone().into())];
        detail.extend(secret.as_ref().map(|(_, stored)| ("secret", stored.hint.clone().into())));
        self.audit.record(admin.id, Some(admin.id), EventKind::OidcClientCreated, &detail).await?;
        Ok((client, secret.map(|(secret, _)| secret)))
    }

    /// Clients in registration order, a keyset page at a time.
    pub async fn list(&self, caller: &Caller, after: Option<ClientId>, limit: u32) -> Result<Page<Client, ClientId>> {
        self.admin.require_admin(caller).await?;
        let limit = check_limit(limit)?;
        let rows = self.repo.list(after, limit + 1).await?;
        Ok(page(rows, limit, |c: &Client| c.id))
    }

    /// A client and its secrets (their hints and lifetimes; never a secret).
    pub async fn get(&self, caller: &Caller, id: ClientId) -> Result<(Client, Vec<StoredSecret>)> {
        self.admin.require_admin(caller).await?;
        self.repo.with_secrets(id).await?.ok_or(Error::ClientNotFound)
    }

    /// A client's own events (its `client_credentials` tokens issued and
    /// revoked), newest first. A deleted client's stay readable; changes
    /// admins made are in their own histories.
    pub async fn events(
        &self,
        caller: &Caller,
        id: ClientId,
        before: Option<uuid::Uuid>,
        limit: u32,
    ) -> Result<Page<AuditEvent, uuid::Uuid>> {
        self.admin.require_admin(caller).await?;
        let limit = check_limit(limit)?;
        let rows = self.audit.list(Subject::Client(id), before, limit + 1).await?;
        if rows.is_empty() && before.is_none() && self.repo.get(id).await?.is_none() {
            return Err(Error::ClientNotFound);
        }
        Ok(page(rows, limit, |e: &AuditEvent| e.id))
    }

    /// Changes a client's settings.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn update(&self, caller: &Caller, id: ClientId, changes: ClientChanges) -> Result<Client> {
        let admin = self.admin.require_admin(caller).await?;
        let patch = changes.checked()?;
        let client = self.repo.update(id, &patch, self.clock.now()).await?.ok_or(Error::ClientNotFound)?;
        let detail = [("client_id", id.to_string().into())];
        self.audit.record(admin.id, Some(admin.id), EventKind::OidcClientUpdated, &detail).await?;
        Ok(client)
    }

    /// Makes a new secret for a confidential client; its other secrets keep
    /// working for the grace period, then stop.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn rotate_secret(&self, caller: &Caller, id: ClientId) -> Result<IssuedSecret> {
        let admin = self.admin.require_admin(caller).await?;
        let client = self.repo.get(id).await?.ok_or(Error::ClientNotFound)?;
        if client.kind == ClientKind::Public {
            return Err(Error::ClientPublic);
        }
        let now = self.clock.now();
        let (key, stored) = ClientSecret::issue(&*self.rng, &*self.keyed_hasher, id, now);
        let until = after(now, self.secret_grace);
        if !self.repo.add_secret(&stored, until).await? {
            return Err(Error::ClientNotFound);
        }
        let detail = [
            ("client_id", id.to_string().into()),
            ("secret", stored.hint.into()),
            ("previous_until", until.to_rfc3339().into()),
        ];
        self.audit.record(admin.id, Some(admin.id), EventKind::OidcClientSecretRotated, &detail).await?;
        Ok(IssuedSecret { key, previous_until: until })
    }

    /// Deletes a client; its secrets stop at once.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn delete(&self, caller: &Caller, id: ClientId) -> Result<()> {
        let admin = self.admin.require_admin(caller).await?;
        if !self.repo.delete(id).await? {
            return Err(Error::ClientNotFound);
        }
        // Its tokens stop working with it: every session opened for it ends.
        let ended = self.admin.sessions.end_client(id).await?;
        let detail = [("client_id", id.to_string().into()), ("sessions_ended", ended.into())];
        self.audit.record(admin.id, Some(admin.id), EventKind::OidcClientDeleted, &detail).await
    }

    /// The client `client_id` names, if `secret` proves it: a confidential
    /// client must present one of its live secrets (compared in constant
    /// time, [`secret_matches`]); a public client presents none. Every
    /// failure is one `None`, so the answer tells nothing of which part was
    /// wrong.
    pub async fn authenticate(&self, client_id: &str, secret: Option<&str>) -> Result<Option<Client>> {
        let Ok(id) = client_id.parse().map(ClientId) else { return Ok(None) };
        let Some((client, secrets)) = self.repo.with_secrets(id).await? else { return Ok(None) };
        let proved = match (client.kind, secret) {
            (ClientKind::Public, None) => true,
            (ClientKind::Confidential, Some(presented)) => match ClientSecret::parse(presented) {
                Some(secret) => {
                    let hash = secret.hashed(&*self.keyed_hasher);
                    secret_matches(&hash, &secrets, self.clock.now())
                }
                None => false,
            },
            _ => false,
        };
        Ok(proved.then_some(client))
    }
}
