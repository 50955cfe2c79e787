//! [`TrustedDeviceRepo`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::*;
use crate::trusted_device::TrustedDevice;

#[async_trait]
impl TrustedDeviceRepo for MemDb {
    async fn add(&self, device: &TrustedDevice, token_hash: &[u8], session: Uuid) -> Result<bool> {
        let mut t = self.tables();
        // ux_trusted_devices_token_hash
        if t.trusted_devices.values().any(|(_, h)| h == token_hash) {
            return Err(Error::internal("trusted device refused by a constraint"));
        }
        let live = t.sessions.get(&session).is_some_and(|s| s.user_id == device.user_id && s.revoked_at.is_none());
        if live {
            t.trusted_devices.insert(device.id, (device.clone(), token_hash.to_vec()));
        }
        Ok(live)
    }
    async fn use_token(&self, user: UserId, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<TrustedDevice>> {
        let mut t = self.tables();
        let found =
            t.trusted_devices.values_mut().find(|(d, h)| h == token_hash && d.user_id == user && d.expires_at > now);
        Ok(found.map(|(d, _)| {
            d.last_used_at = Some(now);
            d.clone()
        }))
    }
    async fn list(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<TrustedDevice>> {
        let t = self.tables();
        let mut list: Vec<TrustedDevice> = t
            .trusted_devices
            .values()
            .map(|(d, _)| d)
            .filter(|d| d.user_id == user && d.expires_at > now)
            .cloned()
            .collect();
        list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(list)
    }
    async fn delete_owned(&self, user: UserId, id: Uuid) -> Result<bool> {
        let mut t = self.tables();
        if t.trusted_devices.get(&id).is_some_and(|(d, _)| d.user_id == user) {
            t.trusted_devices.remove(&id);
            return Ok(true);
        }
        Ok(false)
    }
    async fn delete_all(&self, user: UserId) -> Result<u64> {
        let mut t = self.tables();
        let before = t.trusted_devices.len();
        t.trusted_devices.retain(|_, (d, _)| d.user_id != user);
        Ok((before - t.trusted_devices.len()) as u64)
    }
}
