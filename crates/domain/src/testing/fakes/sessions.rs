//! [`SessionRepo`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::assurance::Assurance;

use super::*;

#[async_trait]
impl SessionRepo for MemDb {
    async fn create(&self, s: &Session) -> Result<bool> {
        let mut t = self.tables();
        let active = t.users.get(&s.user_id).is_some_and(|u| u.user.is_active);
        if active {
            if t.sessions.contains_key(&s.id) {
                return Err(Error::internal("duplicate session id"));
            }
            t.sessions.insert(s.id, s.clone());
        }
        Ok(active)
    }
    async fn create_from(&self, s: &Session, browser: Uuid, now: DateTime<Utc>) -> Result<bool> {
        let client_exists = {
            let t = self.tables();
            let live = t
                .sessions
                .get(&browser)
                .is_some_and(|b| b.user_id == s.user_id && b.revoked_at.is_none() && now < b.expires_at);
            live && s.client.as_ref().is_some_and(|g| t.clients.contains_key(&g.client_id))
        };
        if !client_exists {
            return Ok(false);
        }
        SessionRepo::create(self, s).await
    }
    async fn get(&self, id: Uuid) -> Result<Option<Session>> {
        Ok(self.tables().sessions.get(&id).cloned())
    }
    async fn rotate(
        &self,
        id: Uuid,
        old: Uuid,
        new: Uuid,
        now: DateTime<Utc>,
        exp: DateTime<Utc>,
    ) -> Result<Option<Assurance>> {
        match self.tables().sessions.get_mut(&id) {
            Some(s) if s.refresh_jti == old && s.revoked_at.is_none() && s.expires_at > now => {
                s.refresh_jti = new;
                s.expires_at = exp;
                Ok(Some(s.assurance))
            }
            _ => Ok(None),
        }
    }
    async fn reassure(
        &self,
        id: Uuid,
        user: UserId,
        assurance: Assurance,
        jti: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>> {
        match self.tables().sessions.get_mut(&id) {
            Some(s) if s.user_id == user && s.revoked_at.is_none() && s.expires_at > now => {
                s.assurance = assurance;
                s.refresh_jti = jti;
                Ok(Some(s.clone()))
            }
            _ => Ok(None),
        }
    }
    async fn is_active(&self, id: Uuid, user: UserId, now: DateTime<Utc>) -> Result<bool> {
        Ok(self
            .tables()
            .sessions
            .get(&id)
            .is_some_and(|s| s.user_id == user && s.revoked_at.is_none() && s.expires_at > now))
    }
    async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        if let Some(s) = self.tables().sessions.get_mut(&id) {
            s.revoked_at.get_or_insert(now);
        }
        Ok(())
    }
    async fn revoke_owned(&self, id: Uuid, user: UserId, now: DateTime<Utc>) -> Result<bool> {
        match self.tables().sessions.get_mut(&id) {
            Some(s) if s.user_id == user && s.revoked_at.is_none() => {
                s.revoked_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn list_live(&self, user: UserId, now: DateTime<Utc>, limit: u32) -> Result<Vec<Session>> {
        let t = self.tables();
        let mut live: Vec<Session> = t
            .sessions
            .values()
            .filter(|s| s.user_id == user && s.revoked_at.is_none() && s.expires_at > now)
            .cloned()
            .collect();
        live.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        live.truncate(limit as usize);
        Ok(live)
    }
    async fn revoke_client(&self, client: crate::oidc::ClientId, now: DateTime<Utc>) -> Result<Vec<Uuid>> {
        let mut ended = Vec::new();
        for s in self.tables().sessions.values_mut() {
            if s.client.as_ref().is_some_and(|g| g.client_id == client) && s.revoked_at.is_none() {
                s.revoked_at = Some(now);
                ended.push(s.id);
            }
        }
        Ok(ended)
    }
    async fn revoke_all(&self, user: UserId, keep: Option<Uuid>, now: DateTime<Utc>) -> Result<u64> {
        let mut n = 0;
        for s in self.tables().sessions.values_mut() {
            if s.user_id == user && Some(s.id) != keep && s.revoked_at.is_none() {
                s.revoked_at = Some(now);
                n += 1;
            }
        }
        Ok(n)
    }
}
