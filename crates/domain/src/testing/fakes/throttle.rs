//! [`ThrottleStore`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::*;

#[async_trait]
impl ThrottleStore for MemDb {
    async fn locked_until(&self, key: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        Ok(self.tables().throttles.get(key).and_then(|r| r.locked_until).filter(|u| *u > now))
    }
    async fn add_failure(&self, key: &str, now: DateTime<Utc>) -> Result<u32> {
        let mut t = self.tables();
        let r = t.throttle_row(key, now);
        r.failures += 1;
        r.updated_at = now;
        Ok(r.failures)
    }
    async fn lock(&self, key: &str, until: DateTime<Utc>) -> Result<()> {
        if let Some(r) = self.tables().throttles.get_mut(key)
            && r.locked_until.is_none_or(|l| l < until)
        {
            r.locked_until = Some(until);
        }
        Ok(())
    }
    async fn clear(&self, key: &str) -> Result<()> {
        self.tables().throttles.remove(key);
        Ok(())
    }
    async fn hit(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<Window> {
        let mut t = self.tables();
        let stale = now - span(window);
        let r = t.throttle_row(key, now);
        if r.window_start <= stale {
            (r.hits, r.window_start) = (1, now);
        } else {
            r.hits += 1;
        }
        r.updated_at = now;
        Ok(Window { hits: r.hits, started: r.window_start })
    }
    async fn unhit(&self, key: &str, started: DateTime<Utc>, limit: u32) -> Result<()> {
        if let Some(r) = self.tables().throttles.get_mut(key).filter(|r| r.window_start == started && r.hits > 0) {
            r.hits = r.hits.min(limit) - 1;
        }
        Ok(())
    }
    async fn purge(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64> {
        let mut t = self.tables();
        let n = t.throttles.len();
        t.throttles.retain(|_, r| !(r.updated_at < before && r.locked_until.is_none_or(|l| l < now)));
        Ok((n - t.throttles.len()) as u64)
    }
}
