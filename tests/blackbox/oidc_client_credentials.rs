//! `grant_type=client_credentials` over HTTP: a confidential client's token
//! of its own, which introspection reads and revocation ends, and which no
//! route that speaks of a user takes.

use reqwest::Method;
use serde_json::json;

use crate::harness::Server;
use crate::oidc::{REDIRECT, jwt_parts, register_client, token_request};

#[tokio::test]
async fn a_confidential_client_gets_a_token_of_its_own_with_no_user_which_introspection_reads_and_revocation_ends() {
    let (s, admin) = Server::start_with_admin().await;
    let discovery: serde_json::Value =
        s.http.get(s.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        discovery["grant_types_supported"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    let body = json!({"name": "Billing", "type": "confidential", "redirect_uris": [REDIRECT]});
    let service = register_client(&s, &admin, body).await;
    let (id, secret) = (service["client_id"].as_str().unwrap(), service["client_secret"].as_str().unwrap());
    let public =
        register_client(&s, &admin, json!({"name": "SPA", "type": "public", "redirect_uris": [REDIRECT]})).await;

    // Public clients, user scopes and a wrong secret are refused as RFC 6749 §5.2 says.
    let grant = [("grant_type", "client_credentials")];
    let public_form = [("grant_type", "client_credentials"), ("client_id", public["client_id"].as_str().unwrap())];
    let (status, refused) = token_request(&s, None, &public_form).await;
    assert_eq!((status, refused["error"].as_str()), (400, Some("unauthorized_client")));
    let (status, refused) = token_request(&s, Some((id, secret)), &[grant[0], ("scope", "openid email")]).await;
    assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_scope")));
    let (status, refused) = token_request(&s, Some((id, "authd_cs_wrong")), &grant).await;
    assert_eq!((status, refused["error"].as_str()), (401, Some("invalid_client")));

    let (status, tokens) = token_request(&s, Some((id, secret)), &grant).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens.get("refresh_token").is_none() && tokens.get("id_token").is_none(), "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    let (header, claims) = jwt_parts(access);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!((claims["sub"].as_str(), claims["aud"].as_str()), (Some(id), Some(id)), "RFC 9068 §2.2: the client");
    assert!(claims.get("amr").is_none(), "no user proved anything");

    // No route that speaks of a user takes it.
    s.call(Method::GET, "/users/me", Some(access), None).await.problem(401, "token_invalid");
    s.call(Method::POST, "/auth/verify-token", Some(access), None).await.problem(401, "token_invalid");
    let userinfo = s.http.get(s.url("/oauth2/userinfo")).bearer_auth(access).send().await.unwrap();
    assert_eq!(userinfo.status().as_u16(), 401);

    let introspect = |token: String| {
        s.http.post(s.url("/oauth2/introspect")).basic_auth(id, Some(secret)).form(&[("token", token)]).send()
    };
    let live: serde_json::Value = introspect(access.to_owned()).await.unwrap().json().await.unwrap();
    assert_eq!(
        (live["active"].as_bool(), live["sub"].as_str(), live["client_id"].as_str()),
        (Some(true), Some(id), Some(id))
    );
    assert!(live.get("sid").is_none(), "no session: {live}");

    // Revoking one token ends the client's credentials grant: every token of it.
    let (_, second) = token_request(&s, Some((id, secret)), &grant).await;
    let second = second["access_token"].as_str().unwrap().to_owned();
    let revoked =
        s.http.post(s.url("/oauth2/revoke")).basic_auth(id, Some(secret)).form(&[("token", access)]).send().await;
    assert_eq!(revoked.unwrap().status().as_u16(), 200);
    for token in [access.to_owned(), second] {
        let dead: serde_json::Value = introspect(token).await.unwrap().json().await.unwrap();
        assert_eq!(dead, json!({"active": false}));
    }
    // Its own grants are the client's events, which admins read.
    let events = s.call(Method::GET, &format!("/clients/{id}/events"), Some(&admin), None).await.ok(200).clone();
    let kinds: Vec<&str> = events["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["oidc_token_revoked", "oidc_tokens_issued", "oidc_tokens_issued"]);
    assert_eq!(events["items"][0]["client_id"], id);
    // A new token opens a new grant; deleting the client ends it.
    let (_, third) = token_request(&s, Some((id, secret)), &grant).await;
    let third = third["access_token"].as_str().unwrap().to_owned();
    let live: serde_json::Value = introspect(third.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(live["active"], true);
    s.call(Method::DELETE, &format!("/clients/{id}"), Some(&admin), None).await.ok(204);
    let other =
        register_client(&s, &admin, json!({"name": "RS", "type": "confidential", "redirect_uris": [REDIRECT]})).await;
    let gone: serde_json::Value = s
        .http
        .post(s.url("/oauth2/introspect"))
        .basic_auth(other["client_id"].as_str().unwrap(), Some(other["client_secret"].as_str().unwrap()))
        .form(&[("token", third)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(gone, json!({"active": false}));
}
