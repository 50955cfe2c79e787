//! [`ClientRepo`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::*;
use crate::oidc::{Client, ClientId, ClientPatch, StoredSecret};

#[async_trait]
impl ClientRepo for MemDb {
    async fn create(&self, client: &Client, secret: Option<&StoredSecret>) -> Result<()> {
        let mut t = self.tables();
        if t.clients.contains_key(&client.id) || secret.is_some_and(|s| t.client_secrets.contains_key(&s.hash)) {
            return Err(Error::internal("duplicate primary key"));
        }
        t.clients.insert(client.id, client.clone());
        if let Some(s) = secret {
            t.client_secrets.insert(s.hash.clone(), s.clone());
        }
        Ok(())
    }
    async fn get(&self, id: ClientId) -> Result<Option<Client>> {
        Ok(self.tables().clients.get(&id).cloned())
    }
    async fn list(&self, after: Option<ClientId>, limit: u32) -> Result<Vec<Client>> {
        let mut clients: Vec<Client> =
            self.tables().clients.values().filter(|c| after.is_none_or(|x| c.id > x)).cloned().collect();
        clients.sort_by_key(|c| c.id);
        clients.truncate(limit as usize);
        Ok(clients)
    }
    async fn update(&self, id: ClientId, p: &ClientPatch, now: DateTime<Utc>) -> Result<Option<Client>> {
        let mut t = self.tables();
        let Some(row) = t.clients.get_mut(&id) else { return Ok(None) };
        row.name = p.name.clone().unwrap_or(row.name.clone());
        row.redirect_uris = p.redirect_uris.clone().unwrap_or(row.redirect_uris.clone());
        row.post_logout_redirect_uris =
            p.post_logout_redirect_uris.clone().unwrap_or(row.post_logout_redirect_uris.clone());
        row.scopes = p.scopes.clone().unwrap_or(row.scopes.clone());
        row.skip_consent = p.skip_consent.unwrap_or(row.skip_consent);
        row.id_token_alg = p.id_token_alg.unwrap_or(row.id_token_alg);
        row.updated_at = now;
        Ok(Some(row.clone()))
    }
    async fn delete(&self, id: ClientId) -> Result<bool> {
        let mut t = self.tables();
        t.client_secrets.retain(|_, s| s.owner != id);
        t.authorize_requests.retain(|_, (r, _)| r.client_id != id);
        t.consents.retain(|(_, client), _| *client != id);
        t.codes.retain(|_, (c, _, _)| c.client_id != id);
        t.credentials_grants.remove(&id);
        Ok(t.clients.remove(&id).is_some())
    }
    async fn add_secret(&self, secret: &StoredSecret, others_until: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        if !t.clients.contains_key(&secret.owner) {
            return Ok(false);
        }
        for s in t.client_secrets.values_mut().filter(|s| s.owner == secret.owner) {
            s.expires_at = Some(s.expires_at.map_or(others_until, |e| e.min(others_until)));
        }
        t.client_secrets.insert(secret.hash.clone(), secret.clone());
        Ok(true)
    }
    async fn with_secrets(&self, id: ClientId) -> Result<Option<(Client, Vec<StoredSecret>)>> {
        let t = self.tables();
        let Some(client) = t.clients.get(&id).cloned() else { return Ok(None) };
        let mut secrets: Vec<StoredSecret> = t.client_secrets.values().filter(|s| s.owner == id).cloned().collect();
        secrets.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.hash.cmp(&a.hash)));
        Ok(Some((client, secrets)))
    }
    async fn open_credentials_grant(&self, id: ClientId, fresh: uuid::Uuid) -> Result<Option<uuid::Uuid>> {
        let mut t = self.tables();
        if !t.clients.contains_key(&id) {
            return Ok(None);
        }
        Ok(Some(*t.credentials_grants.entry(id).or_insert(fresh)))
    }
    async fn credentials_grant(&self, id: ClientId) -> Result<Option<uuid::Uuid>> {
        Ok(self.tables().credentials_grants.get(&id).copied())
    }
    async fn end_credentials_grant(&self, id: ClientId) -> Result<()> {
        self.tables().credentials_grants.remove(&id);
        Ok(())
    }
}
