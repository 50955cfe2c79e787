//! Connecting to PostgreSQL or SQLite, migrating, and turning database errors
//! into domain errors.

mod deadline;

use std::time::Duration;

pub use deadline::{Database, Deadline, Transaction};
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteError;
use sea_orm::{ConnectOptions, ConnectionTrait, DbBackend, DbErr, SqlErr};

/// How long a request waits for a pooled connection before it is answered
/// 503 `database_unavailable` (`AUTHD_DB_ACQUIRE_TIMEOUT_MS`).
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A pooled connection idle at least this long is pinged before it is
/// handed out; one used more recently is not. sqlx pings every connection
/// when it is returned and drops one that does not answer, so a recent one
/// answered a moment ago, and pinging it again was a third round trip per
/// statement (HikariCP's `aliveBypassWindowMs` makes the same trade, at the
/// same 500 ms). A connection that died within the window fails one
/// statement, answered 503 like any statement cut by the outage, and is
/// dropped when returned.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_millis(500);

/// Opens a pool for `url` (`postgres://…` or `sqlite://…`) with the default
/// acquire timeout, no statement timeout (so no [`Deadline`]) and SQLite
/// commits synced: for the CLI, migrations and tests.
pub async fn connect(url: &str, max_connections: u32) -> Result<Database, DbErr> {
    let waits = Waits { acquire: DEFAULT_ACQUIRE_TIMEOUT, statement: None };
    connect_with(url, max_connections, waits, SqliteSync::Full).await
}

/// When a SQLite file in WAL mode makes a commit durable
/// (`AUTHD_SQLITE_SYNCHRONOUS`; SQLite's `PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteSync {
    /// The WAL is synced at every commit, before the commit returns: a
    /// power cut loses no acknowledged write.
    Full,
    /// The WAL is synced only at checkpoints: a process crash loses
    /// nothing, a power cut may lose the last commits (never corrupts).
    Normal,
}

/// How long a request may wait on the database before it is answered 503.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    /// For a pooled connection (`AUTHD_DB_ACQUIRE_TIMEOUT_MS`).
    pub acquire: Duration,
    /// For one statement, lock waits included (`AUTHD_DB_STATEMENT_TIMEOUT_MS`):
    /// PostgreSQL's `statement_timeout` on every connection, SQLite's busy
    /// timeout. None: PostgreSQL waits without end, SQLite 10 s.
    pub statement: Option<Duration>,
}

/// [`connect`] with `waits`: with the database down, locked, overloaded,
/// stopped or out of reach, a request fails after a bounded time instead of
/// hanging — the database's own timeouts, and authd's [`Deadline`] on every
/// call for the answers that cannot come. SQLite files run in WAL mode with
/// a busy timeout so that concurrent writers queue instead of failing.
pub async fn connect_with(
    url: &str,
    max_connections: u32,
    waits: Waits,
    sqlite_sync: SqliteSync,
) -> Result<Database, DbErr> {
    let deadline = Deadline::new(waits.acquire, waits.statement);
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .acquire_timeout(waits.acquire)
        .connect_timeout(waits.acquire)
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR);
    if url.starts_with("sqlite:") {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // Each connection to an in-memory database is a new empty database.
        opts.max_connections(if in_memory { 1 } else { max_connections.min(8) });
        let busy = waits.statement.unwrap_or(Duration::from_secs(10));
        opts.map_sqlx_sqlite_opts(move |o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            let o = o.foreign_keys(true).busy_timeout(busy).create_if_missing(true);
            let synchronous = match sqlite_sync {
                SqliteSync::Full => SqliteSynchronous::Full,
                SqliteSync::Normal => SqliteSynchronous::Normal,
            };
            if in_memory { o } else { o.journal_mode(SqliteJournalMode::Wal).synchronous(synchronous) }
        });
    } else {
        opts.max_connections(max_connections).min_connections(1);
        if let Some(limit) = waits.statement {
            let ms = limit.as_millis().to_string();
            opts.map_sqlx_postgres_opts(move |o| o.options([("statement_timeout", ms.as_str())]));
        }
        let releases = deadline.clone();
        opts.map_sqlx_postgres_pool_opts(move |o| {
            let releases = releases.clone();
            o.after_release(move |conn, _| {
                let releases = releases.clone();
                Box::pin(async move { releases.check_released(conn).await })
            })
        });
    }
    Ok(Database::new(sea_orm::Database::connect(opts).await?, deadline))
}

/// Waits until the PostgreSQL server behind `url` accepts a connection:
/// one that is still starting, or not yet resolvable or listening (a
/// container started beside authd), is tried again with backoff (0.25 s,
/// doubling to 4 s) until `patience` has passed, and each wait is logged.
/// What waiting cannot fix — a malformed URL, a refused password, a missing
/// database — is returned at once. SQLite needs no waiting.
pub async fn wait_until_reachable(url: &str, patience: Duration) -> Result<(), DbErr> {
    use sea_orm::sqlx::{Connection, postgres::PgConnection};
    if !url.starts_with("postgres") {
        return Ok(());
    }
    let deadline = tokio::time::Instant::now() + patience;
    let mut backoff = Duration::from_millis(250);
    for attempt in 1u32.. {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let error = match tokio::time::timeout(
            left.clamp(Duration::from_secs(1), Duration::from_secs(5)),
            PgConnection::connect(url),
        )
        .await
        {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
                return Ok(());
            }
            Ok(Err(e)) if !out_of_reach(&e) => return Err(DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into()))),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "no answer to the connection attempt".to_owned(),
        };
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Err(DbErr::Conn(sea_orm::RuntimeErr::Internal(format!(
                "the database was not reachable within {} s ({attempt} attempts): {error}",
                patience.as_secs()
            ))));
        }
        let wait = backoff.min(left);
        tracing::warn!(attempt, retry_in_ms = wait.as_millis() as u64, %error, "the database is not reachable yet; waiting");
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(Duration::from_secs(4));
    }
    unreachable!("the attempts above are unbounded")
}

/// Applies every pending migration, with no deadline.
pub async fn migrate(db: &Database) -> Result<(), DbErr> {
    Migrator::up(db.pool(), None).await
}

/// Applies pending migrations before serving from `pool`. A migration may
/// take longer than any request: on PostgreSQL it runs on a connection of its
/// own, without the pool's statement timeout. SQLite's timeout bounds only
/// lock waits, so the pool itself migrates (an in-memory database exists
/// only there).
pub async fn migrate_before_serving(url: &str, pool: &Database) -> Result<(), DbErr> {
    if pool.get_database_backend() != sea_orm::DbBackend::Postgres {
        return migrate(pool).await;
    }
    let own = connect(url, 1).await?;
    let migrated = migrate(&own).await;
    own.close().await?;
    migrated
}

/// Whether the database answers within `within`.
pub async fn ping(db: &Database, within: Duration) -> bool {
    matches!(tokio::time::timeout(within, db.execute_unprepared("SELECT 1")).await, Ok(Ok(_)))
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
    internal(e)
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

/// A database error for the domain: [`Unavailable`](domain::Error::Unavailable)
/// when the database cannot be reached or no connection came free in time
/// (see [`is_unavailable`]), otherwise internal.
pub(crate) fn internal(e: DbErr) -> domain::Error {
    if is_unavailable(&e) { domain::Error::Unavailable(Box::new(e)) } else { domain::Error::internal(e) }
}

/// Whether `e` says the database is out of reach rather than that a
/// statement failed: no connection within the pool's acquire timeout, or
/// [`out_of_reach`].
pub fn is_unavailable(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    match e {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(x))
        | DbErr::Exec(RuntimeErr::SqlxError(x))
        | DbErr::Query(RuntimeErr::SqlxError(x)) => out_of_reach(x),
        _ => false,
    }
}

/// The one list of failures that waiting may cure, for the start-up wait
/// ([`wait_until_reachable`]) and for requests (503, [`is_unavailable`]):
/// an I/O error (refused, not resolvable yet, cut), a closed or crashed
/// pool, PostgreSQL's connection exceptions (SQLSTATE class 08), shutting
/// down or starting up (57P01–57P03), "too many connections" (53300), a
/// statement cancelled by `statement_timeout` (57014), a write that reached
/// a read-only server (25006: a standby, or a primary being demoted, while a
/// proxy or a DNS name has not yet moved to the new primary), and SQLite
/// still busy or locked after its busy timeout (result codes 5 and 6, with
/// their extended forms). Credentials and URLs do not fix themselves.
///
/// One protocol error is a closed connection too: sqlx asks for TLS first
/// (`sslmode=prefer`, the default) and reads a one-byte answer, and a
/// connection closed before it (a proxy with no server behind it, as HAProxy
/// during a failover) reads as the answer 0x00, never one PostgreSQL gives.
fn out_of_reach(e: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match e {
        Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed => true,
        Error::Protocol(p) => p.starts_with(CLOSED_BEFORE_TLS_ANSWER),
        Error::Database(db) => db.code().is_some_and(|c| match db.try_downcast_ref::<SqliteError>() {
            // SQLite's extended result codes keep the primary one in the low byte.
            Some(_) => c.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6)),
            None => {
                c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03" | "57014" | "53300" | "25006")
            }
        }),
        _ => false,
    }
}

/// How sqlx reports a connection closed before the server answered its
/// request for TLS (`sqlx_postgres::connection::tls`; infra's
/// `pool::a_connection_closed_before_postgresql_answered_is_the_database_out_of_reach`
/// fails if its words change).
const CLOSED_BEFORE_TLS_ANSWER: &str = "unexpected response from SSLRequest: 0x00";

/// Connections the pool holds now and how many of them are idle, for `/metrics`.
pub fn pool_load(db: &Database) -> (u32, usize) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.pool().get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.pool().get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sqlx::Error;

    use super::*;

    #[test]
    fn of_protocol_errors_only_a_connection_closed_before_the_tls_answer_is_out_of_reach() {
        let closed = Error::Protocol(format!("{CLOSED_BEFORE_TLS_ANSWER} (sqlx_postgres::connection::tls:95)"));
        assert!(out_of_reach(&closed));
        // What waiting does not cure stays an internal error.
        for other in ["unexpected response from SSLRequest: 0x45", "unsupported authentication method: Kerberos"] {
            assert!(!out_of_reach(&Error::Protocol(other.into())), "{other}");
        }
        assert!(!out_of_reach(&Error::RowNotFound));
    }

    /// A server's error with SQLSTATE `code`, as PostgreSQL's reach sqlx.
    #[derive(Debug)]
    struct ServerSaid(&'static str);

    impl std::fmt::Display for ServerSaid {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl std::error::Error for ServerSaid {}

    impl sea_orm::sqlx::error::DatabaseError for ServerSaid {
        fn message(&self) -> &str {
            self.0
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sea_orm::sqlx::error::ErrorKind {
            sea_orm::sqlx::error::ErrorKind::Other
        }
    }

    #[test]
    fn postgresql_errors_that_waiting_cures_are_out_of_reach_and_others_are_not() {
        let said = |code| Error::Database(Box::new(ServerSaid(code)));
        // Connection exceptions, shutdown and start-up, a cancelled statement,
        // too many connections, a write on a read-only standby.
        for code in ["08006", "08001", "57P01", "57P02", "57P03", "57014", "53300", "25006"] {
            assert!(out_of_reach(&said(code)), "{code}");
        }
        // A unique violation, a missing table, a refused password: waiting cures none.
        for code in ["23505", "42P01", "28P01"] {
            assert!(!out_of_reach(&said(code)), "{code}");
        }
    }
}
