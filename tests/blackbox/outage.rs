//! A database outage: requests that need the database get a 503 problem
//! within a bounded time, liveness stays up while readiness says not ready,
//! service comes back by itself, and no acknowledged write is lost.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{PASSWORD, Server, local_only};
use crate::proxy::fresh_database_behind_proxy;

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
    let Some((real, mut proxy)) = fresh_database_behind_proxy().await else {
        println!("skipped: needs a PostgreSQL server (AUTHD_TEST_DATABASE_URL); CI runs it there");
        return;
    };
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
    use sea_orm::ConnectionTrait;
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

/// What a frozen-database test asks: a route's method, path and body, with
/// the user's access token when it takes one.
struct Ask {
    method: reqwest::Method,
    path: String,
    bearer: Option<String>,
    body: Option<serde_json::Value>,
}

/// Sends `ask` with its own limit; its status and body, or None when no
/// answer came within `limit`.
async fn answer_within(s: &Server, ask: &Ask, limit: Duration) -> (Duration, Option<(StatusCode, serde_json::Value)>) {
    let mut req = s.http.request(ask.method.clone(), s.url(&ask.path)).timeout(limit);
    if let Some(t) = &ask.bearer {
        req = req.bearer_auth(t);
    }
    if let Some(b) = &ask.body {
        req = req.json(b);
    }
    let started = Instant::now();
    let answer = match req.send().await {
        Ok(r) => Some((r.status(), r.json().await.unwrap_or(serde_json::Value::Null))),
        Err(e) if e.is_timeout() => None,
        Err(e) => panic!("{} {}: {e}", ask.method, ask.path),
    };
    (started.elapsed(), answer)
}

// The proxy runs on the runtime while requests wait on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_database_frozen_every_route_answers_within_acquire_plus_statement_timeout_and_service_resumes() {
    local_only!("freezes the database of a server it starts");
    let Some((real, mut proxy)) = fresh_database_behind_proxy().await else {
        println!("skipped: needs a PostgreSQL server (AUTHD_TEST_DATABASE_URL); CI runs it there");
        return;
    };
    proxy.up().await;
    let url = proxy.url_for(&real);
    // The bound the README states: acquire + statement timeout + 0.5 s.
    let bound = Duration::from_millis(1000 + 1000 + 500);
    let s = Server::start_with(&[
        ("DATABASE_URL", &url),
        ("AUTHD_DB_ACQUIRE_TIMEOUT_MS", "1000"),
        ("AUTHD_DB_STATEMENT_TIMEOUT_MS", "1000"),
        ("AUTHD_DB_MAX_CONNECTIONS", "4"),
    ])
    .await;
    let user = s.register("frozen", false).await;
    let pair = s.tokens(&user).await;
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let asks = |wave: usize| {
        let post = |path: &str, bearer: Option<&str>, body: Option<serde_json::Value>| Ask {
            method: reqwest::Method::POST,
            path: format!("/api/v1{path}"),
            bearer: bearer.map(str::to_owned),
            body,
        };
        let get = |path: &str, bearer: Option<&str>| Ask {
            method: reqwest::Method::GET,
            path: path.to_owned(),
            bearer: bearer.map(str::to_owned),
            body: None,
        };
        let name = format!("frozen{wave}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        vec![
            post(
                "/users/registration",
                None,
                Some(json!({"email": format!("{name}@example.com"), "username": name, "name": "F",
                            "lastname": "Z", "password": PASSWORD, "is_2fa": false})),
            ),
            post("/auth/token", None, Some(json!({"username": user.username, "password": PASSWORD}))),
            post("/auth/refresh-token", None, Some(json!({"refresh_token": refresh}))),
            post("/auth/verify-token", Some(&access), None),
            get("/api/v1/users/me", Some(&access)),
            get("/api/v1/users/me/events", Some(&access)),
            get("/health/ready", None),
            get("/health/live", None),
        ]
    };

    proxy.freeze();
    let frozen_at = Instant::now();
    // Two waves: the first finds idle pooled connections that hang, the
    // second finds the pool full of them.
    let mut late = Vec::new();
    for wave in 0..2 {
        let asks = asks(wave);
        let answers =
            futures::future::join_all(asks.iter().map(|a| answer_within(&s, a, Duration::from_secs(12)))).await;
        for (ask, (took, answer)) in asks.iter().zip(answers) {
            let said = match &answer {
                Some((status, body)) => format!("{status} {}", body["code"].as_str().unwrap_or("")),
                None => "no answer".to_owned(),
            };
            println!("frozen, wave {wave}: {} {} -> {said} after {} ms", ask.method, ask.path, took.as_millis());
            match answer {
                Some((StatusCode::SERVICE_UNAVAILABLE, body)) if ask.path != "/health/ready" => {
                    assert_eq!(body["code"], "database_unavailable", "{} {}: {body}", ask.method, ask.path);
                }
                Some((status, body)) => assert!(
                    status.is_success() || ask.path == "/health/ready" && status == StatusCode::SERVICE_UNAVAILABLE,
                    "{} {} while the database is frozen: {status} {body}",
                    ask.method,
                    ask.path
                ),
                None => {}
            }
            if took > bound + Duration::from_secs(2) {
                late.push(format!("{} {} ({} ms)", ask.method, ask.path, took.as_millis()));
            }
        }
    }
    assert!(late.is_empty(), "answered later than {} ms + 2 s with the database frozen: {late:?}", bound.as_millis());
    // The connections given up on are dropped, not kept waiting for the
    // frozen server (sqlx's own release ping has no limit): each is pinged
    // for at most a second, while the database is still frozen.
    let given_up = Instant::now();
    let dropped = || {
        s.log_lines()
            .iter()
            .filter(|l| {
                l["fields"]["message"].as_str().is_some_and(|m| m.starts_with("a database connection given up on"))
            })
            .count()
    };
    while dropped() == 0 {
        assert!(
            given_up.elapsed() < Duration::from_secs(4),
            "no connection given up on was dropped within 4 s while the database stayed frozen"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "{} connections given up on were dropped, the first within {} ms",
        dropped(),
        given_up.elapsed().as_millis()
    );
    let frozen_for = frozen_at.elapsed();

    proxy.thaw();
    let back = Instant::now();
    loop {
        let r = s.post("/auth/token", None, json!({"username": user.username, "password": PASSWORD})).await;
        if r.status == StatusCode::OK {
            break;
        }
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
        assert!(back.elapsed() < Duration::from_secs(10), "service resumes within 10 s of the database thawing");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "frozen {} ms; logins served again {} ms after the thaw",
        frozen_for.as_millis(),
        back.elapsed().as_millis()
    );
    s.me(&access).await.ok(200);
}
