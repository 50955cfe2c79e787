//! `RecoveryCodeRepo` over SQL: spending a code is one conditional UPDATE;
//! replacing a set is one transaction, serialised per user.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ports::RecoveryCodeRepo;
use domain::user::UserId;
use sea_orm::{ConnectionTrait, DbBackend, Value};

use crate::db::{Database, execute, internal, query_one};

#[derive(Clone)]
pub struct SqlRecoveryCodeRepo {
    db: Database,
}

impl SqlRecoveryCodeRepo {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl RecoveryCodeRepo for SqlRecoveryCodeRepo {
    async fn replace_set(&self, user: UserId, hashes: &[Vec<u8>], now: DateTime<Utc>) -> Result<()> {
        let txn = self.db.begin().await.map_err(internal)?;
        if txn.get_database_backend() == DbBackend::Postgres {
            // Under READ COMMITTED two replacements would each delete the
            // old set and both insert theirs; the user's row lock queues
            // them. SQLite runs one writer at a time.
            query_one(&txn, "SELECT id FROM users WHERE id = $1 FOR UPDATE", vec![user.0.into()]).await?;
        }
        execute(&txn, "DELETE FROM recovery_codes WHERE user_id = $1", vec![user.0.into()]).await?;
        if !hashes.is_empty() {
            // One INSERT for the whole set: ($1, $4, $2, NULL), ($1, $5, $2, NULL), …
            // fk_recovery_codes_user refuses an unknown user.
            let rows: Vec<String> = (0..hashes.len()).map(|i| format!("($1, ${}, $2, NULL)", i + 3)).collect();
            let sql = format!(
                "INSERT INTO recovery_codes (user_id, code_hash, created_at, used_at) VALUES {}",
                rows.join(", ")
            );
            let mut values: Vec<Value> = vec![user.0.into(), now.into()];
            values.extend(hashes.iter().map(|h| h.clone().into()));
            execute(&txn, &sql, values).await?;
        }
        txn.commit().await.map_err(internal)
    }

    async fn consume(&self, user: UserId, hash: &[u8], now: DateTime<Utc>) -> Result<bool> {
        let sql = "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";
        Ok(execute(&self.db, sql, vec![user.0.into(), hash.to_vec().into(), now.into()]).await? == 1)
    }

    async fn remaining(&self, user: UserId) -> Result<u32> {
        let sql = "SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL";
        let row = query_one(&self.db, sql, vec![user.0.into()]).await?;
        let n: i64 = row.map(|r| r.try_get("", "n")).transpose().map_err(internal)?.unwrap_or(0);
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn delete_all(&self, user: UserId) -> Result<u64> {
        execute(&self.db, "DELETE FROM recovery_codes WHERE user_id = $1", vec![user.0.into()]).await
    }
}
