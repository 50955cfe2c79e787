//! Trusted devices: "remember this device" after a second factor, and what
//! ends it.

use reqwest::Method;
use serde_json::json;

use crate::harness::{Server, TestUser, token};

/// A login of `u` finished with the mailed code, trusting the device: its token.
async fn trusted(s: &Server, u: &TestUser) -> String {
    let tmp = s.temporary(u).await;
    let code = s.latest_code(&u.email).await;
    let done = s.post("/auth/verify-otp", Some(&tmp), json!({"otp": code, "remember_device": true})).await;
    done.ok(200)["device_token"].as_str().expect("a device token").to_owned()
}

async fn login_on(s: &Server, u: &TestUser, device: &str) -> serde_json::Value {
    let body = json!({"username": u.username, "password": u.password, "device_token": device});
    s.post("/auth/token", None, body).await.ok(200).clone()
}

#[tokio::test]
async fn a_trusted_device_skips_the_code_at_aal1_and_stops_after_log_out_everywhere() {
    let s = Server::start().await;
    let u = s.register("ada", true).await;
    let device = trusted(&s, &u).await;
    assert_eq!(device.len(), 64);

    let pair = login_on(&s, &u, &device).await;
    let access = token(&pair, "access_token");
    let said = s.call(Method::POST, "/auth/verify-token", Some(&access), None).await.ok(200).clone();
    assert_eq!((&said["amr"], &said["acr"]), (&json!(["pwd"]), &json!("aal1")), "the password alone");
    let listed = s.call(Method::GET, "/users/me/trusted-devices", Some(&access), None).await.ok(200).clone();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert!(items[0]["last_used_at"].is_string() && items[0]["label"].is_string(), "{listed}");

    let other = s.register("bob", true).await;
    assert!(login_on(&s, &other, &device).await["temporary_token"].is_string(), "ada's device is not bob's");

    s.post("/auth/logout", Some(&access), json!({"all": true})).await;
    assert!(login_on(&s, &u, &device).await["temporary_token"].is_string(), "forgotten with every session");
}

#[tokio::test]
async fn a_user_forgets_one_of_their_trusted_devices() {
    let s = Server::start().await;
    let u = s.register("ada", true).await;
    let device = trusted(&s, &u).await;
    let access = token(&login_on(&s, &u, &device).await, "access_token");
    let listed = s.call(Method::GET, "/users/me/trusted-devices", Some(&access), None).await.ok(200).clone();
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    let unknown = format!("/users/me/trusted-devices/{}", uuid::Uuid::new_v4());
    s.call(Method::DELETE, &unknown, None, None).await.problem(401, "token_missing");
    s.call(Method::DELETE, &unknown, Some(&access), None).await.problem(404, "trusted_device_not_found");
    let path = format!("/users/me/trusted-devices/{id}");
    assert_eq!(s.call(Method::DELETE, &path, Some(&access), None).await.status.as_u16(), 204);
    assert!(login_on(&s, &u, &device).await["temporary_token"].is_string());
}
