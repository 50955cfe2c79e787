//! `RecoveryCodeRepo` over SQL: spending a code is one conditional UPDATE;
//! replacing a set is one transaction, serialised per user.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ports::RecoveryCodeRepo;
use domain::user::UserId;
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait, Value};

use crate::db::{Database, internal, statement};

#[derive(Clone)]
pub struct SqlRecoveryCodeRepo {
    db: Database,
}

impl SqlRecoveryCodeRepo {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn execute(&self, sql: &str, values: Vec<Value>) -> Result<u64> {
        Ok(self.db.execute_raw(statement(&self.db, sql, values)).await.map_err(internal)?.rows_affected())
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
            let lock = statement(&self.db, "SELECT id FROM users WHERE id = $1 FOR UPDATE", vec![user.0.into()]);
            txn.query_one_raw(lock).await.map_err(internal)?;
        }
        let delete = statement(&self.db, "DELETE FROM recovery_codes WHERE user_id = $1", vec![user.0.into()]);
        txn.execute_raw(delete).await.map_err(internal)?;
        // fk_recovery_codes_user refuses an unknown user.
        for hash in hashes {
            let insert = statement(
                &self.db,
                "INSERT INTO recovery_codes (user_id, code_hash, created_at, used_at) VALUES ($1, $2, $3, NULL)",
                vec![user.0.into(), hash.clone().into(), now.into()],
            );
            txn.execute_raw(insert).await.map_err(internal)?;
        }
        txn.commit().await.map_err(internal)
    }

    async fn consume(&self, user: UserId, hash: &[u8], now: DateTime<Utc>) -> Result<bool> {
        let sql = "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";
        Ok(self.execute(sql, vec![user.0.into(), hash.to_vec().into(), now.into()]).await? == 1)
    }

    async fn remaining(&self, user: UserId) -> Result<u32> {
        let sql = "SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL";
        let row = self.db.query_one_raw(statement(&self.db, sql, vec![user.0.into()])).await.map_err(internal)?;
        let n: i64 = row.map(|r| r.try_get("", "n")).transpose().map_err(internal)?.unwrap_or(0);
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn delete_all(&self, user: UserId) -> Result<u64> {
        self.execute("DELETE FROM recovery_codes WHERE user_id = $1", vec![user.0.into()]).await
    }
}
