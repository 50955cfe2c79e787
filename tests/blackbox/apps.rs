//! Applications for the verification API, as an administrator manages them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Server, local_only, token};

fn new_app(name: &str) -> Value {
    json!({"name": name, "channels": ["email", "sms"]})
}

fn kinds(page: &Value) -> Vec<String> {
    let items = page["items"].as_array().unwrap();
    items.iter().rev().map(|e| e["kind"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn an_admin_registers_an_app_sees_its_key_once_changes_rotates_and_deletes_it() {
    let (s, admin) = Server::start_with_admin().await;
    let made = s.post("/apps", Some(&admin), new_app("Acme shop")).await;
    let app = made.ok(201).clone();
    let (id, key) = (app["id"].as_str().unwrap().to_owned(), token(&app, "api_key"));
    assert!(key.starts_with("authd_app_") && key.len() == 50, "{key}");
    assert_eq!(
        (app["code_length"].as_u64(), app["ttl_seconds"].as_u64(), app["max_attempts"].as_u64()),
        (Some(6), Some(300), Some(5))
    );
    assert_eq!(app["channels"], json!(["email", "sms"]));

    let read = s.call(Method::GET, &format!("/apps/{id}"), Some(&admin), None).await;
    let read = read.ok(200);
    assert!(
        read.get("api_key").is_none() && !read.to_string().contains(&key[10..]),
        "the key is never shown again: {read}"
    );
    assert!(key.starts_with(read["keys"][0]["hint"].as_str().unwrap()));
    let listed = s.call(Method::GET, "/apps?limit=100", Some(&admin), None).await;
    assert!(listed.ok(200)["items"].as_array().unwrap().iter().any(|a| a["id"] == id.as_str()));

    let patch = json!({"max_attempts": 3, "ttl_seconds": 120, "name": "Acme"});
    let changed = s.call(Method::PATCH, &format!("/apps/{id}"), Some(&admin), Some(patch)).await;
    assert_eq!((changed.ok(200)["max_attempts"].as_u64(), changed.ok(200)["name"].as_str()), (Some(3), Some("Acme")));

    let rotated = s.post(&format!("/apps/{id}/keys"), Some(&admin), json!({})).await;
    let new_key = token(rotated.ok(201), "api_key");
    assert_ne!(new_key, key);
    assert!(rotated.ok(201)["previous_keys_expire_at"].is_string());
    let keys = s.call(Method::GET, &format!("/apps/{id}"), Some(&admin), None).await.ok(200)["keys"].clone();
    assert_eq!(keys.as_array().unwrap().len(), 2);
    assert!(keys[0].get("expires_at").is_none() && keys[1]["expires_at"].is_string(), "{keys}");

    s.call(Method::DELETE, &format!("/apps/{id}"), Some(&admin), None).await.ok(204);
    s.call(Method::GET, &format!("/apps/{id}"), Some(&admin), None).await.problem(404, "app_not_found");
    s.call(Method::DELETE, &format!("/apps/{id}"), Some(&admin), None).await.problem(404, "app_not_found");
    let events = s.call(Method::GET, &format!("/apps/{id}/events"), Some(&admin), None).await;
    assert_eq!(kinds(events.ok(200)), ["app_created", "app_updated", "app_key_rotated", "app_deleted"]);
    assert!(events.ok(200)["items"][0]["app_id"] == id.as_str() && events.ok(200)["items"][0].get("user_id").is_none());
}

#[tokio::test]
async fn app_settings_outside_their_limits_are_refused_naming_the_field() {
    let (s, admin) = Server::start_with_admin().await;
    let cases = [
        (json!({"name": "x", "channels": ["email"], "code_length": 3}), "code_length"),
        (json!({"name": "x", "channels": ["email"], "code_length": 11}), "code_length"),
        (json!({"name": "x", "channels": ["email"], "ttl_seconds": 59}), "ttl_seconds"),
        (json!({"name": "x", "channels": ["email"], "ttl_seconds": 3601}), "ttl_seconds"),
        (json!({"name": "x", "channels": ["email"], "max_attempts": 0}), "max_attempts"),
        (json!({"name": "x", "channels": ["email"], "max_attempts": 11}), "max_attempts"),
        (json!({"name": "", "channels": ["email"]}), "name"),
        (json!({"name": "   ", "channels": ["email"]}), "name"),
    ];
    for (body, field) in cases {
        let r = s.post("/apps", Some(&admin), body.clone()).await;
        assert_eq!(r.problem(400, "invalid_field").body["field"], field, "{body}");
    }
    s.post("/apps", Some(&admin), json!({"name": "x", "channels": ["pigeon"]})).await.problem(400, "bad_request");
    s.post("/apps", Some(&admin), json!({"name": "x", "channels": []})).await.problem(400, "invalid_field");
    s.post("/apps", Some(&admin), json!({"name": "x", "channels": ["email"], "api_key": "mine"}))
        .await
        .problem(400, "bad_request");
    let listed = s.call(Method::GET, "/apps", Some(&admin), None).await;
    assert!(listed.ok(200)["items"].as_array().unwrap().iter().all(|a| a["name"] != "x"), "nothing was stored");
}

#[tokio::test]
async fn every_app_route_refuses_non_admins_with_403() {
    let (s, admin) = Server::start_with_admin().await;
    let id = s.post("/apps", Some(&admin), new_app("Mine")).await.ok(201)["id"].as_str().unwrap().to_owned();
    let u = s.register("ada", false).await;
    let access = token(&s.tokens(&u).await, "access_token");
    let routes = [
        (Method::POST, "/apps".to_owned(), Some(new_app("Theirs"))),
        (Method::GET, "/apps".to_owned(), None),
        (Method::GET, format!("/apps/{id}"), None),
        (Method::PATCH, format!("/apps/{id}"), Some(json!({"is_active": false}))),
        (Method::POST, format!("/apps/{id}/keys"), None),
        (Method::DELETE, format!("/apps/{id}"), None),
        (Method::GET, format!("/apps/{id}/events"), None),
    ];
    for (method, path, body) in routes {
        s.call(method.clone(), &path, Some(&access), body.clone()).await.problem(403, "forbidden");
        s.call(method, &path, None, body).await.problem(401, "token_missing");
    }
    let read = s.call(Method::GET, &format!("/apps/{id}"), Some(&admin), None).await;
    assert_eq!(read.ok(200)["is_active"], true, "nothing changed");
}

#[tokio::test]
async fn an_api_key_is_stored_only_as_a_keyed_hash() {
    local_only!("reads the server's database");
    let (s, admin) = Server::start_with_admin().await;
    let key = token(s.post("/apps", Some(&admin), new_app("Acme")).await.ok(201), "api_key");
    use sea_orm::ConnectionTrait;
    let db = s.database().await;
    let sql = "SELECT key_hash, hint FROM app_keys";
    let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    let (hash, hint): (String, String) = (row.try_get("", "key_hash").unwrap(), row.try_get("", "hint").unwrap());
    assert_eq!(hash.len(), 64, "an HMAC-SHA256, hex");
    assert!(!hash.contains(&key[10..20]) && !key.contains(&hash[..10]), "no part of the key");
    assert_eq!(hint, &key[..16]);
}
