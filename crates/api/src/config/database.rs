//! The database: where it is, how long a request waits for it, what is
//! purged, and how revocations reach every node.

use serde::Deserialize;

use super::section::{section, words};

/// `AUTHD_SQLITE_SYNCHRONOUS`: when SQLite makes a commit durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    /// Every commit is on disk before it is answered (the WAL is synced at
    /// each commit): a power cut loses nothing acknowledged.
    Full,
    /// The WAL is synced only at checkpoints: a process crash loses
    /// nothing, a power cut may lose the last commits.
    Normal,
}

words!(SqliteSynchronous);

section! {
    /// Settings of the database and of the work done in it.
    pub struct Database {
        /// `DATABASE_URL`: `postgres://…` or `sqlite://…`; default: SQLite in the data dir.
        pub database_url: Option<String> = None,
        /// `AUTHD_DB_MAX_CONNECTIONS`: database pool size.
        pub db_max_connections: u32 = 16,
        /// `AUTHD_DB_CONNECT_TIMEOUT`, seconds: how long authd waits at start
        /// for a PostgreSQL server that is not reachable yet before giving up.
        pub db_connect_timeout: u64 = 30,
        /// `AUTHD_DB_ACQUIRE_TIMEOUT_MS`: how long a request waits for a
        /// database connection before it is answered 503.
        pub db_acquire_timeout_ms: u64 = 3000,
        /// `AUTHD_DB_STATEMENT_TIMEOUT_MS`: how long one statement may run or
        /// wait for a lock before the request is answered 503; 0: no bound.
        pub db_statement_timeout_ms: u64 = 5000,
        /// `AUTHD_SQLITE_SYNCHRONOUS`: `full` (default: a commit is on disk
        /// before it is answered) or `normal` (synced at checkpoints: a power
        /// cut may lose the last commits). PostgreSQL ignores it.
        pub sqlite_synchronous: SqliteSynchronous = SqliteSynchronous::Full,
        /// `AUTHD_AUTO_MIGRATE`: apply pending migrations when serving.
        pub auto_migrate: bool = true,
        /// `AUTHD_PURGE_INTERVAL_MS`: how often each node purges finished data.
        pub purge_interval_ms: u64 = 10 * 60 * 1000,
        /// `AUTHD_EVENT_RETENTION_DAYS`: security events older than this are
        /// purged; 0 keeps them forever.
        pub event_retention_days: u64 = 365,
        /// `AUTHD_REVOCATION_PUSH`: on PostgreSQL, keep what this node knows of
        /// sessions in memory and hear every revocation as it commits (LISTEN/
        /// NOTIFY), so token checks skip the database (default `true`). `false`
        /// checks the database on every request, as SQLite always does (for a
        /// pooler in transaction mode, which cannot LISTEN).
        pub revocation_push: bool = true,
        /// `AUTHD_REVOCATION_PING_MS`: how often the listener proves it is
        /// caught up (default 250). The memory is trusted for three times this
        /// after each proof: a listener gone silent falls back to the database
        /// within that.
        pub revocation_ping_ms: u64 = 250,
        /// `AUTHD_REVOCATION_RETRY_MS`: the first wait before the listener
        /// reconnects (default 250, doubling to 5 s); it checks the database meanwhile.
        pub revocation_retry_ms: u64 = 250,
        /// `AUTHD_MEMORY_SESSIONS`: with revocation push, how many sessions
        /// (a 24-byte entry each) a node remembers; when full, the least
        /// recently used half is forgotten, so half of it in active use is
        /// always kept (default 600 000: 300k active sessions).
        pub memory_sessions: usize = 600_000,
        /// `AUTHD_MEMORY_USERS`: with revocation push, how many user rows
        /// (packed, no password hash) a node remembers,
        /// forgotten the same way (default 600 000: 300k active users).
        pub memory_users: usize = 600_000,
        /// `AUTHD_SESSION_CACHE_MS` was the TTL cache that revocation push
        /// replaced: refused with a pointer to its successor.
        pub session_cache_ms: Option<u64> = None,
    }
}

impl Database {
    pub(super) fn problems(&self, problems: &mut Vec<String>) {
        if self.db_acquire_timeout_ms == 0 {
            problems.push("AUTHD_DB_ACQUIRE_TIMEOUT_MS must be at least 1".into());
        }
        if self.purge_interval_ms == 0 {
            problems.push("AUTHD_PURGE_INTERVAL_MS must be at least 1".into());
        }
        if self.event_retention_days > 100 * 365 {
            problems.push("AUTHD_EVENT_RETENTION_DAYS must be at most 36500 (0 keeps events forever)".into());
        }
        if self.session_cache_ms.is_some() {
            problems.push(
                "AUTHD_SESSION_CACHE_MS is gone: revocations are pushed to every node now (AUTHD_REVOCATION_PUSH, on by default); unset it".into(),
            );
        }
        if !(10..=60_000).contains(&self.revocation_ping_ms) || !(1..=60_000).contains(&self.revocation_retry_ms) {
            problems.push(
                "AUTHD_REVOCATION_PING_MS must be between 10 and 60000, AUTHD_REVOCATION_RETRY_MS between 1 and 60000"
                    .into(),
            );
        }
    }
}
