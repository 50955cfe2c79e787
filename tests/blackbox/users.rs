//! Registration and the caller's own account.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{PASSWORD, Server, token};

fn registration(tag: &str) -> serde_json::Value {
    let name = format!("{tag}-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    json!({"email": format!("{name}@Example.com"), "username": name, "name": "Ada", "lastname": "Lovelace", "password": PASSWORD, "is_2fa": false})
}

#[tokio::test]
async fn registration_returns_201_and_the_user_without_any_secret() {
    let s = Server::start().await;
    let form = registration("ada");
    let r = s.post("/users/registration", None, form.clone()).await;
    let u = r.ok(201);
    assert_eq!(u["email"], form["email"].as_str().unwrap().to_lowercase());
    assert_eq!(u["full_name"], "Ada Lovelace");
    assert_eq!(
        (u["is_admin"].as_bool(), u["is_2fa"].as_bool(), u["is_active"].as_bool()),
        (Some(false), Some(false), Some(true))
    );
    for field in ["id", "username", "name", "lastname", "created_at", "modified_at"] {
        assert!(u[field].is_string(), "{field} missing in {u}");
    }
    let text = u.to_string();
    assert!(!text.contains("password") && !text.contains("argon2") && !text.contains(PASSWORD));
}

#[tokio::test]
async fn registration_with_a_taken_email_or_username_is_409() {
    let s = Server::start().await;
    let form = registration("ada");
    s.post("/users/registration", None, form.clone()).await.ok(201);
    let mut same_email = registration("other");
    same_email["email"] = json!(form["email"].as_str().unwrap().to_uppercase());
    s.post("/users/registration", None, same_email).await.problem(409, "email_taken");
    let mut same_name = registration("other");
    same_name["username"] = form["username"].clone();
    s.post("/users/registration", None, same_name).await.problem(409, "username_taken");
}

#[tokio::test]
async fn registration_with_an_invalid_field_is_400_naming_it() {
    let s = Server::start().await;
    for (field, value) in
        [("email", json!("not-an-email")), ("username", json!("a")), ("name", json!("   ")), ("lastname", json!(""))]
    {
        let mut form = registration("ada");
        form[field] = value;
        let r = s.post("/users/registration", None, form).await;
        r.problem(400, "invalid_field");
        assert_eq!(r.body["field"], field);
    }
}

#[tokio::test]
async fn registration_with_a_weak_or_overlong_password_is_400_saying_why() {
    let s = Server::start().await;
    for pw in ["password", "qwertyuiop123"] {
        let mut form = registration("ada");
        form["password"] = json!(pw);
        let r = s.post("/users/registration", None, form).await;
        r.problem(400, "password_weak");
        assert!(r.body["detail"].as_str().unwrap().len() > 20, "{}", r.body);
    }
    // Lengths are limits the OpenAPI document declares: refused by them,
    // naming the field and the limit.
    for (pw, limit) in [("short".to_owned(), "at least 8"), ("long horse battery staple ".repeat(6), "at most 128")] {
        let mut form = registration("ada");
        form["password"] = json!(pw);
        let r = s.post("/users/registration", None, form).await;
        r.problem(400, "invalid_field");
        assert_eq!(r.body["field"], "password");
        assert!(r.body["detail"].as_str().unwrap().contains(limit), "{}", r.body);
    }
}

#[tokio::test]
async fn registration_cannot_make_an_admin_or_set_unknown_fields() {
    let s = Server::start().await;
    let mut form = registration("ada");
    form["is_admin"] = json!(true);
    s.post("/users/registration", None, form).await.problem(400, "bad_request");
}

#[tokio::test]
async fn patch_me_changes_the_given_fields_and_refuses_taken_or_invalid_ones() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let other = s.register("bob", false).await;
    let access = token(&s.tokens(&u).await, "access_token");
    let r = s.call(Method::PATCH, "/users/me", Some(&access), Some(json!({"name": "Augusta", "is_2fa": true}))).await;
    let me = r.ok(200);
    assert_eq!(
        (me["name"].as_str(), me["lastname"].as_str(), me["is_2fa"].as_bool()),
        (Some("Augusta"), Some("User"), Some(true))
    );
    assert_eq!(me["full_name"], "Augusta User");
    let access = s.stepped_up(&access, &u).await;
    s.call(Method::PATCH, "/users/me", Some(&access), Some(json!({"email": other.email, "password": PASSWORD})))
        .await
        .problem(409, "email_taken");
    s.call(Method::PATCH, "/users/me", Some(&access), Some(json!({"username": other.username})))
        .await
        .problem(409, "username_taken");
    s.call(Method::PATCH, "/users/me", Some(&access), Some(json!({"email": "nope"})))
        .await
        .problem(400, "invalid_field");
    s.call(Method::PATCH, "/users/me", Some(&access), Some(json!({"is_admin": true})))
        .await
        .problem(400, "bad_request");
    s.call(Method::PATCH, "/users/me", None, Some(json!({"name": "X"}))).await.problem(401, "token_missing");
    // Switching two-factor on takes effect at the next login.
    assert!(s.login(&u).await.ok(200)["temporary_token"].is_string());
}

#[tokio::test]
async fn an_access_token_alone_cannot_switch_the_second_factor_off_or_change_the_email_or_phone() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let access = token(&s.tokens(&u).await, "access_token");
    s.call(Method::PATCH, "/users/me", Some(&access), Some(json!({"is_2fa": true}))).await.ok(200);
    let access = s.stepped_up(&access, &u).await;
    let weakening =
        [json!({"is_2fa": false}), json!({"email": "mallory@example.com"}), json!({"phone": "+14155550132"})];
    for change in &weakening {
        let r = s.call(Method::PATCH, "/users/me", Some(&access), Some(change.clone())).await;
        r.problem(400, "password_required");
        assert_eq!(r.body["field"], "password", "{change}");
        let mut wrong = change.clone();
        wrong["password"] = json!("wrong-password-123");
        s.call(Method::PATCH, "/users/me", Some(&access), Some(wrong)).await.problem(400, "password_incorrect");
    }
    let me = s.me(&access).await.ok(200).clone();
    assert_eq!((&me["is_2fa"], &me["email"], &me["phone"]), (&json!(true), &json!(u.email), &Value::Null));
    assert!(s.login(&u).await.ok(200)["temporary_token"].is_string(), "the login still asks for a code");
    // The same values as now, and other fields, need no password.
    let same = json!({"is_2fa": true, "email": u.email.to_uppercase(), "phone": null, "name": "Augusta"});
    assert_eq!(s.call(Method::PATCH, "/users/me", Some(&access), Some(same)).await.ok(200)["name"], "Augusta");
    let off = json!({"is_2fa": false, "password": PASSWORD});
    assert_eq!(s.call(Method::PATCH, "/users/me", Some(&access), Some(off)).await.ok(200)["is_2fa"], false);
    assert!(s.login(&u).await.ok(200)["access_token"].is_string());
}

#[tokio::test]
async fn get_me_without_a_valid_token_is_401() {
    let s = Server::start().await;
    s.call(Method::GET, "/users/me", None, None).await.problem(401, "token_missing");
    s.me("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.").await.problem(401, "token_invalid");
}

#[tokio::test]
async fn delete_me_needs_the_password_and_removes_the_account() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let pair = s.tokens(&u).await;
    let access = token(&pair, "access_token");
    s.call(Method::DELETE, "/users/me", Some(&access), Some(json!({"password": "not-my-password-1"})))
        .await
        .problem(400, "password_incorrect");
    let r = s.call(Method::DELETE, "/users/me", Some(&access), Some(json!({"password": u.password}))).await;
    assert_eq!(r.status.as_u16(), 204, "{:?}", r.body);
    s.me(&access).await.problem(401, "session_revoked");
    s.login(&u).await.problem(400, "invalid_credentials");
    s.refresh(&token(&pair, "refresh_token")).await.problem(401, "token_invalid");
}

#[tokio::test]
async fn change_password_checks_both_passwords_and_revokes_other_sessions() {
    let s = Server::start().await;
    let u = s.register("ada", false).await;
    let here = token(&s.tokens(&u).await, "access_token");
    let elsewhere = token(&s.tokens(&u).await, "access_token");
    let new = "marmalade-quiver-71-lantern";
    let change = |current: &str, pw: &str, confirm: &str| json!({"current_password": current, "password": pw, "confirm_password": confirm});
    s.post("/users/change-password", Some(&here), change(&u.password, new, "something-else-99"))
        .await
        .problem(400, "password_mismatch");
    s.post("/users/change-password", Some(&here), change("wrong-password-77", new, new))
        .await
        .problem(400, "password_incorrect");
    s.post("/users/change-password", Some(&here), change(&u.password, "password1", "password1"))
        .await
        .problem(400, "password_weak");
    let r = s.post("/users/change-password", Some(&here), change(&u.password, new, new)).await;
    assert_eq!(r.ok(200)["message"], "Password updated");
    s.me(&here).await.ok(200);
    s.me(&elsewhere).await.problem(401, "session_revoked");
    s.login(&u).await.problem(400, "invalid_credentials");
    s.post("/auth/token", None, json!({"username": u.email, "password": new})).await.ok(200);
}

#[tokio::test]
async fn a_user_lists_their_live_sessions_and_ends_one_of_theirs_only() {
    let s = Server::start().await;
    let (ada, bob) = (s.register("ada", false).await, s.register("bob", false).await);
    let (here, there, bobs) = (s.tokens(&ada).await, s.tokens(&ada).await, s.tokens(&bob).await);
    let here_token = token(&here, "access_token");
    let listed = s.call(Method::GET, "/users/me/sessions", Some(&here_token), None).await;
    let items = listed.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "ada's two, not bob's: {items:?}");
    assert_eq!(items.iter().filter(|i| i["current"] == true).count(), 1);
    assert!(items.iter().all(|i| i["amr"] == json!(["pwd"]) && i["acr"] == "aal1" && i["auth_time"].is_string()));
    let other = items.iter().find(|i| i["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();
    let bobs_id =
        s.call(Method::GET, "/users/me/sessions", Some(&token(&bobs, "access_token")), None).await.ok(200)["items"][0]
            ["id"]
            .as_str()
            .unwrap()
            .to_owned();

    let path = |id: &str| format!("/users/me/sessions/{id}");
    s.call(Method::DELETE, &path(&bobs_id), Some(&here_token), None).await.problem(404, "session_not_found");
    assert_eq!(s.me(&token(&bobs, "access_token")).await.status, 200, "bob's session lives on");
    assert_eq!(s.call(Method::DELETE, &path(&other), Some(&here_token), None).await.status, 204);
    s.assert_revoked(&there).await;
    s.call(Method::DELETE, &path(&other), Some(&here_token), None).await.problem(404, "session_not_found");
    assert_eq!(s.me(&here_token).await.status, 200, "this session stays");

    let events = s.call(Method::GET, "/users/me/events?limit=10", Some(&here_token), None).await;
    let kinds: Vec<_> =
        events.ok(200)["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds.first().map(String::as_str), Some("session_ended"), "{kinds:?}");
    assert!(kinds.contains(&"login_succeeded".to_owned()) && kinds.contains(&"registered".to_owned()));
}
