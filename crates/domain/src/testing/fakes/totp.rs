//! [`TotpRepo`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::*;

#[async_trait]
impl TotpRepo for MemDb {
    async fn get(&self, user: UserId) -> Result<Option<TotpCredential>> {
        Ok(self.tables().totp.get(&user).cloned())
    }
    async fn put_pending(&self, c: &TotpCredential) -> Result<bool> {
        let mut t = self.tables();
        // fk_totp_credentials_user
        if !t.users.contains_key(&c.user_id) {
            return Err(Error::internal("enrolment for an unknown user"));
        }
        if t.totp.get(&c.user_id).is_some_and(TotpCredential::is_active) {
            return Ok(false);
        }
        t.totp.insert(c.user_id, TotpCredential { confirmed_at: None, last_step: None, ..c.clone() });
        Ok(true)
    }
    async fn confirm(&self, user: UserId, sealed_secret: &[u8], step: u64, now: DateTime<Utc>) -> Result<bool> {
        match self.tables().totp.get_mut(&user) {
            Some(c) if c.confirmed_at.is_none() && c.sealed_secret == sealed_secret => {
                (c.confirmed_at, c.last_step) = (Some(now), Some(step));
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn accept_step(&self, user: UserId, step: u64) -> Result<bool> {
        match self.tables().totp.get_mut(&user) {
            Some(c) if c.confirmed_at.is_some() && c.last_step.is_none_or(|last| last < step) => {
                c.last_step = Some(step);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn delete(&self, user: UserId) -> Result<bool> {
        Ok(self.tables().totp.remove(&user).is_some())
    }
}
