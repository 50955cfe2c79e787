//! `/auth/reauthenticate`: proving who one is again from a live session.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{PASSWORD, Server, local_only, token};

/// What verify-token says of `access`: (amr, acr, auth_time).
async fn said(s: &Server, access: &str) -> (Value, String, String) {
    let b = s.call(Method::POST, "/auth/verify-token", Some(access), None).await.ok(200).clone();
    (b["amr"].clone(), b["acr"].as_str().unwrap().to_owned(), b["auth_time"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_password_renews_auth_time_at_aal1_and_a_password_with_a_mailed_code_at_aal2() {
    let s = Server::start().await;
    let u = s.register("ada", true).await;
    let pair = s.two_factor_tokens(&u).await;
    let access = token(&pair, "access_token");
    let (_, acr, logged_in) = said(&s, &access).await;
    assert_eq!(acr, "aal2");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let r = s.post("/auth/reauthenticate", Some(&access), json!({"password": u.password})).await;
    let by_password = r.ok(200).clone();
    let access = token(&by_password, "access_token");
    let (amr, acr, renewed) = said(&s, &access).await;
    assert_eq!((amr, acr.as_str()), (json!(["pwd"]), "aal1"));
    assert!(renewed > logged_in, "{renewed} after {logged_in}");
    s.refresh(&token(&pair, "refresh_token")).await.problem(401, "refresh_token_reused");

    let s2 = Server::start().await;
    let u2 = s2.register("bob", true).await;
    let access = token(&s2.two_factor_tokens(&u2).await, "access_token");
    let sent = s2.post("/auth/reauthenticate", Some(&access), json!({"method": "email"})).await;
    assert_eq!(sent.status.as_u16(), 202, "{:?}", sent.body);
    assert_eq!(sent.body["method"], "email");
    let code = s2.latest_code(&u2.email).await;
    let body = json!({"password": u2.password, "method": "email", "otp": code});
    let stepped = s2.post("/auth/reauthenticate", Some(&access), body).await.ok(200).clone();
    let (amr, acr, _) = said(&s2, &token(&stepped, "access_token")).await;
    assert_eq!((amr, acr.as_str()), (json!(["pwd", "otp", "mfa"]), "aal2"));
}

#[tokio::test]
async fn a_reauthentication_is_refused_without_a_proof_with_a_wrong_password_or_without_an_access_token() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let pair = s.tokens(&u).await;
    let access = token(&pair, "access_token");
    s.post("/auth/reauthenticate", Some(&access), json!({})).await.problem(400, "invalid_field");
    s.post("/auth/reauthenticate", Some(&access), json!({"password": "wrong-password-123"}))
        .await
        .problem(400, "password_incorrect");
    s.post("/auth/reauthenticate", Some(&access), json!({"method": "totp"})).await.problem(400, "invalid_field");
    let refresh = token(&pair, "refresh_token");
    s.post("/auth/reauthenticate", Some(&refresh), json!({"password": u.password})).await.problem(401, "token_invalid");
    s.post("/auth/reauthenticate", None, json!({"password": u.password})).await.problem(401, "token_missing");
    s.post("/auth/reauthenticate", Some(&access), json!({"password": u.password, "pin": 1}))
        .await
        .problem(400, "bad_request");
}

/// Every sensitive route, as (method, path, body), for a user whose password is [`PASSWORD`].
fn sensitive_routes() -> Vec<(Method, String, Value)> {
    let pw = json!({"password": PASSWORD});
    let with_pw = |mut v: Value| {
        v["password"] = json!(PASSWORD);
        v
    };
    let new = "marmalade-lantern-orbit-77";
    vec![
        (
            Method::POST,
            "/users/change-password".into(),
            json!({"current_password": PASSWORD, "password": new, "confirm_password": new}),
        ),
        (Method::PATCH, "/users/me".into(), with_pw(json!({"email": "mallory@example.com"}))),
        (Method::PATCH, "/users/me".into(), with_pw(json!({"phone": "+14155550132"}))),
        (Method::PATCH, "/users/me".into(), with_pw(json!({"is_2fa": false}))),
        (Method::POST, "/users/me/totp".into(), pw.clone()),
        (Method::DELETE, "/users/me/totp".into(), pw.clone()),
        (Method::POST, "/users/me/recovery-codes".into(), pw.clone()),
        (Method::POST, "/users/me/passkeys/options".into(), pw.clone()),
        (Method::DELETE, format!("/users/me/passkeys/{}", uuid::Uuid::new_v4()), pw.clone()),
        (Method::DELETE, "/users/me".into(), pw),
    ]
}

#[tokio::test]
async fn every_sensitive_route_answers_rfc_9470s_401_on_an_old_or_one_factor_session_and_works_after_a_step_up() {
    local_only!("needs AUTHD_REAUTH_MAX_AGE=3");
    let s = Server::start_with(&[("AUTHD_REAUTH_MAX_AGE", "3")]).await;
    let u = s.register("ada", true).await;
    let access = token(&s.two_factor_tokens(&u).await, "access_token");
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    let old = r#"Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="3""#;
    for (method, path, body) in sensitive_routes() {
        let r = s.call(method.clone(), &path, Some(&access), Some(body)).await;
        r.problem(401, "reauthentication_required");
        assert_eq!(r.header("www-authenticate"), Some(old), "{method} {path}");
        assert_eq!((r.body["max_age"].as_u64(), r.body.get("acr_values")), (Some(3), None), "{method} {path}");
    }

    let by_password = s.post("/auth/reauthenticate", Some(&access), json!({"password": PASSWORD})).await;
    let one_factor = token(by_password.ok(200), "access_token");
    let low = r#"Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="aal2", max_age="3""#;
    for (method, path, body) in sensitive_routes() {
        let r = s.call(method.clone(), &path, Some(&one_factor), Some(body)).await;
        assert_eq!(r.header("www-authenticate"), Some(low), "{method} {path}: {:?}", r.body);
    }

    let stepped = s.stepped_up(&one_factor, &u).await;
    let new = "marmalade-lantern-orbit-77";
    let change = json!({"current_password": PASSWORD, "password": new, "confirm_password": new});
    s.post("/users/change-password", Some(&stepped), change).await.ok(200);
}
