//! `ThrottleStore` over SQL. Each operation is one statement (an upsert or a
//! conditional update), so concurrent requests on any number of nodes count
//! together. Written as SQL because an upsert with RETURNING and CASE is
//! clearer than its builder form; it is the same text for PostgreSQL and
//! SQLite (3.35+) but for placeholders.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ports::ThrottleStore;
use domain::throttle::Window;
use sea_orm::Value;

use crate::db::{Database, execute, internal, query_one};

#[derive(Clone)]
pub struct SqlThrottleStore {
    db: Database,
}

impl SqlThrottleStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Runs an upsert with RETURNING, which always yields its row.
    async fn upsert(&self, sql: &str, values: Vec<Value>) -> Result<sea_orm::QueryResult> {
        query_one(&self.db, sql, values).await?.ok_or_else(|| domain::Error::internal("upsert returned no row"))
    }
}

/// Forgets `key`'s failures and lock, on the pool or inside a caller's transaction.
pub(crate) async fn clear_key(conn: &impl sea_orm::ConnectionTrait, key: &str) -> Result<()> {
    execute(conn, "DELETE FROM throttles WHERE key = $1", vec![key.into()]).await?;
    Ok(())
}

#[async_trait]
impl ThrottleStore for SqlThrottleStore {
    async fn locked_until(&self, key: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let sql = "SELECT locked_until FROM throttles WHERE key = $1 AND locked_until > $2";
        let row = query_one(&self.db, sql, vec![key.into(), now.into()]).await?;
        row.map(|r| r.try_get::<DateTime<Utc>>("", "locked_until")).transpose().map_err(internal)
    }

    async fn add_failure(&self, key: &str, now: DateTime<Utc>) -> Result<u32> {
        let row = self
            .upsert(
                "INSERT INTO throttles (key, failures, locked_until, hits, window_start, updated_at) VALUES ($1, 1, NULL, 0, $2, $2) \
                 ON CONFLICT (key) DO UPDATE SET failures = throttles.failures + 1, updated_at = $2 \
                 RETURNING failures",
                vec![key.into(), now.into()],
            )
            .await?;
        let failures: i32 = row.try_get("", "failures").map_err(internal)?;
        Ok(u32::try_from(failures).unwrap_or(0))
    }

    async fn lock(&self, key: &str, until: DateTime<Utc>) -> Result<()> {
        let sql =
            "UPDATE throttles SET locked_until = $2 WHERE key = $1 AND (locked_until IS NULL OR locked_until < $2)";
        execute(&self.db, sql, vec![key.into(), until.into()]).await?;
        Ok(())
    }

    async fn clear(&self, key: &str) -> Result<()> {
        clear_key(&self.db, key).await
    }

    async fn hit(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<Window> {
        // A window that began at or before now - window is over: restart it.
        let stale = now - domain::clock::span(window);
        let row = self
            .upsert(
                "INSERT INTO throttles (key, failures, locked_until, hits, window_start, updated_at) VALUES ($1, 0, NULL, 1, $2, $2) \
                 ON CONFLICT (key) DO UPDATE SET \
                   hits = CASE WHEN throttles.window_start <= $3 THEN 1 ELSE throttles.hits + 1 END, \
                   window_start = CASE WHEN throttles.window_start <= $3 THEN $2 ELSE throttles.window_start END, \
                   updated_at = $2 \
                 RETURNING hits, window_start",
                vec![key.into(), now.into(), stale.into()],
            )
            .await?;
        let hits: i32 = row.try_get("", "hits").map_err(internal)?;
        let started: DateTime<Utc> = row.try_get("", "window_start").map_err(internal)?;
        Ok(Window { hits: u32::try_from(hits).unwrap_or(0), started })
    }

    async fn unhit(&self, key: &str, started: DateTime<Utc>, limit: u32) -> Result<()> {
        let sql = "UPDATE throttles SET hits = CASE WHEN hits > $3 THEN $3 - 1 ELSE hits - 1 END \
                   WHERE key = $1 AND window_start = $2 AND hits > 0";
        execute(&self.db, sql, vec![key.into(), started.into(), i64::from(limit).into()]).await.map(|_| ())
    }

    async fn purge(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64> {
        let sql = "DELETE FROM throttles WHERE updated_at < $1 AND (locked_until IS NULL OR locked_until < $2)";
        execute(&self.db, sql, vec![before.into(), now.into()]).await
    }
}
