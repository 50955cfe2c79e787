//! `SmsGuardStore` over SQL: one row per destination prefix in
//! `sms_prefixes`, and one (`'*'`) for the deployment's count. Each decision
//! is one statement: a send is counted by one conditional upsert of its
//! prefix's row and the deployment's (refused, it keeps nothing), a block by one
//! conditional UPDATE naming the strikes it saw. The same text serves
//! PostgreSQL and SQLite (3.35+) but for placeholders.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::clock::{after, span};
use domain::ports::{DEPLOYMENT, PrefixBlock, PrefixCount, PrefixWindow, SendLimits, SmsGuardStore};
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

impl SqlSmsGuardStore {
    /// Takes back a send counted in the window that began at `started`
    /// (none if that window has since restarted).
    async fn take_back(&self, prefix: &str, started: DateTime<Utc>) -> Result<()> {
        let sql = "UPDATE sms_prefixes SET sends = sends - 1 WHERE prefix = $1 AND window_start = $2 AND sends > 0";
        execute(&self.db, sql, vec![prefix.into(), started.into()]).await.map(|_| ())
    }

    async fn window_start(&self, prefix: &str) -> Result<DateTime<Utc>> {
        let row = query_one(&self.db, "SELECT window_start FROM sms_prefixes WHERE prefix = $1", vec![prefix.into()])
            .await?
            .ok_or_else(|| domain::Error::internal("no deployment row"))?;
        row.try_get("", "window_start").map_err(internal)
    }
}

#[async_trait]
impl SmsGuardStore for SqlSmsGuardStore {
    async fn count_send(
        &self,
        prefix: &str,
        country: &str,
        now: DateTime<Utc>,
        limits: SendLimits,
    ) -> Result<PrefixCount> {
        // A window that began at or before now - window is over: restart it.
        let stale = now - span(limits.window);
        let limit = |n: u32| if n == 0 { i64::MAX } else { i64::from(n) };
        // The prefix's row first, then the deployment's: every send locks
        // them in that order, so concurrent sends cannot deadlock.
        let rows = if limits.in_all > 0 {
            "($1, $2, $3, 1, 0, 0, NULL, $3), ($6, '', $3, 1, 0, 0, NULL, $3)"
        } else {
            "($1, $2, $3, 1, 0, 0, NULL, $3)"
        };
        let sql = format!(
            "INSERT INTO sms_prefixes (prefix, country, window_start, sends, verified, strikes, blocked_until, updated_at) \
             VALUES {rows} \
             ON CONFLICT (prefix) DO UPDATE SET \
               sends = CASE WHEN sms_prefixes.window_start <= $4 THEN 1 ELSE sms_prefixes.sends + 1 END, \
               verified = CASE WHEN sms_prefixes.window_start <= $4 THEN 0 ELSE sms_prefixes.verified END, \
               window_start = CASE WHEN sms_prefixes.window_start <= $4 THEN $3 ELSE sms_prefixes.window_start END, \
               updated_at = $3 \
             WHERE CASE WHEN sms_prefixes.prefix = $6 \
               THEN sms_prefixes.window_start <= $4 OR sms_prefixes.sends < $7 \
               ELSE (sms_prefixes.blocked_until IS NULL OR sms_prefixes.blocked_until <= $3) \
                 AND (sms_prefixes.window_start <= $4 OR sms_prefixes.sends < $5) END \
             RETURNING prefix, sends, verified, strikes, window_start"
        );
        let values = vec![
            prefix.into(),
            country.into(),
            now.into(),
            stale.into(),
            limit(limits.per_prefix).into(),
            DEPLOYMENT.into(),
            limit(limits.in_all).into(),
        ];
        let counted = self.db.query_all_raw(statement(&self.db, &sql, values)).await.map_err(internal)?;
        let mut mine = None;
        let mut all = None;
        for row in &counted {
            let key: String = row.try_get("", "prefix").map_err(internal)?;
            let started: DateTime<Utc> = row.try_get("", "window_start").map_err(internal)?;
            if key == DEPLOYMENT {
                all = Some(started);
            } else {
                mine = Some(PrefixWindow {
                    sends: count(row, "sends")?,
                    verified: count(row, "verified")?,
                    strikes: count(row, "strikes")?,
                    started,
                });
            }
        }
        match (mine, all) {
            (Some(window), Some(_)) => return Ok(PrefixCount::Counted(window)),
            (Some(window), None) if limits.in_all == 0 => return Ok(PrefixCount::Counted(window)),
            _ => {}
        }
        // Refused: take back the row that counted (only a refusal costs
        // these statements), then say why, the prefix's reason first.
        if let Some(started) = all {
            self.take_back(DEPLOYMENT, started).await?;
        }
        if let Some(window) = mine {
            self.take_back(prefix, window.started).await?;
            let started = self.window_start(DEPLOYMENT).await?;
            return Ok(PrefixCount::Paused { until: after(started, limits.window) });
        }
        let sql = "SELECT blocked_until, window_start FROM sms_prefixes WHERE prefix = $1";
        let row = query_one(&self.db, sql, vec![prefix.into()])
            .await?
            .ok_or_else(|| domain::Error::internal("no prefix row"))?;
        let blocked: Option<DateTime<Utc>> = row.try_get("", "blocked_until").map_err(internal)?;
        let started: DateTime<Utc> = row.try_get("", "window_start").map_err(internal)?;
        Ok(match blocked.filter(|u| *u > now) {
            Some(until) => PrefixCount::Blocked { until },
            None => PrefixCount::Throttled { until: after(started, limits.window) },
        })
    }

    async fn pause(&self, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool> {
        let sql = "UPDATE sms_prefixes SET blocked_until = $3, updated_at = $2 \
                   WHERE prefix = $1 AND (blocked_until IS NULL OR blocked_until <= $2)";
        Ok(execute(&self.db, sql, vec![DEPLOYMENT.into(), now.into(), until.into()]).await? == 1)
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
                   AND prefix <> $2 ORDER BY blocked_until DESC, prefix";
        let rows = self
            .db
            .query_all_raw(statement(&self.db, sql, vec![now.into(), DEPLOYMENT.into()]))
            .await
            .map_err(internal)?;
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
