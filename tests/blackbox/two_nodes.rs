//! Two authd processes on one database (PostgreSQL in CI's second run, one
//! SQLite file otherwise), requests alternating between them: the rules hold
//! because the database enforces them.

use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::harness::{Server, local_only, token};

#[tokio::test]
async fn refresh_rotation_and_reuse_detection_hold_across_two_nodes() {
    local_only!("starts a second node on the same database");
    let a = Server::start().await;
    let b = a.second_node();
    let u = a.register("ada", false).await;
    let first = a.tokens(&u).await;
    let second = b.refresh(&token(&first, "refresh_token")).await.ok(200).clone();
    a.me(&token(&second, "access_token")).await.ok(200);
    a.refresh(&token(&first, "refresh_token")).await.problem(401, "refresh_token_reused");
    b.assert_revoked(&second).await;

    let pair = b.tokens(&u).await;
    let refresh = token(&pair, "refresh_token");
    let replies =
        futures::future::join_all((0..50).map(|i| if i % 2 == 0 { a.refresh(&refresh) } else { b.refresh(&refresh) }))
            .await;
    assert_eq!(replies.iter().filter(|r| r.status.as_u16() == 200).count(), 1);
}

#[tokio::test]
async fn a_logout_on_one_node_is_refused_by_the_other_within_a_second_and_by_itself_at_once() {
    local_only!("starts a second node on the same database");
    let a = Server::start().await;
    let b = a.second_node();
    caught_up(&a).await;
    caught_up(&b).await;
    let u = a.register("ada", false).await;
    let access = token(&a.tokens(&u).await, "access_token");
    b.me(&access).await.ok(200); // b now remembers the session as live
    a.me(&access).await.ok(200);
    let r = a.call(Method::POST, "/auth/logout", Some(&access), None).await;
    assert_eq!(r.status.as_u16(), 204);
    a.me(&access).await.problem(401, "session_revoked");
    refused_within_a_second(&b, &access).await;

    // Logging out everywhere ends every session, each announced on its own.
    let (one, two) = (token(&b.tokens(&u).await, "access_token"), token(&b.tokens(&u).await, "access_token"));
    b.me(&one).await.ok(200);
    b.me(&two).await.ok(200);
    let r = a.call(Method::POST, "/auth/logout", Some(&one), Some(json!({"all": true}))).await;
    assert_eq!(r.status.as_u16(), 204);
    refused_within_a_second(&b, &one).await;
    refused_within_a_second(&b, &two).await;
}

#[tokio::test]
async fn a_profile_change_or_demotion_on_one_node_is_read_by_the_other_within_a_second_and_by_itself_at_once() {
    local_only!("starts a second node on the same database");
    let (a, root) = Server::start_with_admin().await;
    let b = a.second_node();
    caught_up(&a).await;
    caught_up(&b).await;
    let u = a.register("ada", false).await;
    let access = token(&a.tokens(&u).await, "access_token");
    assert_eq!(b.me(&access).await.ok(200)["name"], "Test"); // b now remembers the row
    let r = a.call(Method::PATCH, "/users/me", Some(&access), Some(json!({"name": "Augusta"}))).await;
    assert_eq!(r.ok(200)["name"], "Augusta");
    assert_eq!(a.me(&access).await.ok(200)["name"], "Augusta", "the writing node reads its own change");
    within_a_second(|| async { b.me(&access).await.ok(200)["name"] == "Augusta" }).await;

    // An administrator demoted on one node loses the rights on the other.
    let path = format!("/users/{}", u.id);
    a.call(Method::PATCH, &path, Some(&root), Some(json!({"is_admin": true}))).await.ok(200);
    let admin = token(&b.tokens(&u).await, "access_token");
    b.call(Method::GET, "/users", Some(&admin), None).await.ok(200);
    a.call(Method::PATCH, &path, Some(&root), Some(json!({"is_admin": false}))).await.ok(200);
    within_a_second(|| async {
        let r = b.call(Method::GET, "/users", Some(&admin), None).await;
        match r.status.as_u16() {
            200 => false,
            _ => {
                r.problem(403, "forbidden");
                true
            }
        }
    })
    .await;
}

/// Polls `done` until it holds, for at most one second: a notification's
/// trip to the other node, never a sleep for it.
async fn within_a_second<F, Fut>(done: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while !done().await {
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "not seen within 1 s");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Waits (at most 10 s) until the node's revocation listener has caught up,
/// on PostgreSQL; SQLite checks the database on every request.
async fn caught_up(node: &Server) {
    if postgres() {
        node.log_line("the revocation listener catching up", |l| {
            l["fields"]["message"].as_str().is_some_and(|m| m.starts_with("revocation listener caught up"))
        })
        .await;
    }
}

fn postgres() -> bool {
    std::env::var(crate::testdb::POSTGRES_ENV).is_ok()
}

/// Polls `node` with `access` until it answers 401 `session_revoked`, for at
/// most one second: the notification's trip to the other node, never a
/// sleep for it. No other answer than 200 is allowed meanwhile.
async fn refused_within_a_second(node: &Server, access: &str) {
    let started = std::time::Instant::now();
    loop {
        let r = node.me(access).await;
        match r.status.as_u16() {
            401 => {
                assert_eq!(r.body["code"], "session_revoked");
                return;
            }
            200 => assert!(started.elapsed() < std::time::Duration::from_secs(1), "still honoured after 1 s"),
            other => panic!("{other}: {}", r.body),
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_code_is_used_once_and_guessed_five_times_at_most_across_two_nodes() {
    local_only!("starts a second node on the same database");
    let a = Server::start().await;
    let b = a.second_node();
    let u = a.register("bob", true).await;
    let tmp = a.temporary(&u).await;
    let code = a.latest_code(&u.email).await;
    let replies = futures::future::join_all(
        (0..50)
            .map(|i| if i % 2 == 0 { &a } else { &b })
            .map(|n| n.post("/auth/verify-otp", Some(&tmp), json!({"otp": code}))),
    )
    .await;
    assert_eq!(replies.iter().filter(|r| r.status.as_u16() == 200).count(), 1);

    let tmp = b.temporary(&u).await;
    let code = b.latest_code(&u.email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let guesses = futures::future::join_all(
        (0..20)
            .map(|i| if i % 2 == 0 { &a } else { &b })
            .map(|n| n.post("/auth/verify-otp", Some(&tmp), json!({"otp": wrong}))),
    )
    .await;
    let counted = guesses.iter().filter(|r| r.body["code"] == "otp_invalid").count();
    assert_eq!(counted, 5, "{:?}", guesses.iter().map(|r| r.body["code"].clone()).collect::<Vec<_>>());
    a.post("/auth/verify-otp", Some(&tmp), json!({"otp": code})).await.problem(429, "otp_locked");
}

#[tokio::test]
async fn two_nodes_cannot_both_accept_one_authenticator_code() {
    local_only!("starts a second node on the same database");
    let a = Server::start().await;
    let b = a.second_node();
    let u = a.register("ada", false).await;
    let access = token(&a.tokens(&u).await, "access_token");
    let e = a.post("/users/me/totp", Some(&access), json!({"password": u.password})).await;
    let secret = domain::totp::TotpSecret::from_base32(e.ok(201)["secret"].as_str().unwrap()).unwrap();
    let now = chrono::Utc::now();
    a.post("/users/me/totp/confirm", Some(&access), json!({"code": secret.code_at(now)})).await.ok(200);
    // One login on each node, answered with the same code at the same moment.
    let (ta, tb) = tokio::join!(a.temporary(&u), b.temporary(&u));
    let code = secret.code_at(now + chrono::Duration::seconds(30));
    let (ra, rb) = tokio::join!(
        a.post("/auth/verify-otp", Some(&ta), json!({"otp": code})),
        b.post("/auth/verify-otp", Some(&tb), json!({"otp": code}))
    );
    let codes = [ra.status.as_u16(), rb.status.as_u16()];
    assert!(codes.contains(&200) && codes.contains(&400), "{codes:?}: {} {}", ra.body, rb.body);
    let loser = if ra.status.as_u16() == 400 { &ra } else { &rb };
    assert_eq!(loser.body["code"], "otp_used");
}

#[tokio::test]
async fn failed_logins_and_address_limits_count_together_across_two_nodes() {
    local_only!("starts a second node on the same database");
    let a = Server::start_with(&[("AUTHD_RATE_TOKEN_PER_MINUTE", "8")]).await;
    let b = a.second_node();
    let u = a.register("ada", false).await;
    for i in 0..6 {
        let node = if i % 2 == 0 { &a } else { &b };
        node.post("/auth/token", None, json!({"username": u.username, "password": "wrong-password-1"}))
            .await
            .problem(400, "invalid_credentials");
    }
    a.login(&u).await.problem(429, "too_many_attempts");
    b.login(&u).await.problem(429, "too_many_attempts");
    // Eight requests so far from 127.0.0.1 across both nodes: the ninth is over.
    b.login(&u).await.problem(429, "rate_limited");
    a.login(&u).await.problem(429, "rate_limited");
}

#[tokio::test]
async fn a_node_whose_listener_is_cut_checks_the_database_and_resumes_when_it_reconnects() {
    local_only!("starts a second node on the same database");
    if !postgres() {
        println!("skipped on SQLite: the revocation listener is PostgreSQL's");
        return;
    }
    let a = Server::start().await;
    // b waits 3 s before reconnecting: long enough to watch its fallback.
    let b = a.second_node_with(&[("AUTHD_REVOCATION_RETRY_MS", "3000")]);
    caught_up(&a).await;
    caught_up(&b).await;
    let u = a.register("ada", false).await;
    let first = token(&a.tokens(&u).await, "access_token");
    let second = token(&a.tokens(&u).await, "access_token");
    b.me(&first).await.ok(200);
    b.me(&second).await.ok(200);
    assert_eq!(listener_connected(&b).await, 1.0);

    // Cut b's listener connection: revocations committed now are not heard by b.
    let db = a.database().await;
    let name = format!("authd revocation listener {}", b.pid());
    let cut = db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            vec![name.into()],
        ))
        .await
        .unwrap();
    assert_eq!(cut.len(), 1, "b's listener is one connection");
    b.log_line("the listener's loss", |l| {
        l["fields"]["message"].as_str().is_some_and(|m| m.starts_with("revocation listener lost"))
    })
    .await;
    assert_eq!(listener_connected(&b).await, 0.0);
    let r = a.call(Method::POST, "/auth/logout", Some(&first), None).await;
    assert_eq!(r.status.as_u16(), 204);
    // Not heard, yet refused at once: b reads the database meanwhile.
    b.me(&first).await.problem(401, "session_revoked");
    b.me(&second).await.ok(200);
    // Likewise for user rows: b had remembered this one, and reads it afresh.
    let r = a.call(Method::PATCH, "/users/me", Some(&second), Some(json!({"name": "Augusta"}))).await;
    r.ok(200);
    assert_eq!(b.me(&second).await.ok(200)["name"], "Augusta");

    // Reconnected and caught up again, b hears revocations once more. The
    // gauge may say connected a moment before the catch-up is logged.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let caught_up_lines = || {
        b.log_lines()
            .into_iter()
            .filter(|l| l["fields"]["message"].as_str().is_some_and(|m| m.starts_with("revocation listener caught up")))
            .count()
    };
    while listener_connected(&b).await != 1.0 || caught_up_lines() < 2 {
        assert!(std::time::Instant::now() < until, "b's listener did not come back and catch up");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let caught_up = caught_up_lines();
    assert_eq!(caught_up, 2, "caught up at start and after reconnecting");
    assert_eq!(b.me(&second).await.ok(200)["name"], "Augusta", "the rows remembered before the cut are forgotten");
    let r = a.call(Method::POST, "/auth/logout", Some(&second), None).await;
    assert_eq!(r.status.as_u16(), 204);
    refused_within_a_second(&b, &second).await;
}

async fn listener_connected(node: &Server) -> f64 {
    let scrape = crate::metrics::scrape(node).await;
    crate::metrics::value(&scrape, "authd_revocation_listener_connected", &[])
}

#[tokio::test]
async fn the_removed_session_cache_setting_is_refused_at_start_with_its_successor_named() {
    local_only!("starts authd itself with a removed setting");
    let dir = std::env::temp_dir().join(format!("authd-cache-{}", uuid::Uuid::new_v4().simple()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_authd"))
        .env_clear()
        .env("AUTHD_DATA_DIR", &dir)
        .env("AUTHD_SESSION_CACHE_MS", "1000")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AUTHD_SESSION_CACHE_MS") && stderr.contains("AUTHD_REVOCATION_PUSH"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

// The proxy runs on the runtime while requests wait on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_listener_stalls_silently_honours_a_revoked_token_for_less_than_three_pings() {
    use std::time::{Duration, Instant};

    local_only!("freezes the database connections of a second node it starts");
    // b reaches the database through a proxy the test freezes: its listener
    // hears nothing more, and no error tells it so (a stopped server, a
    // black-holed route).
    let Some((real, mut proxy)) = crate::proxy::fresh_database_behind_proxy().await else {
        println!("skipped on SQLite: the revocation listener is PostgreSQL's");
        return;
    };
    let a = Server::start_with(&[("DATABASE_URL", &real)]).await;
    proxy.up().await;
    let ping = Duration::from_millis(200);
    let b = a.second_node_with(&[
        ("DATABASE_URL", &proxy.url_for(&real)),
        ("AUTHD_REVOCATION_PING_MS", "200"),
        ("AUTHD_DB_ACQUIRE_TIMEOUT_MS", "300"),
        ("AUTHD_DB_STATEMENT_TIMEOUT_MS", "300"),
    ]);
    caught_up(&a).await;
    caught_up(&b).await;
    let u = a.register("stalled", false).await;
    let access = token(&a.tokens(&u).await, "access_token");
    verify(&b, &access).await.ok(200);

    proxy.freeze();
    let frozen = Instant::now();
    let r = a.call(Method::POST, "/auth/logout", Some(&access), None).await;
    assert_eq!(r.status.as_u16(), 204);
    verify(&a, &access).await.problem(401, "session_revoked");
    // Every ping b heard back was sent before the freeze, so b trusts its
    // memory until less than 3 pings after it, then reads the frozen
    // database (503) — never a 200 after that.
    let mut last_honoured = None;
    let mut refused = 0;
    while frozen.elapsed() < 6 * ping {
        let asked = frozen.elapsed();
        let r = verify(&b, &access).await;
        match r.status.as_u16() {
            200 => last_honoured = Some(asked),
            503 | 401 => refused += 1,
            other => panic!("{other}: {}", r.body),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let last = last_honoured.unwrap_or_default();
    println!(
        "a stalled listener (ping {} ms): the revoked token was last honoured when asked {} ms after the freeze; {refused} answers refused it after",
        ping.as_millis(),
        last.as_millis()
    );
    assert!(last < 3 * ping, "honoured {} ms after the listener stalled (bound: 3 × ping)", last.as_millis());
    assert!(refused > 0, "after the bound the node stops trusting its memory");
    proxy.thaw();
    refused_within_a_second(&b, &access).await;
}

async fn verify(node: &Server, access: &str) -> crate::harness::Reply {
    node.call(Method::POST, "/auth/verify-token", Some(access), None).await
}
