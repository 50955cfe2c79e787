//! `PasskeyRepo` over SQL: users' passkeys and the open ceremonies. The
//! rules that must hold across nodes are single statements: the unique
//! credential id (`ux_passkeys_credential_id`, met by `ON CONFLICT DO
//! NOTHING`), the counter that only advances (the UPDATE's WHERE), and the
//! ceremony taken once (`DELETE ... RETURNING` under its purpose, owner and
//! lifetime). The text is the same for PostgreSQL and SQLite (3.35+) but for
//! placeholders.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::passkey::{Ceremony, CeremonyPurpose, Passkey, PasskeyUse};
use domain::ports::PasskeyRepo;
use domain::user::UserId;
use sea_orm::{ConnectionTrait, QueryResult, Value};
use uuid::Uuid;

use crate::db::{Database, execute, internal, query_one, statement};

#[derive(Clone)]
pub struct SqlPasskeyRepo {
    db: Database,
}

impl SqlPasskeyRepo {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn query_all(&self, sql: &str, values: Vec<Value>) -> Result<Vec<Passkey>> {
        let rows = self.db.query_all_raw(statement(&self.db, sql, values)).await.map_err(internal)?;
        rows.into_iter().map(to_domain).collect()
    }
}

const COLUMNS: &str =
    "id, user_id, credential_id, name, created_at, last_used_at, backup_eligible, backed_up, counter, data";

fn to_domain(row: QueryResult) -> Result<Passkey> {
    let get = |c: &str| row.try_get::<i64>("", c).map_err(internal);
    Ok(Passkey {
        id: row.try_get("", "id").map_err(internal)?,
        user_id: UserId(row.try_get("", "user_id").map_err(internal)?),
        credential_id: row.try_get("", "credential_id").map_err(internal)?,
        name: row.try_get("", "name").map_err(internal)?,
        created_at: row.try_get("", "created_at").map_err(internal)?,
        last_used_at: row.try_get("", "last_used_at").map_err(internal)?,
        backup_eligible: row.try_get("", "backup_eligible").map_err(internal)?,
        backed_up: row.try_get("", "backed_up").map_err(internal)?,
        counter: u32::try_from(get("counter")?).unwrap_or(u32::MAX),
        data: row.try_get("", "data").map_err(internal)?,
    })
}

#[async_trait]
impl PasskeyRepo for SqlPasskeyRepo {
    async fn add(&self, p: &Passkey) -> Result<bool> {
        // Nothing is inserted for an unknown user (the EXISTS) or a taken
        // credential id (ux_passkeys_credential_id).
        let sql = format!(
            "INSERT INTO passkeys ({COLUMNS}) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2) \
             ON CONFLICT (credential_id) DO NOTHING"
        );
        let values = vec![
            p.id.into(),
            p.user_id.0.into(),
            p.credential_id.clone().into(),
            p.name.clone().into(),
            p.created_at.into(),
            p.last_used_at.into(),
            p.backup_eligible.into(),
            p.backed_up.into(),
            i64::from(p.counter).into(),
            p.data.clone().into(),
        ];
        Ok(execute(&self.db, &sql, values).await? == 1)
    }

    async fn list(&self, user: UserId) -> Result<Vec<Passkey>> {
        let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at DESC, id DESC");
        self.query_all(&sql, vec![user.0.into()]).await
    }

    async fn count(&self, user: UserId) -> Result<u32> {
        let row =
            query_one(&self.db, "SELECT COUNT(*) AS n FROM passkeys WHERE user_id = $1", vec![user.0.into()]).await?;
        let n: i64 = row.map(|r| r.try_get("", "n")).transpose().map_err(internal)?.unwrap_or(0);
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn by_credential(&self, credential_id: &[u8]) -> Result<Option<Passkey>> {
        let sql = format!("SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1");
        query_one(&self.db, &sql, vec![credential_id.to_vec().into()]).await?.map(to_domain).transpose()
    }

    async fn rename(&self, user: UserId, id: Uuid, name: &str) -> Result<Option<Passkey>> {
        let sql = format!("UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}");
        let values = vec![id.into(), user.0.into(), name.into()];
        query_one(&self.db, &sql, values).await?.map(to_domain).transpose()
    }

    async fn delete(&self, user: UserId, id: Uuid) -> Result<bool> {
        let sql = "DELETE FROM passkeys WHERE id = $1 AND user_id = $2";
        Ok(execute(&self.db, sql, vec![id.into(), user.0.into()]).await? == 1)
    }

    async fn delete_all(&self, user: UserId) -> Result<u64> {
        execute(&self.db, "DELETE FROM passkeys WHERE user_id = $1", vec![user.0.into()]).await
    }

    async fn record_use(&self, id: Uuid, u: &PasskeyUse) -> Result<bool> {
        // counter::advances, stated in SQL: both zero (no counter kept), or
        // strictly higher. Of two nodes accepting one value, one writes.
        let sql = "UPDATE passkeys SET counter = $2, backup_eligible = $3, backed_up = $4, data = $5, \
                   last_used_at = $6 \
                   WHERE id = $1 AND ((counter = 0 AND $2 = 0) OR counter < $2)";
        let values = vec![
            id.into(),
            i64::from(u.counter).into(),
            u.backup_eligible.into(),
            u.backed_up.into(),
            u.data.clone().into(),
            u.at.into(),
        ];
        Ok(execute(&self.db, sql, values).await? == 1)
    }

    async fn put_ceremony(&self, c: &Ceremony) -> Result<()> {
        let sql = "INSERT INTO passkey_ceremonies (id, purpose, owner, state, expires_at) \
                   VALUES ($1, $2, $3, $4, $5) \
                   ON CONFLICT (id) DO UPDATE SET purpose = excluded.purpose, owner = excluded.owner, \
                     state = excluded.state, expires_at = excluded.expires_at";
        let values =
            vec![c.id.into(), c.purpose.as_str().into(), c.owner.into(), c.state.clone().into(), c.expires_at.into()];
        execute(&self.db, sql, values).await?;
        Ok(())
    }

    async fn take_ceremony(
        &self,
        id: Uuid,
        purpose: CeremonyPurpose,
        owner: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let owned = if owner.is_some() { "owner = $4" } else { "owner IS NULL AND $4 IS NULL" };
        let sql = format!(
            "DELETE FROM passkey_ceremonies WHERE id = $1 AND purpose = $2 AND expires_at > $3 AND {owned} \
             RETURNING state"
        );
        let values = vec![id.into(), purpose.as_str().into(), now.into(), owner.into()];
        let row = query_one(&self.db, &sql, values).await?;
        row.map(|r| r.try_get("", "state").map_err(internal)).transpose()
    }
}
