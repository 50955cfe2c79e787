//! [`PasskeyRepo`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::*;
use crate::passkey::{Ceremony, CeremonyPurpose, Passkey, PasskeyUse, counter};

#[async_trait]
impl PasskeyRepo for MemDb {
    async fn add(&self, passkey: &Passkey) -> Result<bool> {
        let mut t = self.tables();
        // fk_passkeys_user; ux_passkeys_credential_id
        if !t.users.contains_key(&passkey.user_id)
            || t.passkeys.values().any(|p| p.credential_id == passkey.credential_id)
        {
            return Ok(false);
        }
        t.passkeys.insert(passkey.id, passkey.clone());
        Ok(true)
    }
    async fn list(&self, user: UserId) -> Result<Vec<Passkey>> {
        let mut list: Vec<Passkey> = self.tables().passkeys.values().filter(|p| p.user_id == user).cloned().collect();
        list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(list)
    }
    async fn count(&self, user: UserId) -> Result<u32> {
        Ok(self.tables().passkeys.values().filter(|p| p.user_id == user).count() as u32)
    }
    async fn by_credential(&self, credential_id: &[u8]) -> Result<Option<Passkey>> {
        Ok(self.tables().passkeys.values().find(|p| p.credential_id == credential_id).cloned())
    }
    async fn rename(&self, user: UserId, id: Uuid, name: &str) -> Result<Option<Passkey>> {
        let mut t = self.tables();
        Ok(t.passkeys.get_mut(&id).filter(|p| p.user_id == user).map(|p| {
            p.name = name.to_owned();
            p.clone()
        }))
    }
    async fn delete(&self, user: UserId, id: Uuid) -> Result<bool> {
        let mut t = self.tables();
        if t.passkeys.get(&id).is_some_and(|p| p.user_id == user) {
            t.passkeys.remove(&id);
            return Ok(true);
        }
        Ok(false)
    }
    async fn delete_all(&self, user: UserId) -> Result<u64> {
        let mut t = self.tables();
        let before = t.passkeys.len();
        t.passkeys.retain(|_, p| p.user_id != user);
        Ok((before - t.passkeys.len()) as u64)
    }
    async fn record_use(&self, id: Uuid, used: &PasskeyUse) -> Result<bool> {
        let mut t = self.tables();
        match t.passkeys.get_mut(&id) {
            Some(p) if counter::advances(p.counter, used.counter) => {
                p.counter = used.counter;
                p.backup_eligible = used.backup_eligible;
                p.backed_up = used.backed_up;
                p.data = used.data.clone();
                p.last_used_at = Some(used.at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn put_ceremony(&self, ceremony: &Ceremony) -> Result<()> {
        self.tables().ceremonies.insert(ceremony.id, ceremony.clone());
        Ok(())
    }
    async fn take_ceremony(
        &self,
        id: Uuid,
        purpose: CeremonyPurpose,
        owner: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let mut t = self.tables();
        let live = |c: &Ceremony| c.purpose == purpose && c.owner == owner && c.expires_at > now;
        // The DELETE removes the row only when its condition holds.
        if !t.ceremonies.get(&id).is_some_and(live) {
            return Ok(None);
        }
        Ok(t.ceremonies.remove(&id).map(|c| c.state))
    }
}
