//! The pool authd serves from, with a deadline on authd's side on every
//! call. PostgreSQL's `statement_timeout` ends a statement the server is
//! running; it cannot end a wait for a server that is stopped, or behind a
//! network that drops every packet, or a connection a failed-over proxy
//! never answers on. So each call — taking a pooled connection, the
//! statement, its result — must end within [`Deadline`]: past it the call
//! fails as unavailable (503 `database_unavailable` with `Retry-After`).
//!
//! A call given up on leaves its connection mid-conversation. sqlx pings a
//! released connection before pooling it again, with no time limit, so a
//! connection to a frozen server would keep its place in the pool until the
//! kernel gave up on it (about 15 minutes for a black-holed route). For a
//! while after any missed deadline, every released connection is pinged
//! with a limit of its own first ([`RELEASE_PING_WITHIN`]), and one that does
//! not answer is dropped, freeing its place.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::sqlx::{self, Connection};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    Statement, TransactionTrait,
};

/// Time beyond the two timeouts for the answer to travel back: PostgreSQL
/// cancels a statement at `statement_timeout` and says so, which ends the
/// transaction cleanly; authd's own deadline comes this much later, for the
/// answers that cannot come at all.
pub const GRACE: Duration = Duration::from_millis(500);

/// How long a connection released after a missed deadline has to answer a
/// ping before it is dropped. A healthy server answers in well under a
/// millisecond.
pub const RELEASE_PING_WITHIN: Duration = Duration::from_secs(1);

/// How long after a missed deadline released connections are pinged with a
/// limit. Every connection given up on is released at once (its call's
/// future is dropped right after the miss is noted), so a short window
/// catches them all; the rest of the time release costs nothing extra.
pub const CHECK_RELEASES_FOR: Duration = Duration::from_secs(60);

/// The limits of [`Database`]'s calls, and when one was last missed.
#[derive(Debug)]
pub struct Deadline {
    /// For a call that takes a pooled connection: acquire + statement + [`GRACE`].
    pooled: Option<Duration>,
    /// For a call on the connection a transaction holds: statement + [`GRACE`].
    held: Option<Duration>,
    opened: Instant,
    /// Milliseconds from `opened` to just after the last missed deadline; 0: none yet.
    last_missed: AtomicU64,
}

impl Deadline {
    /// Deadlines from the pool's acquire and statement timeouts; none when
    /// statements have no timeout (`AUTHD_DB_STATEMENT_TIMEOUT_MS=0`).
    pub fn new(acquire: Duration, statement: Option<Duration>) -> Arc<Self> {
        Arc::new(Self {
            pooled: statement.map(|s| acquire + s + GRACE),
            held: statement.map(|s| s + GRACE),
            opened: Instant::now(),
            last_missed: AtomicU64::new(0),
        })
    }

    /// Runs `call` within `limit`. When the limit passes, the miss is noted
    /// before the call is dropped (at the end of this function), so the
    /// connection it releases is released to [`check_released`](Self::check_released)
    /// already checking.
    async fn within<T>(
        &self,
        limit: Option<Duration>,
        call: impl Future<Output = Result<T, DbErr>>,
    ) -> Result<T, DbErr> {
        let Some(limit) = limit else { return call.await };
        let mut call = std::pin::pin!(call);
        match tokio::time::timeout(limit, call.as_mut()).await {
            Ok(done) => done,
            Err(_) => {
                let since = self.opened.elapsed().as_millis() as u64 + 1;
                self.last_missed.fetch_max(since, Ordering::Relaxed);
                Err(no_answer(limit))
            }
        }
    }

    fn missed_lately(&self) -> bool {
        match self.last_missed.load(Ordering::Relaxed) {
            0 => false,
            at => self.opened.elapsed() < Duration::from_millis(at) + CHECK_RELEASES_FOR,
        }
    }

    /// sqlx's `after_release` for PostgreSQL: whether a released connection
    /// goes back to the pool. Lately after a miss, only one that answers a
    /// ping within [`RELEASE_PING_WITHIN`]; an error drops it without the
    /// goodbye a frozen server would never read.
    pub async fn check_released(&self, conn: &mut sqlx::PgConnection) -> Result<bool, sqlx::Error> {
        if !self.missed_lately() {
            return Ok(true);
        }
        match tokio::time::timeout(RELEASE_PING_WITHIN, conn.ping()).await {
            Ok(pinged) => pinged.map(|()| true),
            Err(_) => {
                tracing::warn!(
                    within_ms = RELEASE_PING_WITHIN.as_millis() as u64,
                    "a database connection given up on did not answer a ping when released: dropped, not pooled again"
                );
                Err(sqlx::Error::Io(io::Error::new(io::ErrorKind::TimedOut, "no answer to the release ping")))
            }
        }
    }
}

/// The error of a call past its deadline: an I/O timeout, which
/// [`is_unavailable`](super::is_unavailable) reads as the database out of reach.
fn no_answer(limit: Duration) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(sqlx::Error::Io(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("the database gave no answer within {} ms", limit.as_millis()),
    )))))
}

/// The pool authd serves from: every call on it, and on the transactions it
/// begins, ends within the [`Deadline`].
#[derive(Debug, Clone)]
pub struct Database {
    conn: DatabaseConnection,
    deadline: Arc<Deadline>,
}

impl Database {
    pub(crate) fn new(conn: DatabaseConnection, deadline: Arc<Deadline>) -> Self {
        Self { conn, deadline }
    }

    /// The pool itself, with no deadline: for its statistics, for closing
    /// it, and for migrations (which may take longer than any request).
    pub fn pool(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// PostgreSQL or SQLite.
    pub fn get_database_backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Begins a transaction (within the pooled deadline) whose statements
    /// and commit each end within the held one.
    pub async fn begin(&self) -> Result<Transaction, DbErr> {
        let txn = self.deadline.within(self.deadline.pooled, self.conn.begin()).await?;
        Ok(Transaction { txn, deadline: self.deadline.clone() })
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }
}

/// [`ConnectionTrait`] for a wrapper whose field `$inner` runs the calls,
/// each within its deadline's `$limit`.
macro_rules! within_deadline {
    ($wrapper:ty, $inner:ident, $limit:ident) => {
        #[async_trait::async_trait]
        impl ConnectionTrait for $wrapper {
            fn get_database_backend(&self) -> DbBackend {
                self.$inner.get_database_backend()
            }

            async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
                self.deadline.within(self.deadline.$limit, self.$inner.execute_raw(stmt)).await
            }

            async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
                self.deadline.within(self.deadline.$limit, self.$inner.execute_unprepared(sql)).await
            }

            async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
                self.deadline.within(self.deadline.$limit, self.$inner.query_one_raw(stmt)).await
            }

            async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
                self.deadline.within(self.deadline.$limit, self.$inner.query_all_raw(stmt)).await
            }
        }
    };
}

within_deadline!(Database, conn, pooled);
within_deadline!(Transaction, txn, held);

/// A transaction of [`Database`]: statements, commit and rollback each end
/// within the held deadline. Dropped uncommitted, it rolls back.
pub struct Transaction {
    txn: DatabaseTransaction,
    deadline: Arc<Deadline>,
}

impl Transaction {
    pub async fn commit(self) -> Result<(), DbErr> {
        let Self { txn, deadline } = self;
        deadline.within(deadline.held, txn.commit()).await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        let Self { txn, deadline } = self;
        deadline.within(deadline.held, txn.rollback()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_call_past_its_deadline_fails_as_unavailable_and_releases_are_checked_only_after_a_miss() {
        let deadline = Deadline::new(Duration::from_millis(20), Some(Duration::from_millis(30)));
        assert_eq!(deadline.pooled, Some(Duration::from_millis(20 + 30) + GRACE));
        assert_eq!(deadline.held, Some(Duration::from_millis(30) + GRACE));
        let answered = deadline.within(Some(Duration::from_millis(50)), async { Ok(7) }).await;
        assert_eq!(answered.unwrap(), 7);
        assert!(!deadline.missed_lately(), "no miss yet: released connections go back unchecked");

        let frozen = deadline.within(Some(Duration::from_millis(10)), std::future::pending::<Result<(), DbErr>>());
        let e = frozen.await.unwrap_err();
        assert!(super::super::is_unavailable(&e), "{e}");
        assert!(e.to_string().contains("no answer within 10 ms"), "{e}");
        assert!(deadline.missed_lately(), "after a miss, released connections are pinged with a limit");
    }

    #[tokio::test]
    async fn without_a_statement_timeout_there_is_no_deadline() {
        let deadline = Deadline::new(Duration::from_secs(3), None);
        assert_eq!((deadline.pooled, deadline.held), (None, None));
        let slow = deadline.within(None, async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(())
        });
        slow.await.unwrap();
    }
}
