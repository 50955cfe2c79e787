//! A forgotten password: the same answer for every address, a mail only to
//! a proved one, a link or code that works once, and the second factor
//! still asked for afterwards.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{PASSWORD, Reply, Server, TestUser, local_only, token};

const NEW: &str = "marmalade-lantern-orbit-77";

fn token_in(mail: &Value) -> String {
    mail["link"].as_str().expect("a link").split_once("?token=").expect("a token").1.to_owned()
}

/// A user whose address is proved, and the reset mail sent to it.
async fn reset_mail_for(s: &Server, u: &TestUser) -> Value {
    s.post("/auth/password-reset", None, json!({"email": u.email})).await.ok(202);
    s.newest_mail(&u.email, "password_reset").await
}

fn the_answer(r: &Reply) -> (u16, Value) {
    (r.status.as_u16(), r.body.clone())
}

#[tokio::test]
async fn a_reset_link_mailed_to_the_proved_address_sets_a_new_password_once_and_ends_every_session() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    s.prove_email(&u).await;
    let old = token(&s.tokens(&u).await, "access_token");
    let mail = reset_mail_for(&s, &u).await;
    assert_eq!(mail["code"].as_str().unwrap().len(), 8);
    assert!(mail["link"].as_str().unwrap().contains("/ui/reset/confirm?token="));
    let body = json!({"token": token_in(&mail), "password": NEW, "confirm_password": NEW});
    let pair = s.post("/auth/password-reset/confirm", None, body.clone()).await;
    let access = token(pair.ok(200), "access_token");
    s.me(&access).await.ok(200);
    s.me(&old).await.problem(401, "session_revoked");
    s.login(&u).await.problem(400, "invalid_credentials");
    s.post("/auth/password-reset/confirm", None, body).await.problem(400, "reset_invalid");
    let notice = s.newest_mail(&u.email, "password_reset_done").await;
    assert!(notice.get("code").is_none(), "a notice carries no code");
}

#[tokio::test]
async fn every_address_gets_the_same_answer_and_only_a_proved_one_gets_a_mail() {
    let s = Server::start().await;
    let proved = s.register("ada", false).await;
    s.prove_email(&proved).await;
    let unproved = s.register("bob", false).await;
    let unknown = "nobody-here@example.com";
    let mut answers = Vec::new();
    let mut timings: Vec<(&str, Vec<Duration>)> = Vec::new();
    for (what, email) in
        [("proved", proved.email.as_str()), ("unproved", unproved.email.as_str()), ("unknown", unknown)]
    {
        let mut took = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            let r = s.post("/auth/password-reset", None, json!({"email": email})).await;
            took.push(started.elapsed());
            answers.push(the_answer(&r));
        }
        took.sort();
        timings.push((what, took));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "one answer for all: {answers:?}");
    assert_eq!(answers[0].0, 202);
    // The figures, for the record (the lookup runs after the answer).
    for (what, took) in &timings {
        println!("password-reset request, {what} address: median {:?}, max {:?}", took[2], took[4]);
    }
    s.newest_mail(&proved.email, "password_reset").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(s.mail_lines_of_kind(&unproved.email, "password_reset").is_empty(), "no mail to an unproved address");
    assert!(s.mail_lines_of_kind(unknown, "password_reset").is_empty());
}

#[tokio::test]
async fn a_two_factor_account_still_proves_its_second_factor_after_a_reset() {
    let s = Server::start().await;
    let u = s.register("ada", true).await;
    s.prove_email(&u).await;
    let mail = reset_mail_for(&s, &u).await;
    let body = json!({"email": u.email, "code": mail["code"], "password": NEW, "confirm_password": NEW});
    let due = s.post("/auth/password-reset/confirm", None, body).await;
    let due = due.ok(200).clone();
    assert!(due.get("access_token").is_none(), "no session before the second factor: {due}");
    assert_eq!(due["methods"], json!(["email"]));
    let code = s.latest_code(&u.email).await;
    let tmp = token(&due, "temporary_token");
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": code})).await.ok(200);
}

#[tokio::test]
async fn a_refused_password_spends_nothing_and_a_body_needs_a_token_or_an_address_and_a_code() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    s.prove_email(&u).await;
    let mail = reset_mail_for(&s, &u).await;
    let t = token_in(&mail);
    let weak = json!({"token": t, "password": "password1", "confirm_password": "password1"});
    s.post("/auth/password-reset/confirm", None, weak).await.problem(400, "password_weak");
    let mismatch = json!({"token": t, "password": NEW, "confirm_password": PASSWORD});
    s.post("/auth/password-reset/confirm", None, mismatch).await.problem(400, "password_mismatch");
    for body in [
        json!({"password": NEW, "confirm_password": NEW}),
        json!({"email": u.email, "password": NEW, "confirm_password": NEW}),
    ] {
        s.post("/auth/password-reset/confirm", None, body).await.problem(400, "bad_request");
    }
    s.post("/auth/password-reset", None, json!({"email": "not an address"})).await.problem(400, "invalid_field");
    let unknown = json!({"token": "0".repeat(32), "password": NEW, "confirm_password": NEW});
    s.post("/auth/password-reset/confirm", None, unknown).await.problem(400, "reset_invalid");
    let right = json!({"token": t, "password": NEW, "confirm_password": NEW});
    s.post("/auth/password-reset/confirm", None, right).await.ok(200);
}

#[tokio::test]
async fn reset_requests_past_the_per_address_limit_are_429_whatever_the_address() {
    local_only!("needs a low per-address limit");
    let s = Server::start_with(&[("AUTHD_RATE_RESET_REQUESTS_PER_HOUR", "2")]).await;
    for email in ["a@example.com", "b@example.com"] {
        s.post("/auth/password-reset", None, json!({"email": email})).await.ok(202);
    }
    let r = s.post("/auth/password-reset", None, json!({"email": "c@example.com"})).await;
    r.problem(429, "rate_limited");
    assert!(r.header("retry-after").is_some());
}
