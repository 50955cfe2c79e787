//! The data-lifecycle purge over SQL: one bounded DELETE per call.
//!
//! `WITH picked AS MATERIALIZED (SELECT id … LIMIT $2 [FOR UPDATE SKIP
//! LOCKED]) DELETE … WHERE id IN picked`: the ids are picked once (inlined,
//! PostgreSQL may re-run a `LIMIT` subquery and delete more than the batch);
//! on PostgreSQL the picked rows are locked and other nodes' picks skip
//! them, so concurrent purges neither wait on nor double-count a row. SQLite
//! has one writer at a time. The rule of each kind is its `WHERE` below,
//! matched by an index (migration 000010, and `ix_otp_challenges_expires`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ports::{PurgeStore, Purgeable};
use sea_orm::DbBackend;

use crate::db::{Database, execute};

pub struct SqlPurgeStore {
    db: Database,
}

impl SqlPurgeStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// The table, its key and the rule (`$1` the cutoff) of each kind.
fn rule(what: Purgeable) -> (&'static str, &'static str, &'static str) {
    match what {
        Purgeable::Sessions => ("sessions", "id", "expires_at < $1 OR revoked_at < $1"),
        Purgeable::Challenges => ("otp_challenges", "id", "expires_at < $1"),
        Purgeable::Ceremonies => ("passkey_ceremonies", "id", "expires_at < $1"),
        Purgeable::TrustedDevices => ("trusted_devices", "id", "expires_at < $1"),
        Purgeable::Messages => ("deliveries", "id", "expires_at < $1"),
        Purgeable::Events => ("audit_events", "id", "at < $1"),
        Purgeable::AuthorizeRequests => ("oidc_requests", "id", "expires_at < $1"),
        Purgeable::AuthorizationCodes => ("oidc_codes", "code_hash", "expires_at < $1"),
        Purgeable::SmsPrefixes => {
            ("sms_prefixes", "prefix", "updated_at < $1 AND (blocked_until IS NULL OR blocked_until < $1)")
        }
    }
}

#[async_trait]
impl PurgeStore for SqlPurgeStore {
    async fn purge(&self, what: Purgeable, before: DateTime<Utc>, limit: u32) -> Result<u64> {
        let (table, key, condition) = rule(what);
        let lock = if self.db.get_database_backend() == DbBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "WITH picked AS MATERIALIZED (SELECT {key} FROM {table} WHERE {condition} LIMIT $2 {lock}) \
             DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM picked)"
        );
        execute(&self.db, &sql, vec![before.into(), i64::from(limit).into()]).await
    }
}
