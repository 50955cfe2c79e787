//! [`RecoveryCodeRepo`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::*;

#[async_trait]
impl RecoveryCodeRepo for MemDb {
    async fn replace_set(&self, user: UserId, hashes: &[Vec<u8>], _now: DateTime<Utc>) -> Result<()> {
        let mut t = self.tables();
        // fk_recovery_codes_user
        if !t.users.contains_key(&user) {
            return Err(Error::internal("recovery codes for an unknown user"));
        }
        t.recovery.insert(user, hashes.iter().map(|h| RecoveryRow { hash: h.clone(), used_at: None }).collect());
        Ok(())
    }
    async fn consume(&self, user: UserId, hash: &[u8], now: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        let code =
            t.recovery.get_mut(&user).and_then(|set| set.iter_mut().find(|r| r.hash == hash && r.used_at.is_none()));
        Ok(code.map(|r| r.used_at = Some(now)).is_some())
    }
    async fn remaining(&self, user: UserId) -> Result<u32> {
        Ok(self.tables().recovery.get(&user).map_or(0, |set| set.iter().filter(|r| r.used_at.is_none()).count() as u32))
    }
    async fn delete_all(&self, user: UserId) -> Result<u64> {
        Ok(self.tables().recovery.remove(&user).map_or(0, |set| set.len() as u64))
    }
}
