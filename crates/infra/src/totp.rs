//! `TotpRepo` over SQL. Written as SQL because an upsert whose update is
//! conditional reads better than its builder form; the text is the same for
//! PostgreSQL and SQLite (3.35+) but for placeholders.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ports::TotpRepo;
use domain::totp::TotpCredential;
use domain::user::UserId;
use sea_orm::{QueryResult, Value};

use crate::db::{Database, execute, internal, query_one};

#[derive(Clone)]
pub struct SqlTotpRepo {
    db: Database,
}

impl SqlTotpRepo {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Steps are seconds / 30 since 1970: far inside an i64.
fn step_value(step: u64) -> Value {
    i64::try_from(step).unwrap_or(i64::MAX).into()
}

fn to_domain(row: QueryResult) -> Result<TotpCredential> {
    let last_step: Option<i64> = row.try_get("", "last_step").map_err(internal)?;
    Ok(TotpCredential {
        user_id: UserId(row.try_get("", "user_id").map_err(internal)?),
        sealed_secret: row.try_get("", "sealed_secret").map_err(internal)?,
        created_at: row.try_get("", "created_at").map_err(internal)?,
        confirmed_at: row.try_get("", "confirmed_at").map_err(internal)?,
        last_step: last_step.map(|s| u64::try_from(s).unwrap_or(0)),
    })
}

#[async_trait]
impl TotpRepo for SqlTotpRepo {
    async fn get(&self, user: UserId) -> Result<Option<TotpCredential>> {
        let sql = "SELECT user_id, sealed_secret, created_at, confirmed_at, last_step \
                   FROM totp_credentials WHERE user_id = $1";
        query_one(&self.db, sql, vec![user.0.into()]).await?.map(to_domain).transpose()
    }

    async fn put_pending(&self, c: &TotpCredential) -> Result<bool> {
        // The DO UPDATE's WHERE leaves an active enrolment untouched (0 rows);
        // fk_totp_credentials_user refuses an unknown user.
        let sql = "INSERT INTO totp_credentials (user_id, sealed_secret, created_at, confirmed_at, last_step) \
                   VALUES ($1, $2, $3, NULL, NULL) \
                   ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, \
                     created_at = excluded.created_at, last_step = NULL \
                   WHERE totp_credentials.confirmed_at IS NULL";
        let values = vec![c.user_id.0.into(), c.sealed_secret.clone().into(), c.created_at.into()];
        Ok(execute(&self.db, sql, values).await? == 1)
    }

    async fn confirm(&self, user: UserId, sealed_secret: &[u8], step: u64, now: DateTime<Utc>) -> Result<bool> {
        // Only the enrolment whose code was checked: an enrol on another node
        // in between replaced the secret, and this UPDATE then matches nothing.
        let sql = "UPDATE totp_credentials SET confirmed_at = $2, last_step = $3 \
                   WHERE user_id = $1 AND confirmed_at IS NULL AND sealed_secret = $4";
        let values = vec![user.0.into(), now.into(), step_value(step), sealed_secret.to_vec().into()];
        Ok(execute(&self.db, sql, values).await? == 1)
    }

    async fn accept_step(&self, user: UserId, step: u64) -> Result<bool> {
        // Only forward: of concurrent callers with one step, the first
        // UPDATE moves last_step to it and every other then finds it equal.
        let sql = "UPDATE totp_credentials SET last_step = $2 \
                   WHERE user_id = $1 AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < $2)";
        Ok(execute(&self.db, sql, vec![user.0.into(), step_value(step)]).await? == 1)
    }

    async fn delete(&self, user: UserId) -> Result<bool> {
        Ok(execute(&self.db, "DELETE FROM totp_credentials WHERE user_id = $1", vec![user.0.into()]).await? == 1)
    }
}
