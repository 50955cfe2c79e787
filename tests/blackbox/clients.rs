//! OpenID Connect clients, as an administrator registers and manages them.

use reqwest::Method;
use serde_json::json;

use crate::harness::{Server, token};

#[tokio::test]
async fn an_admin_registers_a_confidential_client_sees_its_secret_once_rotates_changes_and_deletes_it() {
    let (s, admin) = Server::start_with_admin().await;
    let body = json!({"name": "Grafana", "type": "confidential",
                      "redirect_uris": ["https://grafana.example.com/login/generic_oauth"]});
    let made = s.post("/clients", Some(&admin), body).await.ok(201).clone();
    let (id, secret) = (made["client_id"].as_str().unwrap().to_owned(), token(&made, "client_secret"));
    assert!(secret.starts_with("authd_cs_") && secret.len() == 49, "{secret}");
    assert_eq!(made["scopes"], json!(["openid", "profile", "email", "phone", "offline_access"]));
    assert_eq!((&made["id_token_signed_response_alg"], &made["skip_consent"]), (&json!("RS256"), &json!(false)));

    let read = s.call(Method::GET, &format!("/clients/{id}"), Some(&admin), None).await.ok(200).clone();
    assert!(!read.to_string().contains(&secret[9..]), "the secret is never shown again: {read}");
    assert!(secret.starts_with(read["secrets"][0]["hint"].as_str().unwrap()));
    let listed = s.call(Method::GET, "/clients?limit=100", Some(&admin), None).await;
    assert!(listed.ok(200)["items"].as_array().unwrap().iter().any(|c| c["client_id"] == id.as_str()));

    let rotated = s.post(&format!("/clients/{id}/secret"), Some(&admin), json!({})).await.ok(201).clone();
    assert_ne!(token(&rotated, "client_secret"), secret);
    assert!(rotated["previous_secrets_expire_at"].is_string());
    let read = s.call(Method::GET, &format!("/clients/{id}"), Some(&admin), None).await.ok(200).clone();
    assert_eq!(read["secrets"].as_array().unwrap().len(), 2, "{read}");
    assert!(read["secrets"][0].get("expires_at").is_none() && read["secrets"][1]["expires_at"].is_string());

    let patch = json!({"name": "Grafana (prod)", "skip_consent": true, "scopes": ["openid", "email"]});
    let changed = s.call(Method::PATCH, &format!("/clients/{id}"), Some(&admin), Some(patch)).await.ok(200).clone();
    assert_eq!((&changed["name"], &changed["scopes"]), (&json!("Grafana (prod)"), &json!(["openid", "email"])));
    let gone = s.call(Method::DELETE, &format!("/clients/{id}"), Some(&admin), None).await;
    assert_eq!(gone.status.as_u16(), 204);
    s.call(Method::GET, &format!("/clients/{id}"), Some(&admin), None).await.problem(404, "client_not_found");
}

#[tokio::test]
async fn a_public_client_has_no_secret_and_a_redirect_uri_that_could_leak_a_code_is_refused() {
    let (s, admin) = Server::start_with_admin().await;
    let body = json!({"name": "SPA", "type": "public", "redirect_uris": ["http://127.0.0.1:5173/cb"]});
    let made = s.post("/clients", Some(&admin), body).await.ok(201).clone();
    assert!(made.get("client_secret").is_none(), "{made}");
    let id = made["client_id"].as_str().unwrap();
    s.post(&format!("/clients/{id}/secret"), Some(&admin), json!({})).await.problem(409, "client_public");
    for uri in ["http://app.example.com/cb", "https://app.example.com/cb#x", "javascript:alert(1)"] {
        let body = json!({"name": "Bad", "type": "public", "redirect_uris": [uri]});
        let refused = s.post("/clients", Some(&admin), body).await;
        assert_eq!(refused.problem(400, "invalid_field").body["field"], "redirect_uris", "{uri}");
    }
    let no_openid =
        json!({"name": "X", "type": "public", "redirect_uris": ["https://a.example/cb"], "scopes": ["email"]});
    assert_eq!(s.post("/clients", Some(&admin), no_openid).await.problem(400, "invalid_field").body["field"], "scopes");
    let u = s.register("ada", false).await;
    let access = token(&s.tokens(&u).await, "access_token");
    s.call(Method::GET, "/clients", Some(&access), None).await.problem(403, "forbidden");
}
