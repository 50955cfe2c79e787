//! [`AppRepo`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::*;

#[async_trait]
impl AppRepo for MemDb {
    async fn create(&self, app: &App, key: &AppKey) -> Result<()> {
        let mut t = self.tables();
        if t.apps.contains_key(&app.id) || t.app_keys.contains_key(&key.hash) {
            return Err(Error::internal("duplicate primary key"));
        }
        t.apps.insert(app.id, app.clone());
        t.app_keys.insert(key.hash.clone(), key.clone());
        Ok(())
    }
    async fn get(&self, id: AppId) -> Result<Option<App>> {
        Ok(self.tables().apps.get(&id).cloned())
    }
    async fn list(&self, after: Option<AppId>, limit: u32) -> Result<Vec<App>> {
        let mut apps: Vec<App> =
            self.tables().apps.values().filter(|a| after.is_none_or(|x| a.id > x)).cloned().collect();
        apps.sort_by_key(|a| a.id);
        apps.truncate(limit as usize);
        Ok(apps)
    }
    async fn update(&self, id: AppId, p: &AppPatch, now: DateTime<Utc>) -> Result<Option<App>> {
        let mut t = self.tables();
        let Some(row) = t.apps.get_mut(&id) else { return Ok(None) };
        row.name = p.name.clone().unwrap_or(row.name.clone());
        row.channels = p.channels.clone().unwrap_or(row.channels.clone());
        row.code_length = p.code_length.unwrap_or(row.code_length);
        row.code_ttl = p.code_ttl.unwrap_or(row.code_ttl);
        row.max_attempts = p.max_attempts.unwrap_or(row.max_attempts);
        row.sms_countries = p.sms_countries.clone().unwrap_or(row.sms_countries.clone());
        row.whatsapp_countries = p.whatsapp_countries.clone().unwrap_or(row.whatsapp_countries.clone());
        row.is_active = p.is_active.unwrap_or(row.is_active);
        row.modified_at = now;
        Ok(Some(row.clone()))
    }
    async fn delete(&self, id: AppId) -> Result<bool> {
        let mut t = self.tables();
        // ON DELETE CASCADE, and the messages deleted in the same transaction
        t.app_keys.retain(|_, k| k.owner != id);
        t.otps.retain(|_, c| c.owner != Subject::App(id));
        t.deliveries.retain(|_, d| d.app_id != Some(id));
        Ok(t.apps.remove(&id).is_some())
    }
    async fn add_key(&self, key: &AppKey, others_until: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        if !t.apps.contains_key(&key.owner) {
            return Ok(false);
        }
        for k in t.app_keys.values_mut().filter(|k| k.owner == key.owner) {
            k.expires_at = Some(k.expires_at.map_or(others_until, |e| e.min(others_until)));
        }
        t.app_keys.insert(key.hash.clone(), key.clone());
        Ok(true)
    }
    async fn by_key(&self, hash: &[u8], now: DateTime<Utc>) -> Result<Option<App>> {
        let t = self.tables();
        let Some(key) = t.app_keys.get(hash).filter(|k| k.expires_at.is_none_or(|e| e > now)) else { return Ok(None) };
        Ok(t.apps.get(&key.owner).filter(|a| a.is_active).cloned())
    }
    async fn keys(&self, id: AppId) -> Result<Vec<AppKey>> {
        let mut keys: Vec<AppKey> = self.tables().app_keys.values().filter(|k| k.owner == id).cloned().collect();
        keys.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.hash.cmp(&a.hash)));
        Ok(keys)
    }
}
