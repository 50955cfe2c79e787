//! [`AuthorizationRepo`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::*;
use crate::oidc::code::{CodeGrant, Redemption};
use crate::oidc::{AuthorizeRequest, ClientId, Consent, Scope};

#[async_trait]
impl AuthorizationRepo for MemDb {
    async fn save_request(&self, id: Uuid, request: &AuthorizeRequest, expires_at: DateTime<Utc>) -> Result<()> {
        self.tables().authorize_requests.insert(id, (request.clone(), expires_at));
        Ok(())
    }
    async fn request(&self, id: Uuid, now: DateTime<Utc>) -> Result<Option<AuthorizeRequest>> {
        Ok(self.tables().authorize_requests.get(&id).filter(|(_, end)| now < *end).map(|(r, _)| r.clone()))
    }
    async fn drop_request(&self, id: Uuid) -> Result<bool> {
        Ok(self.tables().authorize_requests.remove(&id).is_some())
    }
    async fn consent(&self, user: UserId, client: ClientId) -> Result<Option<Consent>> {
        Ok(self.tables().consents.get(&(user, client)).cloned())
    }
    async fn grant_consent(&self, user: UserId, client: ClientId, scopes: &[Scope], now: DateTime<Utc>) -> Result<()> {
        self.tables().consents.insert((user, client), Consent { scopes: scopes.to_vec(), granted_at: now });
        Ok(())
    }
    async fn insert_code(&self, code: &CodeGrant) -> Result<()> {
        let mut t = self.tables();
        if t.codes.contains_key(&code.hash) {
            return Err(Error::internal("duplicate primary key"));
        }
        t.codes.insert(code.hash.clone(), (code.clone(), None, None));
        Ok(())
    }
    async fn redeem_code(&self, hash: &[u8], now: DateTime<Utc>, session: Uuid) -> Result<Redemption> {
        let mut t = self.tables();
        let Some((code, used_at, issued)) = t.codes.get_mut(hash) else { return Ok(Redemption::Unknown) };
        if used_at.is_some() {
            return Ok(Redemption::Replayed {
                client_id: code.client_id,
                user_id: code.user_id,
                issued_session: *issued,
            });
        }
        if code.expires_at <= now {
            return Ok(Redemption::Unknown);
        }
        *used_at = Some(now);
        *issued = Some(session);
        Ok(Redemption::Redeemed(code.clone()))
    }
}
