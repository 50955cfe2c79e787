//! The rows of prefixed keys (an application's API keys in `app_keys`, a
//! client's secrets in `oidc_client_secrets`): the same columns under the
//! table's own names, stored, listed, and rotated by the same statements.

use chrono::{DateTime, Utc};
use domain::Result;
use domain::app::AppId;
use domain::oidc::ClientId;
use domain::prefixed_key::StoredKey;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use uuid::Uuid;

use crate::db::{Database, execute, internal, statement};

/// Whose keys a table holds: an id that is a UUID column.
pub(crate) trait KeyOwner: Copy {
    fn uuid(self) -> Uuid;
    fn from_uuid(id: Uuid) -> Self;
}

impl KeyOwner for AppId {
    fn uuid(self) -> Uuid {
        self.0
    }
    fn from_uuid(id: Uuid) -> Self {
        AppId(id)
    }
}

impl KeyOwner for ClientId {
    fn uuid(self) -> Uuid {
        self.0
    }
    fn from_uuid(id: Uuid) -> Self {
        ClientId(id)
    }
}

/// A table of keys: its name, its hash and owner columns, and the owners' table.
pub(crate) struct KeyTable {
    pub table: &'static str,
    /// The keyed hash, hex: the primary key.
    pub hash: &'static str,
    pub owner: &'static str,
    /// The owners' table, whose row a rotation writes first.
    pub owners: &'static str,
}

impl KeyTable {
    fn columns(&self) -> String {
        format!("{}, {}, hint, created_at, expires_at", self.hash, self.owner)
    }

    fn row<O: KeyOwner>(&self, row: &QueryResult) -> Result<StoredKey<O>> {
        let hash: String = row.try_get("", self.hash).map_err(internal)?;
        Ok(StoredKey {
            hash: hex::decode(hash).map_err(domain::Error::internal)?,
            owner: O::from_uuid(row.try_get("", self.owner).map_err(internal)?),
            hint: row.try_get("", "hint").map_err(internal)?,
            created_at: row.try_get("", "created_at").map_err(internal)?,
            expires_at: row.try_get("", "expires_at").map_err(internal)?,
        })
    }

    /// Stores `k`, on the pool or inside a caller's transaction.
    pub async fn insert<O: KeyOwner>(&self, conn: &impl ConnectionTrait, k: &StoredKey<O>) -> Result<()> {
        let sql = format!("INSERT INTO {} ({}) VALUES ($1, $2, $3, $4, $5)", self.table, self.columns());
        let values: Vec<Value> = vec![
            hex::encode(&k.hash).into(),
            k.owner.uuid().into(),
            k.hint.clone().into(),
            k.created_at.into(),
            k.expires_at.into(),
        ];
        execute(conn, &sql, values).await?;
        Ok(())
    }

    /// Stores `key` and, in the same transaction, ends every other key of
    /// its owner at `others_until` unless it ends sooner; `false`, and
    /// nothing stored, when the owner no longer exists. Writing the owner's
    /// row first takes its lock (PostgreSQL's row lock; SQLite's write
    /// lock, waited for under the busy timeout, where a read first would be
    /// refused at once if another writer committed meanwhile) and says
    /// whether it exists: concurrent rotations queue on it, so each ends the
    /// keys the previous one left current.
    pub async fn rotate<O: KeyOwner>(
        &self,
        db: &Database,
        key: &StoredKey<O>,
        others_until: DateTime<Utc>,
    ) -> Result<bool> {
        let txn = db.begin().await.map_err(internal)?;
        let lock = format!("UPDATE {} SET id = id WHERE id = $1", self.owners);
        if execute(&txn, &lock, vec![key.owner.uuid().into()]).await? != 1 {
            return Ok(false);
        }
        let end = format!(
            "UPDATE {} SET expires_at = $2 WHERE {} = $1 AND (expires_at IS NULL OR expires_at > $2)",
            self.table, self.owner
        );
        execute(&txn, &end, vec![key.owner.uuid().into(), others_until.into()]).await?;
        self.insert(&txn, key).await?;
        txn.commit().await.map_err(internal)?;
        Ok(true)
    }

    /// The owner's keys, newest first, expired ones included.
    pub async fn of<O: KeyOwner>(&self, db: &Database, owner: O) -> Result<Vec<StoredKey<O>>> {
        let sql = format!(
            "SELECT {} FROM {} WHERE {} = $1 ORDER BY created_at DESC, {} DESC",
            self.columns(),
            self.table,
            self.owner,
            self.hash
        );
        let rows = db.query_all_raw(statement(db, &sql, vec![owner.uuid().into()])).await.map_err(internal)?;
        rows.iter().map(|r| self.row(r)).collect()
    }
}
