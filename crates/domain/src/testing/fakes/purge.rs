//! [`PurgeStore`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::*;

#[async_trait]
impl PurgeStore for MemDb {
    async fn purge(&self, what: Purgeable, before: DateTime<Utc>, limit: u32) -> Result<u64> {
        fn take<K: Clone + Eq + std::hash::Hash, V>(
            rows: &mut HashMap<K, V>,
            finished: impl Fn(&V) -> bool,
            limit: u32,
        ) -> u64 {
            let gone: Vec<K> =
                rows.iter().filter(|(_, v)| finished(v)).map(|(k, _)| k.clone()).take(limit as usize).collect();
            for k in &gone {
                rows.remove(k);
            }
            gone.len() as u64
        }
        let mut t = self.tables();
        Ok(match what {
            Purgeable::Sessions => {
                take(&mut t.sessions, |s| s.expires_at < before || s.revoked_at.is_some_and(|r| r < before), limit)
            }
            Purgeable::Challenges => take(&mut t.otps, |c| c.expires_at < before, limit),
            Purgeable::Ceremonies => take(&mut t.ceremonies, |c| c.expires_at < before, limit),
            Purgeable::TrustedDevices => take(&mut t.trusted_devices, |(d, _)| d.expires_at < before, limit),
            Purgeable::Messages => take(&mut t.deliveries, |d| d.expires_at < before, limit),
            Purgeable::AuthorizeRequests => take(&mut t.authorize_requests, |(_, end)| *end < before, limit),
            Purgeable::AuthorizationCodes => take(&mut t.codes, |(c, _, _)| c.expires_at < before, limit),
            Purgeable::SmsPrefixes => take(&mut t.prefixes, |r| r.idle_since(before), limit),
            Purgeable::Events => {
                let old: Vec<Uuid> =
                    t.audit.iter().filter(|e| e.at < before).map(|e| e.id).take(limit as usize).collect();
                t.audit.retain(|e| !old.contains(&e.id));
                old.len() as u64
            }
        })
    }
}
