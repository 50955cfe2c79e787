//! Two authd processes on one database (PostgreSQL in CI's second run, one
//! SQLite file otherwise), requests alternating between them: the rules hold
//! because the database enforces them.

use reqwest::Method;
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
async fn logout_on_one_node_is_honoured_by_the_other_at_once() {
    local_only!("starts a second node on the same database");
    let a = Server::start().await;
    let b = a.second_node();
    let u = a.register("ada", false).await;
    let pair = a.tokens(&u).await;
    let access = token(&pair, "access_token");
    b.me(&access).await.ok(200);
    let r = a.call(Method::POST, "/auth/logout", Some(&access), None).await;
    assert_eq!(r.status.as_u16(), 204);
    b.me(&access).await.problem(401, "session_revoked");
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
async fn with_a_session_cache_revocation_is_immediate_here_and_bounded_elsewhere() {
    local_only!("starts a second node on the same database");
    let a = Server::start_with(&[("AUTHD_SESSION_CACHE_MS", "300")]).await;
    let b = a.second_node();
    let u = a.register("ada", false).await;
    let access = token(&a.tokens(&u).await, "access_token");
    a.me(&access).await.ok(200);
    b.me(&access).await.ok(200); // now cached on b
    let r = a.call(Method::POST, "/auth/logout", Some(&access), None).await;
    assert_eq!(r.status.as_u16(), 204);
    a.me(&access).await.problem(401, "session_revoked");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    b.me(&access).await.problem(401, "session_revoked");
    b.call(Method::POST, "/auth/verify-token", Some(&access), None).await.problem(401, "session_revoked");
}

#[tokio::test]
async fn a_session_cache_longer_than_five_seconds_is_refused_at_start() {
    local_only!("starts authd itself with a session cache over 5 s");
    let dir = std::env::temp_dir().join(format!("authd-cache-{}", uuid::Uuid::new_v4().simple()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_authd"))
        .env_clear()
        .env("AUTHD_DATA_DIR", &dir)
        .env("AUTHD_SESSION_CACHE_MS", "6000")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("AUTHD_SESSION_CACHE_MS"));
    let _ = std::fs::remove_dir_all(dir);
}
