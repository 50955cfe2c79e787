//! Throttling, refresh races, and HTTP hygiene.

use reqwest::Method;
use serde_json::json;

use crate::harness::{PASSWORD, Server, local_only, reply, token};

#[tokio::test]
async fn five_failed_logins_are_free_and_the_sixth_locks_known_and_unknown_names_alike() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let nobody = format!("nobody-{}", uuid::Uuid::new_v4().simple());
    for name in [u.username.as_str(), nobody.as_str()] {
        for _ in 0..6 {
            s.post("/auth/token", None, json!({"username": name, "password": "wrong-password-1"}))
                .await
                .problem(400, "invalid_credentials");
        }
    }
    let known = s.login(&u).await;
    let unknown = s.post("/auth/token", None, json!({"username": nobody, "password": u.password})).await;
    known.problem(429, "too_many_attempts");
    unknown.problem(429, "too_many_attempts");
    // The first lock lasts 15 s (the domain's tests hold the schedule to an
    // injected clock); a loaded machine may take a few of them to get here.
    let wait: u64 = known.header("retry-after").unwrap().parse().unwrap();
    assert!((10..=15).contains(&wait), "Retry-After {wait}");
    assert_eq!(known.body, unknown.body, "a lock tells nothing about the account");
    // Logging in by email hits the same account lock.
    s.post("/auth/token", None, json!({"username": u.email, "password": u.password}))
        .await
        .problem(429, "too_many_attempts");
}

#[tokio::test]
async fn wrong_codes_lock_the_account_too() {
    let s = Server::start().await;
    let u = s.register("bob", true).await;
    let mut failures = 0;
    while failures < 6 {
        let tmp = s.temporary(&u).await;
        let code = s.latest_code(&u.email).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..2 {
            if failures < 6 {
                s.post("/auth/verify-otp", Some(&tmp), json!({"otp": wrong})).await.problem(400, "otp_invalid");
                failures += 1;
            }
        }
    }
    s.login(&u).await.problem(429, "too_many_attempts");
}

#[tokio::test]
async fn each_guessing_route_is_limited_per_client_address_with_retry_after() {
    local_only!("needs per-address limits, which the shared server turns off");
    let s = Server::start_with(&[
        ("AUTHD_RATE_TOKEN_PER_MINUTE", "3"),
        ("AUTHD_RATE_OTP_PER_MINUTE", "2"),
        ("AUTHD_RATE_REGISTRATIONS_PER_HOUR", "2"),
    ])
    .await;
    let u = s.register("ada", true).await;
    s.register("bob", false).await;
    let r = s
        .post(
            "/users/registration",
            None,
            json!({"email": "c@example.com", "username": "ccc", "name": "C", "lastname": "C", "password": PASSWORD}),
        )
        .await;
    r.problem(429, "rate_limited");
    let after: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((3500..=3600).contains(&after), "{after}");

    let tmp = s.temporary(&u).await;
    s.login(&u).await.ok(200);
    s.login(&u).await.ok(200);
    let r = s.login(&u).await;
    r.problem(429, "rate_limited");
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() <= 60);

    for _ in 0..2 {
        s.post("/auth/verify-otp", Some(&tmp), json!({"otp": "12"})).await.problem(400, "invalid_field");
    }
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": "123456"})).await.problem(429, "rate_limited");
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    local_only!("needs its own trusted-proxy settings");
    async fn attempts(s: &Server, from: &str) -> u16 {
        let r = s
            .http
            .post(s.url("/api/v1/auth/token"))
            .header("x-forwarded-for", from)
            .json(&json!({"username": "x", "password": "y"}))
            .send()
            .await
            .unwrap();
        r.status().as_u16()
    }
    let limit = [("AUTHD_RATE_TOKEN_PER_MINUTE", "2")];
    let direct = Server::start_with(&limit).await;
    assert_eq!(
        [
            attempts(&direct, "198.51.100.1").await,
            attempts(&direct, "198.51.100.2").await,
            attempts(&direct, "198.51.100.3").await
        ],
        [400, 400, 429]
    );

    let proxied = Server::start_with(&[limit[0], ("AUTHD_TRUSTED_PROXIES", "127.0.0.1")]).await;
    for _ in 0..2 {
        assert_eq!(attempts(&proxied, "198.51.100.1").await, 400);
    }
    assert_eq!(attempts(&proxied, "198.51.100.1").await, 429);
    assert_eq!(attempts(&proxied, "198.51.100.2").await, 400, "another client behind the proxy has its own budget");
    assert_eq!(attempts(&proxied, "203.0.113.5, 198.51.100.1").await, 429, "a prepended address fools nobody");
}

#[tokio::test]
async fn fifty_concurrent_refreshes_with_one_token_have_exactly_one_winner() {
    let (s, admin) = Server::start_with_admin().await;
    let u = s.register("ada", false).await;
    let pair = s.tokens(&u).await;
    let refresh = token(&pair, "refresh_token");
    let replies = futures::future::join_all((0..50).map(|_| s.refresh(&refresh))).await;
    let wins = replies.iter().filter(|r| r.status.as_u16() == 200).count();
    assert_eq!(wins, 1, "{:?}", replies.iter().map(|r| r.status.as_u16()).collect::<Vec<_>>());
    for r in replies.iter().filter(|r| r.status.as_u16() != 200) {
        assert_eq!(r.status.as_u16(), 401);
    }
    // The losers presented a used token: the family is revoked, and it is on record.
    let winner = replies.iter().find(|r| r.status.as_u16() == 200).unwrap();
    s.me(&token(&winner.body, "access_token")).await.problem(401, "session_revoked");
    let events = s.call(Method::GET, &format!("/users/{}/events", u.id), Some(&admin), None).await;
    let kinds: Vec<String> =
        events.ok(200)["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect();
    assert!(kinds.contains(&"refresh_reused".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let s = Server::start().await;
    for path in ["/api/v1/users/me", "/api/v1/nowhere", "/openapi.json", "/health/live", "/docs/swagger"] {
        let r = reply(s.http.get(s.url(path)).send().await.unwrap()).await;
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
        let csp = r.header("content-security-policy");
        if path.starts_with("/docs") {
            // The explorer runs its own scripts, by hash, and loads from nowhere else.
            assert!(csp.is_some_and(|p| p.starts_with("default-src 'none'; script-src 'sha256-")), "{path}: {csp:?}");
        } else {
            assert_eq!(csp, Some("default-src 'none'; frame-ancestors 'none'"), "{path}");
        }
        assert!(r.header("strict-transport-security").is_none(), "HSTS is for deployments behind TLS");
    }
}

#[tokio::test]
async fn cors_is_off_by_default_and_allows_only_configured_origins() {
    local_only!("needs its own CORS settings");
    async fn preflight(s: &Server, origin: &str) -> Option<String> {
        let r = s
            .http
            .request(Method::OPTIONS, s.url("/api/v1/auth/token"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        r.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_owned())
    }
    let off = Server::start().await;
    assert_eq!(preflight(&off, "https://app.example.com").await, None);
    let r = off.http.get(off.url("/health/live")).header("origin", "https://app.example.com").send().await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    let on = Server::start_with(&[("AUTHD_CORS_ORIGINS", "https://app.example.com")]).await;
    assert_eq!(preflight(&on, "https://app.example.com").await.as_deref(), Some("https://app.example.com"));
    assert_eq!(preflight(&on, "https://evil.example.net").await, None);
}
