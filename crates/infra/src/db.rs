//! Connecting to PostgreSQL or SQLite, migrating, and turning database errors
//! into domain errors.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbErr, SqlErr};

pub type Database = DatabaseConnection;

/// Opens a pool for `url` (`postgres://…` or `sqlite://…`). SQLite files run in
/// WAL mode with a busy timeout so that concurrent writers queue instead of failing.
pub async fn connect(url: &str, max_connections: u32) -> Result<Database, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // Each connection to an in-memory database is a new empty database.
        opts.max_connections(if in_memory { 1 } else { max_connections.min(8) });
        opts.map_sqlx_sqlite_opts(move |o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            let o = o.foreign_keys(true).busy_timeout(Duration::from_secs(10)).create_if_missing(true);
            if in_memory { o } else { o.journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Normal) }
        });
    } else {
        opts.max_connections(max_connections).min_connections(1);
    }
    sea_orm::Database::connect(opts).await
}

/// Applies every pending migration.
pub async fn migrate(db: &Database) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether the database answers.
pub async fn ping(db: &Database) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Maps a failed write on `users` to the domain: unique-index violations
/// (ux_users_email, ux_users_username) become conflicts, the rest internal.
pub(crate) fn user_write_error(e: DbErr) -> domain::Error {
    if let Some(SqlErr::UniqueConstraintViolation(msg)) = e.sql_err() {
        // PostgreSQL names the index, SQLite the column: both contain the word.
        if msg.contains("username") {
            return domain::Error::UsernameTaken;
        }
        if msg.contains("email") {
            return domain::Error::EmailTaken;
        }
    }
    domain::Error::internal(e)
}

/// Builds a raw statement from PostgreSQL-style `$n` text; SQLite gets `?n`.
/// For the statements clearer as SQL than in builder form.
pub(crate) fn statement(conn: &impl ConnectionTrait, sql: &str, values: Vec<sea_orm::Value>) -> sea_orm::Statement {
    let backend = conn.get_database_backend();
    let sql = if backend == sea_orm::DbBackend::Sqlite { sql.replace('$', "?") } else { sql.to_owned() };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// Runs a raw statement (see [`statement`]); how many rows it changed.
pub(crate) async fn execute(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> domain::Result<u64> {
    Ok(conn.execute_raw(statement(conn, sql, values)).await.map_err(internal)?.rows_affected())
}

/// Runs a raw query (see [`statement`]); its first row, if any.
pub(crate) async fn query_one(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> domain::Result<Option<sea_orm::QueryResult>> {
    conn.query_one_raw(statement(conn, sql, values)).await.map_err(internal)
}

pub(crate) fn internal(e: DbErr) -> domain::Error {
    domain::Error::internal(e)
}
