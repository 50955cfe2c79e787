//! A database outage: requests that need the database get a 503 problem
//! within a bounded time, liveness stays up while readiness says not ready,
//! service comes back by itself, and no acknowledged write is lost.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{PASSWORD, Server, local_only};
use crate::proxy::{DbProxy, host_port};

/// Registers a fresh user; its username when the answer was 201.
async fn try_register(s: &Server, n: usize) -> (StatusCode, Option<String>, serde_json::Value) {
    let username = format!("o{n}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let body = json!({"email": format!("{username}@example.com"), "username": username, "name": "O",
                      "lastname": "U", "password": PASSWORD, "is_2fa": false});
    let r = s.post("/users/registration", None, body).await;
    let created = (r.status == StatusCode::CREATED).then_some(username);
    (r.status, created, r.body)
}

async fn status_of(s: &Server, path: &str) -> StatusCode {
    s.http.get(s.url(path)).send().await.unwrap().status()
}

// The proxy runs on the runtime while requests wait on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_503_then_service_resumes_and_no_acknowledged_write_is_lost() {
    local_only!("cuts the database of a server it starts");
    let Ok(admin) = std::env::var(crate::testdb::POSTGRES_ENV) else {
        println!("skipped: needs a PostgreSQL server (AUTHD_TEST_DATABASE_URL); CI runs it there");
        return;
    };
    let real = crate::testdb::create_postgres_database(&admin).await.unwrap();
    let mut proxy = DbProxy::new(&host_port(&real));
    proxy.up().await;
    let url = proxy.url_for(&real);
    let s = Server::start_with(&[("DATABASE_URL", &url), ("AUTHD_DB_ACQUIRE_TIMEOUT_MS", "1000")]).await;
    let mut created = Vec::new();
    for n in 0..5 {
        let (status, name, body) = try_register(&s, n).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        created.extend(name);
    }

    proxy.down().await;
    let mut unavailable = 0;
    for n in 5..15 {
        let (status, name, body) = try_register(&s, n).await;
        match status {
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(body["code"], "database_unavailable", "{body}");
                unavailable += 1;
            }
            StatusCode::CREATED => created.extend(name),
            other => panic!("during the outage: {other} {body}"),
        }
    }
    assert!(unavailable >= 9, "registrations during the outage were refused with 503 ({unavailable} of 10)");
    let login = s.post("/auth/token", None, json!({"username": "nobody-x", "password": PASSWORD})).await;
    login.problem(503, "database_unavailable");
    assert_eq!(login.header("retry-after"), Some("1"));
    assert_eq!(status_of(&s, "/health/live").await, StatusCode::OK, "the process is alive");
    assert_eq!(status_of(&s, "/health/ready").await, StatusCode::SERVICE_UNAVAILABLE, "but not ready");

    proxy.up().await;
    let back = Instant::now();
    let mut n = 100;
    loop {
        let (status, name, body) = try_register(&s, n).await;
        n += 1;
        if status == StatusCode::CREATED {
            created.extend(name);
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(back.elapsed() < Duration::from_secs(5), "service resumes within 5 s of the database returning");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("service resumed {} ms after the database returned", back.elapsed().as_millis());
    assert_eq!(status_of(&s, "/health/ready").await, StatusCode::OK);
    for name in &created {
        let r = s.post("/auth/token", None, json!({"username": name, "password": PASSWORD})).await;
        r.ok(200);
    }
}

#[tokio::test]
async fn a_statement_held_up_by_a_lock_past_the_statement_timeout_is_503_and_service_resumes_when_it_is_released() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    local_only!("locks the database of a server it starts");
    let s = Server::start_with(&[("AUTHD_DB_STATEMENT_TIMEOUT_MS", "300")]).await;
    let (status, _, body) = try_register(&s, 0).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Another client holds a write lock on users, as a stuck job or a
    // migration by hand would.
    let db = s.database().await;
    let held = db.begin().await.unwrap();
    let lock = match held.get_database_backend() {
        sea_orm::DbBackend::Postgres => "LOCK TABLE users IN ACCESS EXCLUSIVE MODE",
        _ => "UPDATE users SET name = name",
    };
    held.execute_unprepared(lock).await.unwrap();
    let started = Instant::now();
    let (status, name, body) = try_register(&s, 1).await;
    assert_eq!((status, name), (StatusCode::SERVICE_UNAVAILABLE, None), "{body}");
    assert_eq!(body["code"], "database_unavailable", "{body}");
    println!("a locked write answered 503 after {:?} (statement timeout 300 ms)", started.elapsed());
    assert_eq!(status_of(&s, "/health/live").await, StatusCode::OK);
    held.rollback().await.unwrap();
    let (status, _, body) = try_register(&s, 2).await;
    assert_eq!(status, StatusCode::CREATED, "once the lock is gone: {body}");
}
