use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The channel every node's revocation listener (`infra/src/revocation_listener.rs`) LISTENs on.
pub const CHANNEL: &str = "authd_session_ended";

/// On PostgreSQL, a session that stops being live — revoked (`revoked_at`
/// set) or deleted while unexpired (a user's deletion cascades) — sends its
/// id on [`CHANNEL`] from the statement that ends it. A trigger's
/// `pg_notify` is queued in that statement's transaction and delivered only
/// when it commits, so a notification never announces a revocation that
/// was rolled back, and every path that ends a session (the API, a cascade,
/// an operator's SQL) sends one. On SQLite every token check reads the
/// database: nothing to create there.
fn up_sql() -> String {
    format!(
        "
CREATE FUNCTION authd_session_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', OLD.id::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER tr_sessions_revoked AFTER UPDATE OF revoked_at ON sessions
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION authd_session_ended();
CREATE TRIGGER tr_sessions_deleted AFTER DELETE ON sessions
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND OLD.expires_at > now())
    EXECUTE FUNCTION authd_session_ended();
"
    )
}

const DOWN: &str = "
DROP TRIGGER tr_sessions_deleted ON sessions;
DROP TRIGGER tr_sessions_revoked ON sessions;
DROP FUNCTION authd_session_ended();
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared(&up_sql()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared(DOWN).await?;
        }
        Ok(())
    }
}
