//! `AUTHD_REQUIRE_2FA`: a user the policy covers who has no second factor
//! logs in to a session that may only enrol one; under `admins`, admin
//! routes need `aal2`.

use reqwest::Method;
use serde_json::json;

use crate::harness::{ADMIN_PASSWORD, ADMIN_USERNAME, Server, TestUser, local_only, token};

fn root() -> TestUser {
    TestUser {
        username: ADMIN_USERNAME.into(),
        email: "root-admin@example.com".into(),
        password: ADMIN_PASSWORD.into(),
        id: String::new(),
    }
}

#[tokio::test]
async fn policy_admins_makes_an_admin_without_a_factor_enrol_before_anything_else() {
    local_only!("starts its own server with AUTHD_REQUIRE_2FA=admins");
    let (s, access) = Server::start_with_admin_and(&[("AUTHD_REQUIRE_2FA", "admins")]).await;
    let said = s.call(Method::POST, "/auth/verify-token", Some(&access), None).await.ok(200).clone();
    assert_eq!((&said["amr"], &said["acr"]), (&json!(["pwd"]), &json!("aal1")), "{said}");
    assert_eq!(said["second_factor_required"], json!(true));

    // Everything but reading the account and enrolling a factor is refused.
    let refused = s.call(Method::GET, "/users", Some(&access), None).await;
    refused.problem(403, "second_factor_required");
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(detail.contains("/users/me/totp") && detail.contains("/users/me/passkeys"), "{detail}");
    s.call(Method::GET, "/users/me/sessions", Some(&access), None).await.problem(403, "second_factor_required");
    s.call(Method::GET, "/apps", Some(&access), None).await.problem(403, "second_factor_required");
    let rename = json!({"name": "Someone"});
    s.call(Method::PATCH, "/users/me", Some(&access), Some(rename)).await.problem(403, "second_factor_required");
    s.me(&access).await.ok(200);
    s.call(Method::GET, "/users/me/second-factors", Some(&access), None).await.ok(200);

    // Codes by mail are a second factor; the session stays as it was.
    let on = s.call(Method::PATCH, "/users/me", Some(&access), Some(json!({"is_2fa": true}))).await;
    assert_eq!(on.ok(200)["is_2fa"], json!(true));
    s.call(Method::GET, "/users", Some(&access), None).await.problem(403, "second_factor_required");

    // Proving the new factor lifts it: an aal2 session may do anything.
    let stepped = s.stepped_up(&access, &root()).await;
    let said = s.call(Method::POST, "/auth/verify-token", Some(&stepped), None).await.ok(200).clone();
    assert_eq!((&said["acr"], &said["second_factor_required"]), (&json!("aal2"), &json!(false)));
    s.call(Method::GET, "/users", Some(&stepped), None).await.ok(200);

    // A user the policy does not cover is not held.
    let bob = s.register("bob", false).await;
    let bobs = token(&s.tokens(&bob).await, "access_token");
    s.call(Method::GET, "/users/me/sessions", Some(&bobs), None).await.ok(200);

    // An admin with a factor on an aal1 session (a trusted device's login)
    // is asked for the level alone, as RFC 9470 writes it.
    let tmp = s.temporary(&root()).await;
    let code = s.latest_code(&root().email).await;
    let done = s.post("/auth/verify-otp", Some(&tmp), json!({"otp": code, "remember_device": true})).await;
    let device = done.ok(200)["device_token"].as_str().unwrap().to_owned();
    let login = json!({"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD, "device_token": device});
    let aal1 = token(s.post("/auth/token", None, login).await.ok(200), "access_token");
    let asked = s.call(Method::GET, "/users", Some(&aal1), None).await;
    asked.problem(401, "reauthentication_required");
    let challenge = asked.header("www-authenticate").unwrap();
    assert!(challenge.contains(r#"acr_values="aal2""#) && !challenge.contains("max_age"), "{challenge}");
}

#[tokio::test]
async fn policy_all_refuses_removing_the_last_second_factor() {
    local_only!("starts its own server with AUTHD_REQUIRE_2FA=all");
    let s = Server::start_with(&[("AUTHD_REQUIRE_2FA", "all")]).await;
    let u = s.register("ada", true).await;
    let access = token(&s.two_factor_tokens(&u).await, "access_token");
    let off = json!({"is_2fa": false, "password": u.password});
    s.call(Method::PATCH, "/users/me", Some(&access), Some(off)).await.problem(409, "last_second_factor");
    assert_eq!(s.me(&access).await.ok(200)["is_2fa"], json!(true));
}
