use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::m20261201_000013_session_ended_notify::CHANNEL;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What a user's notification starts with on [`CHANNEL`], before its id.
pub const USER_PREFIX: &str = "user:";

/// On PostgreSQL, every statement that changes or deletes a user row sends
/// `user:<id>` on the channel that announces a session's end, so every
/// node's listener (`infra/src/revocation_listener.rs`) hears it in the same
/// commit order as the revocations, and the memory of user rows it keeps
/// (`infra/src/pushed_users.rs`) lives under the same proof of being caught
/// up. As with sessions, the trigger's `pg_notify` is delivered only if its
/// transaction commits, and every path that writes a user (the API, an
/// operator's SQL) sends it. Inserting needs none: a node remembers only
/// rows it has read. On SQLite there is one node: nothing to create.
fn up_sql() -> String {
    format!(
        "
CREATE FUNCTION authd_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '{USER_PREFIX}' || OLD.id::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER tr_users_changed AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION authd_user_changed();
"
    )
}

const DOWN: &str = "
DROP TRIGGER tr_users_changed ON users;
DROP FUNCTION authd_user_changed();
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
