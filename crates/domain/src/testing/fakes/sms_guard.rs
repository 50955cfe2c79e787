//! [`SmsGuardStore`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::*;
use crate::clock::{after, span};
use crate::ports::{DEPLOYMENT, PrefixBlock, PrefixCount, PrefixWindow, SendLimits, SmsGuardStore};

/// A prefix, column for column as the `sms_prefixes` table holds it.
#[derive(Debug, Clone)]
pub(crate) struct PrefixRow {
    country: String,
    window_start: DateTime<Utc>,
    sends: u32,
    verified: u32,
    strikes: u32,
    blocked_until: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

impl PrefixRow {
    /// Whether the purge takes it: untouched since `before`, and no block lasting past it.
    pub(crate) fn idle_since(&self, before: DateTime<Utc>) -> bool {
        self.updated_at < before && self.blocked_until.is_none_or(|u| u < before)
    }
}

/// Counts a send in `row`'s window, restarting a window begun at or before `stale`.
fn count(row: &mut PrefixRow, now: DateTime<Utc>, stale: DateTime<Utc>) {
    if row.window_start <= stale {
        (row.window_start, row.sends, row.verified) = (now, 0, 0);
    }
    row.sends += 1;
    row.updated_at = now;
}

#[async_trait]
impl SmsGuardStore for MemDb {
    async fn count_send(
        &self,
        prefix: &str,
        country: &str,
        now: DateTime<Utc>,
        limits: SendLimits,
    ) -> Result<PrefixCount> {
        let mut t = self.tables();
        let stale = now - span(limits.window);
        // Both rows are judged before either counts: what the statement's
        // taking back of the one that counted leaves.
        let fresh = |country: &str| PrefixRow {
            country: country.to_owned(),
            window_start: now,
            sends: 0,
            verified: 0,
            strikes: 0,
            blocked_until: None,
            updated_at: now,
        };
        let full = |row: &PrefixRow, limit: u32| row.window_start > stale && limit > 0 && row.sends >= limit;
        let row = t.prefixes.entry(prefix.to_owned()).or_insert_with(|| fresh(country));
        if let Some(until) = row.blocked_until.filter(|u| *u > now) {
            return Ok(PrefixCount::Blocked { until });
        }
        if full(row, limits.per_prefix) {
            return Ok(PrefixCount::Throttled { until: after(row.window_start, limits.window) });
        }
        if limits.in_all > 0 {
            let all = t.prefixes.entry(DEPLOYMENT.to_owned()).or_insert_with(|| fresh(""));
            if full(all, limits.in_all) {
                return Ok(PrefixCount::Paused { until: after(all.window_start, limits.window) });
            }
            count(all, now, stale);
        }
        let row = t.prefixes.get_mut(prefix).expect("inserted above");
        count(row, now, stale);
        Ok(PrefixCount::Counted(PrefixWindow {
            sends: row.sends,
            verified: row.verified,
            strikes: row.strikes,
            started: row.window_start,
        }))
    }
    async fn pause(&self, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        let Some(row) = t.prefixes.get_mut(DEPLOYMENT) else { return Ok(false) };
        if row.blocked_until.is_some_and(|u| u > now) {
            return Ok(false);
        }
        (row.blocked_until, row.updated_at) = (Some(until), now);
        Ok(true)
    }
    async fn count_verified(&self, prefix: &str, sent_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
        if let Some(row) = self.tables().prefixes.get_mut(prefix).filter(|r| r.window_start <= sent_at) {
            (row.verified, row.updated_at) = (row.verified + 1, now);
        }
        Ok(())
    }
    async fn block(&self, prefix: &str, strikes: u32, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        let Some(row) = t.prefixes.get_mut(prefix) else { return Ok(false) };
        if row.strikes != strikes || row.blocked_until.is_some_and(|u| u > now) {
            return Ok(false);
        }
        (row.blocked_until, row.strikes, row.sends, row.verified, row.window_start, row.updated_at) =
            (Some(until), strikes + 1, 0, 0, now, now);
        Ok(true)
    }
    async fn blocked_until(&self, prefix: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        Ok(self.tables().prefixes.get(prefix).and_then(|r| r.blocked_until).filter(|u| *u > now))
    }
    async fn blocks(&self, now: DateTime<Utc>) -> Result<Vec<PrefixBlock>> {
        let t = self.tables();
        let mut blocks: Vec<PrefixBlock> = t
            .prefixes
            .iter()
            .filter(|(prefix, _)| prefix.as_str() != DEPLOYMENT)
            .filter_map(|(prefix, r)| {
                let until = r.blocked_until.filter(|u| *u > now)?;
                Some(PrefixBlock { prefix: prefix.clone(), country: r.country.clone(), until, strikes: r.strikes })
            })
            .collect();
        blocks.sort_by(|a, b| b.until.cmp(&a.until).then_with(|| a.prefix.cmp(&b.prefix)));
        Ok(blocks)
    }
    async fn unblock(&self, prefix: &str, now: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        let Some(row) = t.prefixes.get_mut(prefix).filter(|r| r.blocked_until.is_some_and(|u| u > now)) else {
            return Ok(false);
        };
        (row.blocked_until, row.sends, row.verified, row.window_start, row.updated_at) = (None, 0, 0, now, now);
        Ok(true)
    }
}
