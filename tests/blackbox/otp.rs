//! The second factor: mailed codes, their limits, and the temporary token.

use reqwest::Method;
use serde_json::json;

use crate::harness::{Server, local_only, token};

#[tokio::test]
async fn two_factor_login_mails_a_code_that_yields_a_pair_for_users_me() {
    let s = Server::start().await;
    let u = s.register("bob", true).await;
    let r = s.login(&u).await;
    let body = r.ok(200);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["methods"], json!(["email"]));
    assert_eq!(body["expires_in"], 240);
    assert!(body.get("access_token").is_none(), "no access token before the second factor");
    let tmp = token(body, "temporary_token");
    let mail = s.wait_for_mails(&u.email, 1).await.pop().expect("a mail");
    assert_eq!(mail["kind"], "login_code");
    assert!(mail["at"].is_string() && mail["subject"].is_string());

    let pair = s.post("/auth/verify-otp", Some(&tmp), json!({"otp": s.latest_code(&u.email).await})).await;
    assert_eq!(pair.header("cache-control"), Some("no-store"));
    let access = token(pair.ok(200), "access_token");
    let me = s.me(&access).await;
    assert_eq!(me.ok(200)["email"], u.email.as_str());
}

#[tokio::test]
async fn two_users_logging_in_at_the_same_moment_each_get_their_own_code() {
    let s = Server::start().await;
    let (a, b) = (s.register("amy", true).await, s.register("ben", true).await);
    let (ta, tb) = tokio::join!(s.temporary(&a), s.temporary(&b));
    let (ca, cb) = (s.latest_code(&a.email).await, s.latest_code(&b.email).await);
    // A's code does not open B's login (when the codes differ at all).
    if ca != cb {
        s.post("/auth/verify-otp", Some(&tb), json!({"otp": ca})).await.problem(400, "otp_invalid");
    }
    let pa = s.post("/auth/verify-otp", Some(&ta), json!({"otp": ca})).await;
    let pb = s.post("/auth/verify-otp", Some(&tb), json!({"otp": cb})).await;
    let me_a = s.call(Method::GET, "/users/me", Some(&token(pa.ok(200), "access_token")), None).await;
    let me_b = s.call(Method::GET, "/users/me", Some(&token(pb.ok(200), "access_token")), None).await;
    assert_eq!(me_a.ok(200)["id"], a.id.as_str());
    assert_eq!(me_b.ok(200)["id"], b.id.as_str());
}

#[tokio::test]
async fn a_used_otp_is_refused() {
    let s = Server::start().await;
    let u = s.register("bob", true).await;
    let tmp = s.temporary(&u).await;
    let code = s.latest_code(&u.email).await;
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": code})).await.ok(200);
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": code})).await.problem(400, "otp_used");
}

#[tokio::test]
async fn otp_is_refused_after_five_wrong_tries_with_429() {
    let s = Server::start().await;
    let u = s.register("bob", true).await;
    let tmp = s.temporary(&u).await;
    let code = s.latest_code(&u.email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        let r = s.post("/auth/verify-otp", Some(&tmp), json!({"otp": wrong})).await;
        r.problem(400, "otp_invalid");
        assert_eq!(r.body["remaining_attempts"], left);
    }
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": code})).await.problem(429, "otp_locked");
}

#[tokio::test]
async fn fifty_concurrent_correct_otp_submissions_open_exactly_one_session() {
    let s = Server::start().await;
    let u = s.register("bob", true).await;
    let tmp = s.temporary(&u).await;
    let code = s.latest_code(&u.email).await;
    let tries = (0..50).map(|_| s.post("/auth/verify-otp", Some(&tmp), json!({"otp": code})));
    let replies = futures::future::join_all(tries).await;
    let wins = replies.iter().filter(|r| r.status.as_u16() == 200).count();
    assert_eq!(wins, 1, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    for r in replies.iter().filter(|r| r.status.as_u16() != 200) {
        r.problem(400, "otp_used");
    }
}

#[tokio::test]
async fn an_expired_temporary_token_is_refused() {
    local_only!("needs a 1-second temporary token lifetime");
    let s = Server::start_with(&[("AUTHD_TEMP_TTL", "1")]).await;
    let u = s.register("bob", true).await;
    let tmp = s.temporary(&u).await;
    let code = s.latest_code(&u.email).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": code})).await.problem(401, "token_expired");
    s.call(Method::POST, "/auth/resend-otp", Some(&tmp), None).await.problem(401, "token_expired");
}

#[tokio::test]
async fn a_temporary_token_is_refused_by_users_me_verify_token_and_refresh() {
    let s = Server::start().await;
    let u = s.register("bob", true).await;
    let tmp = s.temporary(&u).await;
    s.me(&tmp).await.problem(401, "token_invalid");
    s.call(Method::POST, "/auth/verify-token", Some(&tmp), None).await.problem(401, "token_invalid");
    s.refresh(&tmp).await.problem(401, "token_invalid");
}

#[tokio::test]
async fn an_access_or_refresh_token_is_refused_by_verify_otp_and_resend_otp() {
    let s = Server::start().await;
    let u = s.register("bob", true).await;
    let pair = s.two_factor_tokens(&u).await;
    for kind in ["access_token", "refresh_token"] {
        let t = token(&pair, kind);
        s.post("/auth/verify-otp", Some(&t), json!({"otp": "123456"})).await.problem(401, "token_invalid");
        s.call(Method::POST, "/auth/resend-otp", Some(&t), None).await.problem(401, "token_invalid");
    }
    s.post("/auth/verify-otp", None, json!({"otp": "123456"})).await.problem(401, "token_missing");
}

#[tokio::test]
async fn resend_within_the_cooldown_is_429_with_retry_after() {
    let s = Server::start().await;
    let u = s.register("bob", true).await;
    let tmp = s.temporary(&u).await;
    let r = s.call(Method::POST, "/auth/resend-otp", Some(&tmp), None).await;
    r.problem(429, "otp_resend_cooldown");
    let after: u64 = r.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=30).contains(&after), "{after}");
    assert_eq!(r.body["retry_after"], after);
}

#[tokio::test]
async fn resend_after_the_cooldown_mails_a_new_code_and_the_old_one_stops_working() {
    local_only!("needs a 1-second resend cooldown");
    let s = Server::start_with(&[("AUTHD_OTP_RESEND_COOLDOWN", "1")]).await;
    let u = s.register("bob", true).await;
    let tmp = s.temporary(&u).await;
    let old = s.latest_code(&u.email).await;
    for left in [2, 1, 0] {
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let r = s.call(Method::POST, "/auth/resend-otp", Some(&tmp), None).await;
        assert_eq!((&r.ok(202)["retry_after"], &r.ok(202)["resends_left"]), (&json!(1), &json!(left)));
        // One shape for where a code is: the 202 is what `GET /auth/otp-status` answers.
        let status = s.call(Method::GET, "/auth/otp-status", Some(&tmp), None).await;
        let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(r.ok(202)), keys(status.ok(200)));
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    s.call(Method::POST, "/auth/resend-otp", Some(&tmp), None).await.problem(429, "otp_resend_limit");
    let mails = s.wait_for_mails(&u.email, 4).await;
    assert_eq!(mails.len(), 4, "the first code and three resends");
    let new = mails[3]["code"].as_str().unwrap().to_owned();
    if new != old {
        s.post("/auth/verify-otp", Some(&tmp), json!({"otp": old})).await.problem(400, "otp_invalid");
    }
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": new})).await.ok(200);
}

#[tokio::test]
async fn a_malformed_code_is_a_400_naming_the_field() {
    let s = Server::start().await;
    let u = s.register("bob", true).await;
    let tmp = s.temporary(&u).await;
    for bad in [json!({"otp": "12345"}), json!({"otp": "abcdef"}), json!({"otp": ""})] {
        let r = s.post("/auth/verify-otp", Some(&tmp), bad).await;
        r.problem(400, "invalid_field");
        assert_eq!(r.body["field"], "otp");
    }
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": [1, 2]})).await.problem(400, "bad_request");
    s.post("/auth/verify-otp", Some(&tmp), json!({})).await.problem(400, "bad_request");
}
