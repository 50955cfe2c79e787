//! Administration: user management, the last-admin rule, bootstrap, audit events.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Server, TestUser, local_only, token};

async fn user_token(s: &Server, u: &TestUser) -> String {
    token(&s.tokens(u).await, "access_token")
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn every_admin_route_refuses_non_admins_with_403_and_temporary_tokens_with_401() {
    let (s, _) = Server::start_with_admin().await;
    let u = s.register("ada", false).await;
    let access = user_token(&s, &u).await;
    let two = s.register("bob", true).await;
    let tmp = s.temporary(&two).await;
    let routes = [
        (Method::GET, "/users".to_owned(), None),
        (Method::GET, format!("/users/{}", u.id), None),
        (Method::PATCH, format!("/users/{}", u.id), Some(json!({"is_admin": true}))),
        (Method::DELETE, format!("/users/{}", u.id), None),
        (Method::GET, format!("/users/{}/events", u.id), None),
    ];
    for (method, path, body) in routes {
        s.call(method.clone(), &path, Some(&access), body.clone()).await.problem(403, "forbidden");
        s.call(method.clone(), &path, Some(&tmp), body.clone()).await.problem(401, "token_invalid");
        s.call(method, &path, None, body).await.problem(401, "token_missing");
    }
    assert_eq!(s.me(&access).await.ok(200)["is_admin"], false, "nothing changed");
}

#[tokio::test]
async fn listing_walks_250_users_in_pages_with_no_duplicate_and_no_gap() {
    let (s, admin) = Server::start_with_admin().await;
    // A tag of this run's own narrows the list to this test's users on a
    // server other tests share.
    let tag = format!("walk{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let mut registered = Vec::new();
    for batch in 0..25 {
        let names: Vec<String> = (0..10).map(|i| format!("{tag}p{batch}x{i}")).collect();
        let users = futures::future::join_all(names.iter().map(|n| s.register(n, false))).await;
        registered.extend(users.into_iter().map(|u| u.id));
    }
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let path = match &cursor {
            Some(c) => format!("/users?limit=100&is_admin=false&q={tag}&after={c}"),
            None => format!("/users?limit=100&is_admin=false&q={tag}"),
        };
        let page = s.call(Method::GET, &path, Some(&admin), None).await.ok(200).clone();
        assert!(page["items"].as_array().unwrap().len() <= 100);
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no duplicates");
    registered.sort();
    assert_eq!(unique, registered, "no gaps: every registered user once");
    s.call(Method::GET, "/users?limit=101", Some(&admin), None).await.problem(400, "invalid_field");
    s.call(Method::GET, "/users?limit=0", Some(&admin), None).await.problem(400, "invalid_field");
    s.call(Method::GET, "/users?after=not-a-uuid", Some(&admin), None).await.problem(400, "bad_request");
}

#[tokio::test]
async fn search_finds_users_by_part_of_their_email_and_filters_narrow_the_list() {
    let (s, admin) = Server::start_with_admin().await;
    let tag = format!("find{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let ada = s.register(&format!("{tag}ada"), false).await;
    let bob = s.register(&format!("{tag}bob"), true).await;
    let part = &ada.email[4..18].to_uppercase();
    let found = s.call(Method::GET, &format!("/users?q={part}"), Some(&admin), None).await;
    assert_eq!(ids(found.ok(200)), [ada.id.as_str()]);
    let two_fa = s.call(Method::GET, &format!("/users?q={tag}&is_2fa=true"), Some(&admin), None).await;
    assert_eq!(ids(two_fa.ok(200)), [bob.id.as_str()]);
    let admins = s.call(Method::GET, "/users?is_admin=true", Some(&admin), None).await;
    let me = s.me(&admin).await.ok(200)["id"].as_str().unwrap().to_owned();
    assert!(ids(admins.ok(200)).contains(&me), "the admins list holds the admin: {}", admins.body);
    assert!(ids(admins.ok(200)).iter().all(|id| *id != ada.id && *id != bob.id));
    let none = s.call(Method::GET, "/users?q=%25", Some(&admin), None).await;
    assert!(ids(none.ok(200)).is_empty(), "% is literal");
}

#[tokio::test]
async fn admin_reads_and_changes_any_field_and_uniqueness_still_holds() {
    let (s, admin) = Server::start_with_admin().await;
    let u = s.register("ada", false).await;
    let other = s.register("bob", false).await;
    let got = s.call(Method::GET, &format!("/users/{}", u.id), Some(&admin), None).await;
    assert_eq!(got.ok(200)["email"], u.email.as_str());
    let augusta = format!("augusta-{}@example.com", uuid::Uuid::new_v4().simple());
    let changes = json!({"name": "Augusta", "lastname": "King", "is_2fa": true, "is_admin": true, "email": augusta});
    let r = s.call(Method::PATCH, &format!("/users/{}", u.id), Some(&admin), Some(changes)).await;
    let body = r.ok(200);
    assert_eq!(
        (body["full_name"].as_str(), body["is_admin"].as_bool(), body["is_2fa"].as_bool()),
        (Some("Augusta King"), Some(true), Some(true))
    );
    let path = format!("/users/{}", other.id);
    s.call(Method::PATCH, &path, Some(&admin), Some(json!({"email": augusta}))).await.problem(409, "email_taken");
    s.call(Method::PATCH, &path, Some(&admin), Some(json!({"username": u.username})))
        .await
        .problem(409, "username_taken");
    s.call(Method::PATCH, &path, Some(&admin), Some(json!({"email": "bad"}))).await.problem(400, "invalid_field");
    s.call(Method::PATCH, &path, Some(&admin), Some(json!({"password": "x"}))).await.problem(400, "bad_request");
    let missing = format!("/users/{}", uuid::Uuid::nil());
    s.call(Method::GET, &missing, Some(&admin), None).await.problem(404, "user_not_found");
    s.call(Method::PATCH, &missing, Some(&admin), Some(json!({"name": "X"}))).await.problem(404, "user_not_found");
    s.call(Method::DELETE, &missing, Some(&admin), None).await.problem(404, "user_not_found");
    s.call(Method::GET, "/users/not-a-uuid", Some(&admin), None).await.problem(400, "bad_request");
}

#[tokio::test]
async fn a_deactivated_users_tokens_stop_working_and_their_logins_are_refused() {
    let (s, admin) = Server::start_with_admin().await;
    let u = s.register("ada", false).await;
    let pair = s.tokens(&u).await;
    let r = s.call(Method::PATCH, &format!("/users/{}", u.id), Some(&admin), Some(json!({"is_active": false}))).await;
    assert_eq!(r.ok(200)["is_active"], false);
    s.assert_revoked(&pair).await;
    s.login(&u).await.problem(400, "invalid_credentials");
    s.call(Method::PATCH, &format!("/users/{}", u.id), Some(&admin), Some(json!({"is_active": true}))).await.ok(200);
    s.login(&u).await.ok(200);
}

#[tokio::test]
async fn deleting_a_user_removes_their_sessions_and_keeps_their_events() {
    let (s, admin) = Server::start_with_admin().await;
    let u = s.register("ada", false).await;
    let pair = s.tokens(&u).await;
    let r = s.call(Method::DELETE, &format!("/users/{}", u.id), Some(&admin), None).await;
    assert_eq!(r.status.as_u16(), 204);
    s.me(&token(&pair, "access_token")).await.problem(401, "session_revoked");
    s.refresh(&token(&pair, "refresh_token")).await.problem(401, "token_invalid");
    s.call(Method::GET, &format!("/users/{}", u.id), Some(&admin), None).await.problem(404, "user_not_found");
    let events = s.call(Method::GET, &format!("/users/{}/events", u.id), Some(&admin), None).await;
    let kinds: Vec<&str> =
        events.ok(200)["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"user_deleted_by_admin"));
}

#[tokio::test]
async fn the_last_active_admin_cannot_demote_deactivate_or_delete_themselves() {
    local_only!("demotes the administrator the other tests share");
    let (s, admin) = Server::start_with_admin().await;
    let me = s.me(&admin).await.ok(200)["id"].as_str().unwrap().to_owned();
    let path = format!("/users/{me}");
    for change in [json!({"is_admin": false}), json!({"is_active": false})] {
        let r = s.call(Method::PATCH, &path, Some(&admin), Some(change)).await;
        r.problem(409, "last_admin");
    }
    s.call(Method::DELETE, &path, Some(&admin), None).await.problem(409, "last_admin");
    let pw = json!({"password": crate::harness::ADMIN_PASSWORD});
    s.call(Method::DELETE, "/users/me", Some(&admin), Some(pw)).await.problem(409, "last_admin");
    assert_eq!(s.me(&admin).await.ok(200)["is_admin"], true);
    // A second admin lets the first step down.
    let deputy = s.register("deputy", false).await;
    s.call(Method::PATCH, &format!("/users/{}", deputy.id), Some(&admin), Some(json!({"is_admin": true})))
        .await
        .ok(200);
    s.call(Method::PATCH, &path, Some(&admin), Some(json!({"is_admin": false}))).await.ok(200);
    s.call(Method::GET, "/users", Some(&admin), None).await.problem(403, "forbidden");
}

#[tokio::test]
async fn events_record_what_happened_with_the_acting_admin_and_no_secret() {
    let (s, admin) = Server::start_with_admin().await;
    let u = s.register("bob", true).await;
    s.post("/auth/token", None, json!({"username": u.username, "password": "wrong-password-42"})).await;
    let tmp = s.temporary(&u).await;
    let code = s.latest_code(&u.email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    s.post("/auth/verify-otp", Some(&tmp), json!({"otp": wrong})).await.problem(400, "otp_invalid");
    let pair = s.post("/auth/verify-otp", Some(&tmp), json!({"otp": code})).await.ok(200).clone();
    let change = json!({"current_password": u.password, "password": "marmalade-quiver-71-lantern", "confirm_password": "marmalade-quiver-71-lantern"});
    s.post("/users/change-password", Some(&token(&pair, "access_token")), change).await.ok(200);
    s.call(Method::PATCH, &format!("/users/{}", u.id), Some(&admin), Some(json!({"name": "Robert"}))).await.ok(200);

    let path = format!("/users/{}/events?limit=3", u.id);
    let first = s.call(Method::GET, &path, Some(&admin), None).await.ok(200).clone();
    let cursor = first["next_cursor"].as_str().expect("more pages").to_owned();
    let rest = s
        .call(Method::GET, &format!("/users/{}/events?limit=100&before={cursor}", u.id), Some(&admin), None)
        .await
        .ok(200)
        .clone();
    let all: Vec<Value> =
        first["items"].as_array().unwrap().iter().chain(rest["items"].as_array().unwrap()).cloned().collect();
    // The courier records the delivery in the background, so its place
    // among the request's events is not fixed.
    let sent: Vec<(&str, &str)> = all
        .iter()
        .filter(|e| e["kind"] == "delivery_sent")
        .map(|e| (e["detail"]["channel"].as_str().unwrap(), e["detail"]["kind"].as_str().unwrap()))
        .collect();
    assert!(sent.contains(&("email", "login_code")), "the courier's record of the login code: {sent:?}");
    assert!(sent.contains(&("email", "email_verification")), "and of the registration's mail: {sent:?}");
    let kinds: Vec<&str> = all.iter().map(|e| e["kind"].as_str().unwrap()).filter(|k| *k != "delivery_sent").collect();
    assert_eq!(
        kinds,
        [
            "user_updated_by_admin",
            "password_changed",
            "login_succeeded",
            "otp_verified",
            "otp_failed",
            "otp_sent",
            "login_failed",
            // The registration's mail proving the address.
            "otp_sent",
            "registered"
        ]
    );
    let admin_id = s.me(&admin).await.ok(200)["id"].clone();
    assert_eq!(all[0]["actor_id"], admin_id);
    assert_eq!(all[0]["detail"]["fields"], "name");
    // Counts are JSON numbers and yes/no are booleans, not strings.
    let failed = all.iter().find(|e| e["kind"] == "otp_failed").unwrap();
    assert_eq!((&failed["detail"]["remaining_attempts"], &failed["detail"]["method"]), (&json!(4), &json!("email")));
    let sent = all.iter().find(|e| e["kind"] == "otp_sent").unwrap();
    assert_eq!(sent["detail"]["resend"], json!(false), "{sent}");
    let text = Value::Array(all).to_string();
    for secret in [u.password.as_str(), "wrong-password-42", "marmalade", code.as_str(), tmp.as_str()] {
        assert!(!text.contains(secret), "an event carries {secret:?}");
    }
}

#[tokio::test]
async fn bootstrap_variables_make_the_first_admin_once_across_restarts() {
    local_only!("restarts the server with bootstrap settings");
    let (mut s, _) = Server::start_with_admin().await;
    s.restart();
    let admin = s.admin_token().await;
    let admins = s.call(Method::GET, "/users?is_admin=true", Some(&admin), None).await;
    assert_eq!(admins.ok(200)["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn create_admin_creates_an_admin_with_a_password_from_stdin_or_promotes_a_user() {
    local_only!("runs the authd CLI on the server's own data");
    let s = Server::start().await;
    let out =
        s.cli(&["create-admin", "--email", "chief@example.com", "--username", "chief"], "plum-orchard-velvet-62\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let chief = s.post("/auth/token", None, json!({"username": "chief", "password": "plum-orchard-velvet-62"})).await;
    let access = token(chief.ok(200), "access_token");
    s.call(Method::GET, "/users", Some(&access), None).await.ok(200);

    let u = s.register("ada", false).await;
    let out = s.cli(&["create-admin", "--email", &u.email, "--username", &u.username], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("now an active administrator"));
    assert_eq!(s.me(&user_token(&s, &u).await).await.ok(200)["is_admin"], true);

    let weak = s.cli(&["create-admin", "--email", "weak@example.com", "--username", "weakling"], "password\n");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("too weak"), "{}", String::from_utf8_lossy(&weak.stderr));
}

#[tokio::test]
async fn create_admin_on_a_terminal_asks_for_the_password_twice_and_creates_nothing_when_they_differ() {
    local_only!("runs the authd CLI on the server's own data");
    let s = Server::start().await;
    let args = ["create-admin", "--email", "typo@example.com", "--username", "typo"];
    let typo = s.cli_on_terminal(&args, "plum-orchard-velvet-62\nplum-orchard-velvet-26\n");
    let said = String::from_utf8_lossy(&typo.stdout).into_owned();
    assert!(!typo.status.success() && said.contains("The same password again") && said.contains("differ"), "{said}");
    let refused = s.post("/auth/token", None, json!({"username": "typo", "password": "plum-orchard-velvet-62"})).await;
    refused.problem(400, "invalid_credentials");

    let typed = s.cli_on_terminal(&args, "plum-orchard-velvet-62\nplum-orchard-velvet-62\n");
    let said = String::from_utf8_lossy(&typed.stdout).into_owned();
    assert!(typed.status.success() && said.contains("created administrator typo"), "{said}");
    s.post("/auth/token", None, json!({"username": "typo", "password": "plum-orchard-velvet-62"})).await.ok(200);
}
