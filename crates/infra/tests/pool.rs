//! The connection pool on a real PostgreSQL (AUTHD_TEST_DATABASE_URL names
//! a server; CI runs it there): what a connection that died in the pool
//! costs; and, with no server at all, what a proxy that closes connections
//! (no PostgreSQL behind it) is answered as.

use test_support::testdb;

use infra::db::{Database, PING_IF_IDLE_FOR, connect, is_unavailable};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

async fn backend_pid(db: &Database) -> Result<i32, DbErr> {
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT pg_backend_pid()")).await?;
    row.expect("one row").try_get_by_index(0)
}

/// Ends the server process behind `db`'s one connection, as a restart or an
/// administrator would.
async fn kill_connection_of(db: &Database, url: &str) -> i32 {
    let pid = backend_pid(db).await.unwrap();
    let other = connect(url, 1).await.unwrap();
    // With a timeout, PostgreSQL (14+) answers once the process has exited.
    let sql = format!("SELECT pg_terminate_backend({pid}, 5000)");
    other.execute_unprepared(&sql).await.unwrap();
    pid
}

#[tokio::test]
async fn a_pooled_connection_that_died_fails_at_most_one_statement_as_unavailable_and_is_never_handed_out_again() {
    let Ok(admin) = std::env::var(testdb::POSTGRES_ENV) else {
        println!("skipped: needs a PostgreSQL server (AUTHD_TEST_DATABASE_URL); CI runs it there");
        return;
    };
    let url = testdb::create_postgres_database(&admin).await.unwrap();
    let db = connect(&url, 1).await.unwrap();

    // Used a moment ago: handed out without a ping, so one statement may
    // meet the dead connection; the pool drops it when it comes back.
    let killed = kill_connection_of(&db, &url).await;
    match backend_pid(&db).await {
        Err(err) => assert!(is_unavailable(&err), "answered as the database being out of reach (503): {err}"),
        Ok(pid) => assert_ne!(pid, killed, "a statement answered by a process that was ended"),
    }
    let next = backend_pid(&db).await.expect("the next statement gets a new connection");
    assert_ne!(next, killed);

    // Idle past the window: pinged, found dead and replaced before any
    // statement runs on it.
    let killed = kill_connection_of(&db, &url).await;
    tokio::time::sleep(PING_IF_IDLE_FOR + std::time::Duration::from_millis(100)).await;
    let next = backend_pid(&db).await.expect("a connection idle past the window is checked first");
    assert_ne!(next, killed);
}

/// A listener that accepts connections and closes each at once, as HAProxy
/// does while no PostgreSQL server behind it answers (the primary just died,
/// the standby not yet promoted). Its URL.
async fn proxy_with_no_server_behind() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            // Read what the client sent first, so closing is a FIN, not a reset.
            let mut first = [0u8; 8];
            let _ = tokio::io::AsyncReadExt::read_exact(&mut socket, &mut first).await;
            drop(socket);
        }
    });
    format!("postgres://authd@127.0.0.1:{port}/authd")
}

#[tokio::test]
async fn a_connection_closed_before_postgresql_answered_is_the_database_out_of_reach() {
    // With sslmode=prefer (the default) sqlx asks for TLS first and reads the
    // one-byte answer; a connection closed there reads as the answer 0x00, a
    // protocol error, which was answered 500 during a failover.
    for url in [proxy_with_no_server_behind().await, proxy_with_no_server_behind().await + "?sslmode=disable"] {
        let Err(err) = connect(&url, 1).await else { panic!("{url}: nothing to connect to") };
        assert!(is_unavailable(&err), "{url}: a 503 (database_unavailable), not a 500: {err}");
        let waited = infra::db::wait_until_reachable(&url, std::time::Duration::from_millis(300)).await;
        let err = waited.expect_err("never reachable").to_string();
        assert!(err.contains("not reachable within"), "{url}: waited for, as a server starting: {err}");
    }
}
