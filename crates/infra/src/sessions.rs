//! `SessionRepo` over SeaORM. Rotation and revocation are single conditional
//! UPDATEs, so any number of nodes on one database agree on them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::assurance::{Amr, Assurance};
use domain::oidc::{ClientGrant, ClientId};
use domain::ports::SessionRepo;
use domain::session::Session;
use domain::user::UserId;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::db::{Database, execute, internal};
use crate::entity::sessions::{self, Column, Entity};

#[derive(Clone)]
pub struct SqlSessionRepo {
    db: Database,
}

impl SqlSessionRepo {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// When the session expires, if it is `user`'s and live at `now`:
    /// `SELECT expires_at FROM sessions WHERE id AND user_id AND revoked_at
    /// IS NULL AND expires_at > now`, one primary-key read.
    pub async fn live_until(&self, id: Uuid, user: UserId, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        Entity::find()
            .select_only()
            .column(Column::ExpiresAt)
            .filter(Column::Id.eq(id))
            .filter(Column::UserId.eq(user.0))
            .filter(Column::RevokedAt.is_null())
            .filter(Column::ExpiresAt.gt(now))
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(internal)
    }
}

impl From<sessions::Model> for Session {
    fn from(m: sessions::Model) -> Self {
        Session {
            id: m.id,
            user_id: UserId(m.user_id),
            refresh_jti: m.refresh_jti,
            created_at: m.created_at,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
            assurance: assurance(&m),
            client: m.client_id.map(|id| ClientGrant::from_words(ClientId(id), m.scope.as_deref().unwrap_or(""))),
        }
    }
}

/// What a row says of how its user proved who they are.
fn assurance(m: &sessions::Model) -> Assurance {
    Assurance { amr: Amr::from_words(m.amr.split(' ')), auth_time: m.auth_time, second_factor_due: m.second_factor_due }
}

/// `amr` as the `sessions.amr` column keeps it: the words, separated by spaces.
pub(crate) fn amr_column(amr: Amr) -> String {
    amr.words().join(" ")
}

/// Stores `s` only if its user is active at this moment: INSERT ... SELECT
/// FROM users WHERE is_active. On PostgreSQL the user row is also locked
/// (FOR SHARE) until commit, so a concurrent deactivation either commits
/// first (nothing is inserted) or waits for this insert and then revokes the
/// new session with the rest. SQLite runs one writer at a time, which gives
/// the same order. On the pool or inside a caller's transaction.
pub(crate) async fn create_session(conn: &impl ConnectionTrait, s: &Session) -> Result<bool> {
    let lock = if conn.get_database_backend() == DbBackend::Postgres { " FOR SHARE" } else { "" };
    let sql = format!(
        "INSERT INTO sessions (id, user_id, refresh_jti, created_at, expires_at, revoked_at, amr, auth_time, \
         second_factor_due, client_id, scope) SELECT $1, id, $2, $3, $4, NULL, $5, $6, $7, $9, $10 FROM users \
         WHERE id = $8 AND is_active{lock}"
    );
    let (amr, auth_time) = (amr_column(s.assurance.amr), s.assurance.auth_time);
    let values = vec![
        s.id.into(),
        s.refresh_jti.into(),
        s.created_at.into(),
        s.expires_at.into(),
        amr.into(),
        auth_time.into(),
        s.assurance.second_factor_due.into(),
        s.user_id.0.into(),
        s.client.as_ref().map(|c| c.client_id.0).into(),
        s.client.as_ref().map(|c| c.scope_words()).into(),
    ];
    Ok(execute(conn, &sql, values).await? == 1)
}

#[async_trait]
impl SessionRepo for SqlSessionRepo {
    async fn create(&self, s: &Session) -> Result<bool> {
        create_session(&self.db, s).await
    }

    /// `INSERT … SELECT … FROM users u JOIN oidc_clients c WHERE u.is_active
    /// AND EXISTS (the browser session, the user's, unrevoked, unexpired)`;
    /// on PostgreSQL `FOR SHARE OF u, c`, so a deactivation or the client's
    /// deletion waits for this insert and then ends the session with the rest.
    async fn create_from(&self, s: &Session, browser: Uuid, now: DateTime<Utc>) -> Result<bool> {
        let Some(grant) = &s.client else {
            return Err(domain::Error::internal("a client's session without its client"));
        };
        let lock = if self.db.get_database_backend() == DbBackend::Postgres { " FOR SHARE OF u, c" } else { "" };
        let sql = format!(
            "INSERT INTO sessions (id, user_id, refresh_jti, created_at, expires_at, revoked_at, amr, auth_time, \
             second_factor_due, client_id, scope) SELECT $1, u.id, $2, $3, $4, NULL, $5, $6, FALSE, c.id, $7 \
             FROM users u JOIN oidc_clients c ON c.id = $8 WHERE u.id = $9 AND u.is_active AND EXISTS \
             (SELECT 1 FROM sessions b WHERE b.id = $10 AND b.user_id = u.id AND b.revoked_at IS NULL \
             AND b.expires_at > $11){lock}"
        );
        let values = vec![
            s.id.into(),
            s.refresh_jti.into(),
            s.created_at.into(),
            s.expires_at.into(),
            amr_column(s.assurance.amr).into(),
            s.assurance.auth_time.into(),
            grant.scope_words().into(),
            grant.client_id.0.into(),
            s.user_id.0.into(),
            browser.into(),
            now.into(),
        ];
        Ok(execute(&self.db, &sql, values).await? == 1)
    }

    async fn get(&self, id: Uuid) -> Result<Option<Session>> {
        Ok(Entity::find_by_id(id).one(&self.db).await.map_err(internal)?.map(Into::into))
    }

    async fn rotate(
        &self,
        id: Uuid,
        old: Uuid,
        new: Uuid,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<Option<Assurance>> {
        // UPDATE sessions SET refresh_jti = $new ... WHERE id = $id AND
        // refresh_jti = $old AND revoked_at IS NULL AND expires_at > $now
        // RETURNING *: of concurrent callers presenting $old, exactly one
        // matches the row, and reads its assurance in the same statement.
        let rows = Entity::update_many()
            .col_expr(Column::RefreshJti, Expr::value(new))
            .col_expr(Column::ExpiresAt, Expr::value(expires))
            .filter(Column::Id.eq(id))
            .filter(Column::RefreshJti.eq(old))
            .filter(Column::RevokedAt.is_null())
            .filter(Column::ExpiresAt.gt(now))
            .exec_with_returning(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows.first().map(assurance))
    }

    async fn reassure(
        &self,
        id: Uuid,
        user: UserId,
        assurance: Assurance,
        jti: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>> {
        // UPDATE sessions SET amr, auth_time, second_factor_due, refresh_jti
        // WHERE id = $id AND user_id = $user AND revoked_at IS NULL AND
        // expires_at > $now RETURNING *.
        let rows = Entity::update_many()
            .col_expr(Column::Amr, Expr::value(amr_column(assurance.amr)))
            .col_expr(Column::AuthTime, Expr::value(assurance.auth_time))
            .col_expr(Column::SecondFactorDue, Expr::value(assurance.second_factor_due))
            .col_expr(Column::RefreshJti, Expr::value(jti))
            .filter(Column::Id.eq(id))
            .filter(Column::UserId.eq(user.0))
            .filter(Column::RevokedAt.is_null())
            .filter(Column::ExpiresAt.gt(now))
            .exec_with_returning(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().next().map(Into::into))
    }

    async fn is_active(&self, id: Uuid, user: UserId, now: DateTime<Utc>) -> Result<bool> {
        Ok(self.live_until(id, user, now).await?.is_some())
    }

    async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        Entity::update_many()
            .col_expr(Column::RevokedAt, Expr::value(now))
            .filter(Column::Id.eq(id))
            .filter(Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(())
    }

    async fn revoke_owned(&self, id: Uuid, user: UserId, now: DateTime<Utc>) -> Result<bool> {
        // UPDATE sessions SET revoked_at = $now WHERE id = $id AND user_id = $user
        // AND revoked_at IS NULL: ownership and "once" in one statement.
        let done = Entity::update_many()
            .col_expr(Column::RevokedAt, Expr::value(now))
            .filter(Column::Id.eq(id))
            .filter(Column::UserId.eq(user.0))
            .filter(Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected == 1)
    }

    async fn list_live(&self, user: UserId, now: DateTime<Utc>, limit: u32) -> Result<Vec<Session>> {
        // Served by ix_sessions_user (user_id); a user has few sessions.
        let rows = Entity::find()
            .filter(Column::UserId.eq(user.0))
            .filter(Column::RevokedAt.is_null())
            .filter(Column::ExpiresAt.gt(now))
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .limit(u64::from(limit))
            .all(&self.db)
            .await
            .map_err(internal)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn revoke_client(&self, client: ClientId, now: DateTime<Utc>) -> Result<Vec<Uuid>> {
        let sql = "UPDATE sessions SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL RETURNING id";
        let stmt = crate::db::statement(&self.db, sql, vec![now.into(), client.0.into()]);
        let rows = self.db.query_all_raw(stmt).await.map_err(internal)?;
        rows.iter().map(|r| r.try_get::<Uuid>("", "id").map_err(internal)).collect()
    }

    async fn revoke_all(&self, user: UserId, keep: Option<Uuid>, now: DateTime<Utc>) -> Result<u64> {
        let mut update = Entity::update_many()
            .col_expr(Column::RevokedAt, Expr::value(now))
            .filter(Column::UserId.eq(user.0))
            .filter(Column::RevokedAt.is_null());
        if let Some(keep) = keep {
            update = update.filter(Column::Id.ne(keep));
        }
        Ok(update.exec(&self.db).await.map_err(internal)?.rows_affected)
    }
}
