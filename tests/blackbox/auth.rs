//! Password login, refresh, verify-token, logout.

use reqwest::Method;
use serde_json::json;

use crate::harness::{Server, token};

#[tokio::test]
async fn password_login_returns_a_bearer_token_pair_from_json_or_form() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let r = s.login(&u).await;
    let body = r.ok(200);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["access_token"].is_string() && body["refresh_token"].is_string());
    assert_eq!(r.header("cache-control"), Some("no-store"));

    let form = s
        .http
        .post(s.url("/api/v1/auth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", u.email.to_uppercase().as_str()),
            ("password", u.password.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let form = crate::harness::reply(form).await;
    let access = token(form.ok(200), "access_token");
    s.me(&access).await.ok(200);
}

#[tokio::test]
async fn unknown_user_wrong_password_and_deactivated_shapes_get_the_same_400_body() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let unknown = s.post("/auth/token", None, json!({"username": "nobody-here", "password": u.password})).await;
    let wrong = s.post("/auth/token", None, json!({"username": u.username, "password": "not-the-password-1"})).await;
    let bad_name = s.post("/auth/token", None, json!({"username": "x", "password": "whatever-it-is"})).await;
    unknown.problem(400, "invalid_credentials");
    wrong.problem(400, "invalid_credentials");
    assert_eq!(unknown.body, wrong.body);
    assert_eq!(bad_name.body, wrong.body);
}

#[tokio::test]
async fn refresh_rotates_the_pair_and_a_reused_refresh_token_revokes_the_session() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let first = s.tokens(&u).await;
    let second = s.post("/auth/refresh-token", None, json!({"refresh_token": token(&first, "refresh_token")})).await;
    let second = second.ok(200).clone();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    s.me(&token(&second, "access_token")).await.ok(200);

    let reuse = s.post("/auth/refresh-token", None, json!({"refresh_token": token(&first, "refresh_token")})).await;
    reuse.problem(401, "refresh_token_reused");
    s.assert_revoked(&second).await;
}

#[tokio::test]
async fn refresh_with_a_garbage_or_access_token_is_401() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let pair = s.tokens(&u).await;
    s.refresh("garbage").await.problem(401, "token_invalid");
    s.refresh(&token(&pair, "access_token")).await.problem(401, "token_invalid");
}

#[tokio::test]
async fn refresh_token_is_refused_as_an_access_token() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let pair = s.tokens(&u).await;
    let refresh = token(&pair, "refresh_token");
    s.me(&refresh).await.problem(401, "token_invalid");
    s.call(Method::POST, "/auth/verify-token", Some(&refresh), None).await.problem(401, "token_invalid");
}

#[tokio::test]
async fn verify_token_answers_true_for_a_live_access_token_and_401_otherwise() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let pair = s.tokens(&u).await;
    let r = s.call(Method::POST, "/auth/verify-token", Some(&token(&pair, "access_token")), None).await;
    let body = r.ok(200);
    assert_eq!(body["message"], true);
    assert_eq!(body["user_id"], u.id.as_str());
    // The expiry in RFC 3339 as every other time, and as the claim's Unix seconds under `exp`.
    let exp = claims_of(&token(&pair, "access_token"))["exp"].as_i64().unwrap();
    let at: chrono::DateTime<chrono::Utc> = body["expires_at"].as_str().expect("RFC 3339 text").parse().unwrap();
    assert_eq!((at.timestamp(), body["exp"].as_i64()), (exp, Some(exp)), "{body}");
    s.call(Method::POST, "/auth/verify-token", Some("not.a.token"), None).await.problem(401, "token_invalid");
    s.call(Method::POST, "/auth/verify-token", None, None).await.problem(401, "token_missing");
}

/// The claims of a JWT, read without checking its signature.
fn claims_of(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn an_access_token_and_verify_token_say_how_the_user_logged_in_and_a_refresh_keeps_it() {
    let s = Server::start().await;
    let one = s.register("ada", false).await;
    let two = s.register("bob", true).await;
    let by_password = s.tokens(&one).await;
    let by_code = s.two_factor_tokens(&two).await;
    for (pair, amr, acr) in [(by_password, json!(["pwd"]), "aal1"), (by_code, json!(["pwd", "otp", "mfa"]), "aal2")] {
        let access = token(&pair, "access_token");
        let claims = claims_of(&access);
        assert_eq!((&claims["amr"], claims["acr"].as_str()), (&amr, Some(acr)), "{claims}");
        let auth_time = claims["auth_time"].as_i64().expect("auth_time in Unix seconds");
        let said = s.call(Method::POST, "/auth/verify-token", Some(&access), None).await.ok(200).clone();
        assert_eq!((&said["amr"], said["acr"].as_str()), (&amr, Some(acr)), "{said}");
        let at = chrono::DateTime::parse_from_rfc3339(said["auth_time"].as_str().unwrap()).unwrap();
        assert_eq!(at.timestamp(), auth_time);
        assert!(
            claims_of(&token(&pair, "refresh_token")).get("amr").is_none(),
            "the row keeps it, not the refresh token"
        );

        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let renewed = s.refresh(&token(&pair, "refresh_token")).await.ok(200).clone();
        let claims = claims_of(&token(&renewed, "access_token"));
        assert!(claims["iat"].as_i64().unwrap() > auth_time, "a newer token: {claims}");
        assert_eq!(
            (&claims["amr"], claims["acr"].as_str(), claims["auth_time"].as_i64()),
            (&amr, Some(acr), Some(auth_time))
        );
    }
}

#[tokio::test]
async fn logout_revokes_this_session_and_logout_all_revokes_every_session() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let one = token(&s.tokens(&u).await, "access_token");
    let two = s.tokens(&u).await;
    let three = s.tokens(&u).await;

    let r = s.call(Method::POST, "/auth/logout", Some(&one), None).await;
    assert_eq!(r.status.as_u16(), 204, "{:?}", r.body);
    s.me(&one).await.problem(401, "session_revoked");
    s.me(&token(&two, "access_token")).await.ok(200);

    let r = s.post("/auth/logout", Some(&token(&two, "access_token")), json!({"all": true})).await;
    assert_eq!(r.status.as_u16(), 204);
    s.assert_revoked(&three).await;
    s.call(Method::POST, "/auth/logout", None, None).await.problem(401, "token_missing");
}
