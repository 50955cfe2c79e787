//! Proving an email address: the mail a registration queues carries a link
//! and a code; either proves the address once, from any device.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Server, local_only, token};

/// The token of the link in a mail proving an address.
fn token_in(mail: &Value) -> String {
    let link = mail["link"].as_str().expect("a link");
    link.split_once("?token=").expect("a token").1.to_owned()
}

#[tokio::test]
async fn a_registration_mails_a_link_to_the_public_url_and_the_link_proves_the_address_once() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let access = token(&s.tokens(&u).await, "access_token");
    assert_eq!(s.me(&access).await.ok(200)["email_verified"], false);
    let mail = s.proof_mail(&u.email).await;
    assert_eq!(mail["kind"], "email_verification");
    let link = mail["link"].as_str().unwrap();
    if local_only_base(&s) {
        // Started on port 0: the links name the port it got.
        let port = s.base.rsplit(':').next().unwrap().trim_end_matches('/');
        assert!(link.starts_with(&format!("http://localhost:{port}/ui/verify-email?token=")), "{link}");
    }
    assert_eq!(token_in(&mail).len(), 32, "128 bits");
    assert_eq!(mail["code"].as_str().unwrap().len(), 8);
    let proved = s.post("/auth/verify-email", None, json!({"token": token_in(&mail)})).await;
    assert_eq!(proved.ok(200).clone(), json!({"email_verified": true}));
    assert_eq!(s.me(&access).await.ok(200)["email_verified"], true);
    s.post("/auth/verify-email", None, json!({"token": token_in(&mail)})).await.problem(400, "verification_invalid");
    s.post("/auth/verify-email", None, json!({"email": u.email, "code": mail["code"]}))
        .await
        .problem(400, "verification_invalid");
}

/// Whether `s` is a server this suite started (a remote one has its own public URL).
fn local_only_base(s: &Server) -> bool {
    std::env::var("AUTHD_BASE_URL").is_err() && s.base.contains("127.0.0.1")
}

#[tokio::test]
async fn the_mailed_code_typed_with_the_address_proves_it_and_five_wrong_codes_end_the_mail() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let code = s.proof_mail(&u.email).await["code"].as_str().unwrap().to_owned();
    let wrong = if code == "00000000" { "11111111" } else { "00000000" };
    for _ in 0..5 {
        let r = s.post("/auth/verify-email", None, json!({"email": u.email, "code": wrong})).await;
        r.problem(400, "verification_invalid");
    }
    s.post("/auth/verify-email", None, json!({"email": u.email, "code": code}))
        .await
        .problem(400, "verification_invalid");

    let v = s.register("bob", false).await;
    let code = s.proof_mail(&v.email).await["code"].as_str().unwrap().to_owned();
    let upper = v.email.to_uppercase();
    let proved = s.post("/auth/verify-email", None, json!({"email": upper, "code": code})).await;
    assert_eq!(proved.ok(200)["email_verified"], true);
}

#[tokio::test]
async fn a_body_needs_the_token_or_the_address_and_the_code_and_unknown_ones_prove_nothing() {
    let s = Server::start().await;
    // The document says one of the two shapes; anything else is refused as such.
    for body in [json!({}), json!({"email": "ada@example.com"}), json!({"token": "x", "code": "12345678"})] {
        s.post("/auth/verify-email", None, body).await.problem(400, "bad_request");
    }
    s.post("/auth/verify-email", None, json!({"token": "0".repeat(32)})).await.problem(400, "verification_invalid");
    s.post("/auth/verify-email", None, json!({"email": "nobody@example.com", "code": "12345678"}))
        .await
        .problem(400, "verification_invalid");
}

#[tokio::test]
async fn a_new_mail_waits_for_the_cooldown_and_is_refused_once_the_address_is_proved() {
    local_only!("needs a one-second resend cooldown");
    let s = Server::start_with(&[("AUTHD_OTP_RESEND_COOLDOWN", "1")]).await;
    let u = s.register("ada", false).await;
    let access = token(&s.tokens(&u).await, "access_token");
    s.call(Method::POST, "/users/me/email/verify", Some(&access), None).await.problem(429, "otp_resend_cooldown");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    s.call(Method::POST, "/users/me/email/verify", Some(&access), None).await.ok(202);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while s.proof_mails_to(&u.email).len() < 2 {
        assert!(std::time::Instant::now() < deadline, "the second mail never came");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mail = s.proof_mail(&u.email).await;
    s.post("/auth/verify-email", None, json!({"token": token_in(&mail)})).await.ok(200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    s.call(Method::POST, "/users/me/email/verify", Some(&access), None).await.problem(409, "already_verified");
}

#[tokio::test]
async fn with_verified_email_required_an_unproved_address_is_refused_only_after_a_right_password() {
    local_only!("needs AUTHD_REQUIRE_VERIFIED_EMAIL");
    let s = Server::start_with(&[("AUTHD_REQUIRE_VERIFIED_EMAIL", "true")]).await;
    let u = s.register("ada", false).await;
    let wrong = s.post("/auth/token", None, json!({"username": u.username, "password": "not-the-password-9"})).await;
    wrong.problem(400, "invalid_credentials");
    s.login(&u).await.problem(403, "email_unverified");
    s.prove_email(&u).await;
    s.login(&u).await.ok(200);
}

#[tokio::test]
async fn changing_the_address_mails_a_notice_to_the_old_one_and_a_proof_to_the_new_one() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    s.prove_email(&u).await;
    let access = token(&s.tokens(&u).await, "access_token");
    let new = format!("new-{}", u.email);
    let changed =
        s.call(Method::PATCH, "/users/me", Some(&access), Some(json!({"email": new, "password": u.password}))).await;
    assert_eq!(changed.ok(200)["email_verified"], false, "a new address is unproved");
    let notice = s.newest_mail(&u.email, "email_changed").await;
    assert!(notice.get("code").is_none() && notice["link"].as_str().unwrap().ends_with("/ui/reset"), "{notice}");
    let proof = s.proof_mail(&new).await;
    s.post("/auth/verify-email", None, json!({"token": token_in(&proof)})).await.ok(200);
    assert_eq!(s.me(&access).await.ok(200)["email_verified"], true);
}
