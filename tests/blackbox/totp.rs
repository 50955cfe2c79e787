//! Authenticator apps and recovery codes, as a person and an app see them:
//! codes are computed here from the secret the API returns.

use chrono::{Duration, Utc};
use domain::totp::TotpSecret;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Server, TestUser, token};

/// The code an app shows `ahead` steps from now. Confirming uses the
/// current step; logins then use the next one, which ±1 step of skew
/// accepts, so no test waits for the clock.
fn code(secret: &TotpSecret, ahead: i64) -> String {
    secret.code_at(Utc::now() + Duration::seconds(30 * ahead))
}

/// A user with a confirmed app: their secret, nine of their recovery
/// codes, and an access token of a session stepped up with the tenth
/// (`aal2`, as changing a second factor asks).
async fn enrolled(s: &Server, name: &str) -> (TestUser, TotpSecret, Vec<String>, String) {
    let u = s.register(name, false).await;
    let access = token(&s.tokens(&u).await, "access_token");
    let e = s.post("/users/me/totp", Some(&access), json!({"password": u.password})).await;
    let secret = TotpSecret::from_base32(e.ok(201)["secret"].as_str().unwrap()).unwrap();
    let r = s.post("/users/me/totp/confirm", Some(&access), json!({"code": code(&secret, 0)})).await;
    let mut codes: Vec<String> =
        r.ok(200)["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    let proof = json!({"password": u.password, "method": "recovery_code", "otp": codes.pop().unwrap()});
    let access = token(s.post("/auth/reauthenticate", Some(&access), proof).await.ok(200), "access_token");
    (u, secret, codes, access)
}

async fn verify(s: &Server, tmp: &str, otp: &str, method: Option<&str>) -> crate::harness::Reply {
    let body = match method {
        Some(m) => json!({"otp": otp, "method": m}),
        None => json!({"otp": otp}),
    };
    s.post("/auth/verify-otp", Some(tmp), body).await
}

#[tokio::test]
async fn an_authenticator_app_is_enrolled_confirmed_and_then_guards_every_login() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let access = token(&s.tokens(&u).await, "access_token");
    s.post("/users/me/totp", Some(&access), json!({"password": "not-the-password-1"}))
        .await
        .problem(400, "password_incorrect");
    s.post("/users/me/totp/confirm", Some(&access), json!({"code": "123456"})).await.problem(409, "totp_not_pending");

    let e = s.post("/users/me/totp", Some(&access), json!({"password": u.password})).await;
    let body = e.ok(201);
    let secret_b32 = body["secret"].as_str().unwrap();
    let expected_url = format!(
        "otpauth://totp/authd:{}?secret={secret_b32}&issuer=authd&algorithm=SHA1&digits=6&period=30",
        u.email.replace('@', "%40")
    );
    assert_eq!(body["otpauth_url"], expected_url.as_str());
    assert!(body["qr_png"].as_str().unwrap().starts_with("iVBORw0KGgo"), "a base64 PNG");
    let secret = TotpSecret::from_base32(secret_b32).unwrap();

    let wrong = s.post("/users/me/totp/confirm", Some(&access), json!({"code": code(&secret, 10)})).await;
    wrong.problem(400, "invalid_field");
    let r = s.post("/users/me/totp/confirm", Some(&access), json!({"code": code(&secret, 0)})).await;
    let codes = r.ok(200)["recovery_codes"].as_array().unwrap().clone();
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| c.as_str().unwrap().len() == 14), "abcd-efgh-jkmn");
    assert_eq!(s.me(&access).await.ok(200)["is_2fa"], true);
    // The session is one-factor still: adding a second app asks for the first.
    let again = s.post("/users/me/totp", Some(&access), json!({"password": u.password})).await;
    again.problem(401, "reauthentication_required");
    assert_eq!(again.body["acr_values"], "aal2");
    s.call(Method::POST, "/auth/logout", Some(&access), None).await.ok(204);

    let mails = s.mails_to(&u.email).len();
    let login = s.login(&u).await;
    assert_eq!(login.ok(200)["methods"], json!(["totp", "recovery_code"]));
    // Messages go out in the background: once a code queued after this
    // login has arrived, one queued by the login would have too.
    let sentinel = s.register("sentinel", true).await;
    s.temporary(&sentinel).await;
    s.latest_code(&sentinel.email).await;
    assert_eq!(s.mails_to(&u.email).len(), mails, "no mail unless mail is the method");
    let tmp = token(login.ok(200), "temporary_token");
    let next = code(&secret, 1);
    let pair = verify(&s, &tmp, &next, Some("totp")).await;
    let access = token(pair.ok(200), "access_token");
    assert!(pair.ok(200).get("recovery_codes_left").is_none());
    s.me(&access).await.ok(200);

    let again = s.temporary(&u).await;
    verify(&s, &again, &next, None).await.problem(400, "otp_used");
    let recovery = codes[0].as_str().unwrap();
    let pair = verify(&s, &again, &recovery.to_uppercase(), Some("recovery_code")).await;
    assert_eq!(pair.ok(200)["recovery_codes_left"], 9);
    let third = s.temporary(&u).await;
    verify(&s, &third, recovery, Some("recovery_code")).await.problem(400, "otp_invalid");
}

#[tokio::test]
async fn mail_cannot_answer_for_an_app_user_and_unknown_methods_are_refused() {
    let s = Server::start().await;
    let (u, _, _, _) = enrolled(&s, "ada").await;
    let tmp = s.temporary(&u).await;
    verify(&s, &tmp, "123456", Some("email")).await.problem(400, "method_unavailable");
    // Not one of the methods the document lists.
    verify(&s, &tmp, "123456", Some("carrier-pigeon")).await.problem(400, "bad_request");
    s.post("/auth/resend-otp", Some(&tmp), json!({"method": "email"})).await.problem(400, "method_unavailable");
    s.call(Method::POST, "/auth/resend-otp", Some(&tmp), None).await.problem(400, "method_unavailable");
    verify(&s, &tmp, "12ab56", Some("totp")).await.problem(400, "invalid_field");
}

#[tokio::test]
async fn removing_the_app_needs_the_password_and_a_new_set_of_codes_retires_the_old() {
    let s = Server::start().await;
    let (u, secret, old, access) = enrolled(&s, "ada").await;
    let status = s.call(Method::GET, "/users/me/second-factors", Some(&access), None).await;
    let st = status.ok(200);
    assert_eq!((st["methods"].clone(), st["totp"]["active"].clone()), (json!(["totp", "recovery_code"]), json!(true)));
    assert_eq!(st["recovery_codes_left"], 9, "one proved the session");

    let renew = |pw: &str| json!({"password": pw});
    s.post("/users/me/recovery-codes", Some(&access), renew("not-the-password-1"))
        .await
        .problem(400, "password_incorrect");
    let new = s.post("/users/me/recovery-codes", Some(&access), renew(&u.password)).await;
    let new = new.ok(200)["recovery_codes"][0].as_str().unwrap().to_owned();
    let tmp = s.temporary(&u).await;
    verify(&s, &tmp, &old[0], Some("recovery_code")).await.problem(400, "otp_invalid");
    verify(&s, &tmp, &new, Some("recovery_code")).await.ok(200);

    let other = verify(&s, &s.temporary(&u).await, &code(&secret, 1), None).await.ok(200).clone();
    let off = |pw: &str| Some(json!({"password": pw}));
    s.call(Method::DELETE, "/users/me/totp", Some(&access), off("not-the-password-1"))
        .await
        .problem(400, "password_incorrect");
    s.call(Method::DELETE, "/users/me/totp", Some(&access), off(&u.password)).await.ok(204);
    s.assert_revoked(&other).await;
    let st = s.call(Method::GET, "/users/me/second-factors", Some(&access), None).await;
    assert_eq!(st.ok(200)["totp"]["active"], false);
    // is_2fa stays on: mail takes over.
    assert_eq!(s.login(&u).await.ok(200)["methods"], json!(["email"]));
    s.post("/users/me/recovery-codes", Some(&access), renew(&u.password)).await.problem(409, "no_second_factor");
}

#[tokio::test]
async fn an_admin_resets_a_users_second_factors_and_it_is_recorded() {
    let (s, admin) = Server::start_with_admin().await;
    let (u, _, _, access) = enrolled(&s, "ada").await;
    let path = format!("/users/{}/second-factors", u.id);
    s.call(Method::DELETE, &path, Some(&access), None).await.problem(403, "forbidden");
    s.call(Method::DELETE, &path, Some(&admin), None).await.ok(204);
    let events = s.call(Method::GET, &format!("/users/{}/events?limit=1", u.id), Some(&admin), None).await;
    let newest: &Value = &events.ok(200)["items"][0];
    assert_eq!(newest["kind"], "second_factors_reset");
    assert!(newest["actor_id"].is_string());
    assert_eq!(s.login(&u).await.ok(200)["methods"], json!(["email"]));
    let ghost = format!("/users/{}/second-factors", uuid::Uuid::new_v4());
    s.call(Method::DELETE, &ghost, Some(&admin), None).await.problem(404, "user_not_found");
}
