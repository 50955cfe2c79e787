//! `SmsGuardStore` over SQL: one row per destination prefix in
//! `sms_prefixes`. Each decision is one statement: a send is counted by one
//! conditional upsert (refused, it writes nothing), a block by one
//! conditional UPDATE naming the strikes it saw. The same text serves
//! PostgreSQL and SQLite (3.35+) but for placeholders.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::clock::{after, span};
use domain::ports::{PrefixBlock, PrefixCount, PrefixWindow, SmsGuardStore};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::db::{Database, execute, internal, query_one, statement};

#[derive(Clone)]
pub struct SqlSmsGuardStore {
    db: Database,
}

impl SqlSmsGuardStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn count(row: &QueryResult, col: &str) -> Result<u32> {
    let n: i32 = row.try_get("", col).map_err(internal)?;
    Ok(u32::try_from(n).unwrap_or(0))
}

#[async_trait]
impl SmsGuardStore for SqlSmsGuardStore {
    async fn count_send(
        &self,
        prefix: &str,
        country: &str,
        now: DateTime<Utc>,
        window: Duration,
        limit: u32,
    ) -> Result<PrefixCount> {
        // A window that began at or before now - window is over: restart it.
        let stale = now - span(window);
        let limit = if limit == 0 { i64::MAX } else { i64::from(limit) };
        let sql = "INSERT INTO sms_prefixes (prefix, country, window_start, sends, verified, strikes, blocked_until, updated_at) \
                   VALUES ($1, $2, $3, 1, 0, 0, NULL, $3) \
                   ON CONFLICT (prefix) DO UPDATE SET \
                     sends = CASE WHEN sms_prefixes.window_start <= $4 THEN 1 ELSE sms_prefixes.sends + 1 END, \
                     verified = CASE WHEN sms_prefixes.window_start <= $4 THEN 0 ELSE sms_prefixes.verified END, \
                     window_start = CASE WHEN sms_prefixes.window_start <= $4 THEN $3 ELSE sms_prefixes.window_start END, \
                     updated_at = $3 \
                   WHERE (sms_prefixes.blocked_until IS NULL OR sms_prefixes.blocked_until <= $3) \
                     AND (sms_prefixes.window_start <= $4 OR sms_prefixes.sends < $5) \
                   RETURNING sends, verified, strikes, window_start";
        let values = vec![prefix.into(), country.into(), now.into(), stale.into(), limit.into()];
        if let Some(row) = query_one(&self.db, sql, values).await? {
            return Ok(PrefixCount::Counted(PrefixWindow {
                sends: count(&row, "sends")?,
                verified: count(&row, "verified")?,
                strikes: count(&row, "strikes")?,
                started: row.try_get("", "window_start").map_err(internal)?,
            }));
        }
        // Refused: say why (only a refusal reads the row again).
        let sql = "SELECT blocked_until, window_start FROM sms_prefixes WHERE prefix = $1";
        let row = query_one(&self.db, sql, vec![prefix.into()])
            .await?
            .ok_or_else(|| domain::Error::internal("no prefix row"))?;
        let blocked: Option<DateTime<Utc>> = row.try_get("", "blocked_until").map_err(internal)?;
        let started: DateTime<Utc> = row.try_get("", "window_start").map_err(internal)?;
        Ok(match blocked.filter(|u| *u > now) {
            Some(until) => PrefixCount::Blocked { until },
            None => PrefixCount::Throttled { until: after(started, window) },
        })
    }

    async fn count_verified(&self, prefix: &str, sent_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
        let sql =
            "UPDATE sms_prefixes SET verified = verified + 1, updated_at = $3 WHERE prefix = $1 AND window_start <= $2";
        execute(&self.db, sql, vec![prefix.into(), sent_at.into(), now.into()]).await.map(|_| ())
    }

    async fn block(&self, prefix: &str, strikes: u32, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool> {
        let sql = "UPDATE sms_prefixes SET blocked_until = $4, strikes = strikes + 1, sends = 0, verified = 0, \
                   window_start = $3, updated_at = $3 \
                   WHERE prefix = $1 AND strikes = $2 AND (blocked_until IS NULL OR blocked_until <= $3)";
        let values = vec![prefix.into(), i64::from(strikes).into(), now.into(), until.into()];
        Ok(execute(&self.db, sql, values).await? == 1)
    }

    async fn blocked_until(&self, prefix: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let sql = "SELECT blocked_until FROM sms_prefixes WHERE prefix = $1 AND blocked_until > $2";
        let row = query_one(&self.db, sql, vec![prefix.into(), now.into()]).await?;
        row.map(|r| r.try_get::<DateTime<Utc>>("", "blocked_until")).transpose().map_err(internal)
    }

    async fn blocks(&self, now: DateTime<Utc>) -> Result<Vec<PrefixBlock>> {
        let sql = "SELECT prefix, country, blocked_until, strikes FROM sms_prefixes WHERE blocked_until > $1 \
                   ORDER BY blocked_until DESC, prefix";
        let rows = self.db.query_all_raw(statement(&self.db, sql, vec![now.into()])).await.map_err(internal)?;
        rows.iter()
            .map(|r| {
                Ok(PrefixBlock {
                    prefix: r.try_get("", "prefix").map_err(internal)?,
                    country: r.try_get("", "country").map_err(internal)?,
                    until: r.try_get("", "blocked_until").map_err(internal)?,
                    strikes: count(r, "strikes")?,
                })
            })
            .collect()
    }

    async fn unblock(&self, prefix: &str, now: DateTime<Utc>) -> Result<bool> {
        let sql = "UPDATE sms_prefixes SET blocked_until = NULL, sends = 0, verified = 0, window_start = $2, updated_at = $2 \
                   WHERE prefix = $1 AND blocked_until > $2";
        Ok(execute(&self.db, sql, vec![prefix.into(), now.into()]).await? == 1)
    }
}
