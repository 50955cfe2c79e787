//! `TrustedDeviceRepo` over SQL. A device is stored only while the session
//! that trusted it is live (one `INSERT … SELECT FROM sessions`), found by
//! its token's keyed hash (`ux_trusted_devices_token_hash`), and its use is
//! the one statement `UPDATE … WHERE token_hash AND user_id AND expires_at > now
//! RETURNING`, so only the user's own live device answers. The text is the
//! same for PostgreSQL and SQLite (3.35+) but for placeholders.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ports::TrustedDeviceRepo;
use domain::trusted_device::TrustedDevice;
use domain::user::UserId;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use uuid::Uuid;

use crate::db::{Database, execute, internal, statement};

#[derive(Clone)]
pub struct SqlTrustedDeviceRepo {
    db: Database,
}

impl SqlTrustedDeviceRepo {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

const COLUMNS: &str = "id, user_id, label, created_at, last_used_at, expires_at";

fn to_domain(row: QueryResult) -> Result<TrustedDevice> {
    Ok(TrustedDevice {
        id: row.try_get("", "id").map_err(internal)?,
        user_id: UserId(row.try_get("", "user_id").map_err(internal)?),
        label: row.try_get("", "label").map_err(internal)?,
        created_at: row.try_get("", "created_at").map_err(internal)?,
        last_used_at: row.try_get("", "last_used_at").map_err(internal)?,
        expires_at: row.try_get("", "expires_at").map_err(internal)?,
    })
}

#[async_trait]
impl TrustedDeviceRepo for SqlTrustedDeviceRepo {
    async fn add(&self, d: &TrustedDevice, token_hash: &[u8], session: Uuid) -> Result<bool> {
        // INSERT … SELECT FROM sessions WHERE the trusting session is the
        // user's and unrevoked. On PostgreSQL its row is also locked (FOR
        // SHARE) until commit, so a concurrent "log out everywhere" either
        // revokes it first (nothing is inserted) or waits for this insert,
        // whose device its DELETE then sees. SQLite runs one writer at a time.
        let lock = if self.db.get_database_backend() == DbBackend::Postgres { " FOR SHARE" } else { "" };
        let sql = format!(
            "INSERT INTO trusted_devices ({COLUMNS}, token_hash) \
             SELECT $1, user_id, $2, $3, $4, $5, $6 FROM sessions \
             WHERE id = $7 AND user_id = $8 AND revoked_at IS NULL{lock}"
        );
        let values = vec![
            d.id.into(),
            d.label.clone().into(),
            d.created_at.into(),
            d.last_used_at.into(),
            d.expires_at.into(),
            token_hash.to_vec().into(),
            session.into(),
            d.user_id.0.into(),
        ];
        Ok(execute(&self.db, &sql, values).await? == 1)
    }

    async fn use_token(&self, user: UserId, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<TrustedDevice>> {
        let sql = format!(
            "UPDATE trusted_devices SET last_used_at = $1 \
             WHERE token_hash = $2 AND user_id = $3 AND expires_at > $1 RETURNING {COLUMNS}"
        );
        let values = vec![now.into(), token_hash.to_vec().into(), user.0.into()];
        let row = self.db.query_one_raw(statement(&self.db, &sql, values)).await.map_err(internal)?;
        row.map(to_domain).transpose()
    }

    async fn list(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<TrustedDevice>> {
        // Served by ix_trusted_devices_user; a user has few devices.
        let sql = format!(
            "SELECT {COLUMNS} FROM trusted_devices WHERE user_id = $1 AND expires_at > $2 \
             ORDER BY created_at DESC, id DESC"
        );
        let rows = self.db.query_all_raw(statement(&self.db, &sql, vec![user.0.into(), now.into()])).await;
        rows.map_err(internal)?.into_iter().map(to_domain).collect()
    }

    async fn delete_owned(&self, user: UserId, id: Uuid) -> Result<bool> {
        let sql = "DELETE FROM trusted_devices WHERE id = $1 AND user_id = $2";
        Ok(execute(&self.db, sql, vec![id.into(), user.0.into()]).await? == 1)
    }

    async fn delete_all(&self, user: UserId) -> Result<u64> {
        execute(&self.db, "DELETE FROM trusted_devices WHERE user_id = $1", vec![user.0.into()]).await
    }
}
