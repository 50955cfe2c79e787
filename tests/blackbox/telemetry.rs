//! What operators read: a request id on every answer, one access-log line
//! per request in its span, and a 500's error id logged under the same
//! request id, never a secret.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Server, local_only, token};

/// The access-log line of the request answered with `id`.
async fn access_line(s: &Server, id: &str) -> Value {
    s.log_line(&format!("request {id}"), |l| l["fields"]["message"] == "answered" && l["span"]["request_id"] == id)
        .await
}

#[tokio::test]
async fn a_request_with_an_app_key_logs_the_app_it_came_from() {
    local_only!("reads the log of a server it starts");
    let (s, admin) = Server::start_with_admin().await;
    let app = s.post("/apps", Some(&admin), json!({"name": "Logged", "channels": ["email"]})).await.ok(201).clone();
    let key = token(&app, "api_key");
    let sent = s.post("/verifications", Some(&key), json!({"to": "logged@example.com", "channel": "email"})).await;
    let id = sent.header("x-request-id").unwrap().to_owned();
    let line = access_line(&s, &id).await;
    assert_eq!(
        (line["span"]["app_id"].as_str(), line["fields"]["status"].as_u64()),
        (app["id"].as_str(), Some(201)),
        "{line}"
    );
    assert!(!line.to_string().contains(&key[10..]), "never the key: {line}");
}

#[tokio::test]
async fn every_request_gets_one_access_log_line_with_its_id_route_status_latency_and_caller() {
    local_only!("reads the log of a server it starts");
    let s = Server::start().await;
    let u = s.register("logged", false).await;
    let pair = s.tokens(&u).await;
    let access = token(&pair, "access_token");
    let me = s.me(&access).await;
    let id = me.header("x-request-id").expect("every answer names its request").to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "a generated id is a UUID: {id}");

    let line = access_line(&s, &id).await;
    assert_eq!(line["span"]["method"], "GET", "{line}");
    assert_eq!(line["fields"]["route"], "/api/v1/users/me", "the route template: {line}");
    assert_eq!(line["fields"]["status"], 200, "{line}");
    assert!(line["fields"]["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{line}");
    assert_eq!(line["fields"]["user_id"], u.id, "the checked caller: {line}");
    assert!(line["fields"]["session_id"].as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok()), "{line}");
    let lines = s.log_lines();
    let for_id =
        lines.iter().filter(|l| l["span"]["request_id"] == id.as_str() && l["fields"]["message"] == "answered");
    assert_eq!(for_id.count(), 1, "one access line per request");

    // A route with an id is logged by its template, not its path.
    let unknown = s.call(Method::GET, "/users/00000000-0000-0000-0000-000000000000", Some(&access), None).await;
    let line = access_line(&s, unknown.header("x-request-id").unwrap()).await;
    // poem names path parameters by position: `/api/v1/users/:param0`.
    assert!(
        line["fields"]["route"].as_str().is_some_and(|r| r.starts_with("/api/v1/users/:") && !r.contains("0000")),
        "{line}"
    );
    assert_eq!(line["fields"]["status"], 403, "{line}");
    let nowhere = s.call(Method::GET, "/no/such/route/secret-looking-part", None, None).await;
    let line = access_line(&s, nowhere.header("x-request-id").unwrap()).await;
    // Only the part of a template that matched: the `/api/v1` prefix.
    assert_eq!((&line["fields"]["route"], &line["fields"]["status"]), (&json!("/api/v1"), &json!(404)), "{line}");

    let all = s.logs_text();
    for secret in [u.password.as_str(), access.as_str(), token(&pair, "refresh_token").as_str(), "secret-looking-part"]
    {
        assert!(!all.contains(secret), "the log holds a secret or a raw path: {secret}");
    }
}

#[tokio::test]
async fn a_request_id_is_taken_only_from_a_trusted_proxy_and_only_when_sane() {
    local_only!("needs its own trusted proxies");
    let s = Server::start_with(&[("AUTHD_TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    let live = |id: &'static str| s.http.get(s.url("/health/live")).header("x-request-id", id).send();
    let kept = live("lb-7f3a-0001").await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "lb-7f3a-0001", "a trusted proxy's id is kept");
    let odd = live("has spaces and \"quotes\"").await.unwrap();
    assert_ne!(odd.headers()["x-request-id"], "has spaces and \"quotes\"", "a malformed id is replaced");

    let untrusting = Server::start_with(&[("AUTHD_TRUSTED_PROXIES", "")]).await;
    let r =
        untrusting.http.get(untrusting.url("/health/live")).header("x-request-id", "forged-id").send().await.unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "a client that is no trusted proxy gets an id of authd's own: {id}");
}

#[tokio::test]
async fn a_server_errors_id_is_logged_under_the_request_id_it_answered() {
    use sea_orm::ConnectionTrait;
    local_only!("breaks the database of a server it starts");
    let s = Server::start().await;
    let u = s.register("broken", false).await;
    let db = s.database().await;
    db.execute_unprepared("DROP TABLE sessions").await.unwrap();
    let r = s.login(&u).await;
    r.problem(500, "internal_error");
    let error_id = r.body["error_id"].as_str().expect("a 500 carries its error id").to_owned();
    let request_id = r.header("x-request-id").unwrap().to_owned();
    let logged = s.log_line("the error id", |l| l.to_string().contains(&error_id) && l["level"] == "ERROR").await;
    assert_eq!(
        logged["span"]["request_id"],
        request_id.as_str(),
        "the error is logged in its request's span: {logged}"
    );
    assert_eq!(access_line(&s, &request_id).await["fields"]["status"], 500);
}
