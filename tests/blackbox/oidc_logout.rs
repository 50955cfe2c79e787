//! RP-initiated logout over HTTP, through the real pages: an application
//! sends the person to `/oauth2/logout`; they confirm on authd's page, and
//! come back to the application's registered address with its `state`.

use serde_json::json;

use crate::harness::Server;
use crate::oidc::{Browser, REDIRECT, between, params, register_client, sign_in, unescape};

const AFTER: &str = "https://app.example.com/signed-out";

fn logout_url(hint: &str, uri: &str, state: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("id_token_hint", hint).append_pair("post_logout_redirect_uri", uri).append_pair("state", state);
    format!("/oauth2/logout?{}", q.finish())
}

/// The value of the confirmation form's hidden field `name`, as the browser would send it.
fn field(html: &str, name: &str) -> String {
    unescape(&between(html, &format!("name=\"{name}\" value=\""), "\"").expect(name))
}

#[tokio::test]
async fn an_application_signs_the_person_out_after_they_confirm_and_gets_them_back_at_a_registered_address_only() {
    let (s, admin) = Server::start_with_admin().await;
    let discovery: serde_json::Value =
        s.http.get(s.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    let issuer = discovery["issuer"].as_str().unwrap();
    assert_eq!(discovery["end_session_endpoint"], format!("{issuer}/oauth2/logout"));
    let body = json!({"name": "Acme Wiki", "type": "confidential", "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [AFTER], "skip_consent": true});
    let client = register_client(&s, &admin, body).await;
    let (client_id, secret) = (client["client_id"].as_str().unwrap(), client["client_secret"].as_str().unwrap());
    let ada = s.register("ada", false).await;
    let mut b = Browser::new(&s);
    let tokens = sign_in(&mut b, (client_id, secret), &ada, "openid").await;
    let id_token = tokens["id_token"].as_str().unwrap();

    // An address the client did not register, or a hint that is not ours: a page, never a redirect.
    for url in [logout_url(id_token, "https://evil.example.com/", "x"), logout_url("junk", AFTER, "x")] {
        let (status, html) = b.get(&url).await.page();
        assert!(status == 400 && html.contains("Sign-out refused"), "{url}: {status} {html}");
    }
    // The endpoint's pages refuse framing.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = http.get(s.url(&logout_url(id_token, "https://evil.example.com/", "x"))).send().await.unwrap();
    assert!(resp.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    // The confirmation page: names the application and the person.
    let url = logout_url(id_token, AFTER, "st ate/1");
    let (status, confirm) = b.get(&url).await.page();
    assert_eq!(status, 200);
    assert!(confirm.contains("Sign out?") && confirm.contains("Acme Wiki") && confirm.contains("ada"), "{confirm}");
    // Still signed in until the person answers.
    let (_, account) = b.get("/ui/account").await.page();
    assert!(account.contains("ada"), "the check alone signs nobody out");
    // A form without our token ends nothing.
    let forged = http
        .post(s.url("/ui/logout/app"))
        .form(&[("answer", "sign_out"), ("client_id", client_id), ("post_logout_redirect_uri", AFTER)])
        .send()
        .await
        .unwrap();
    assert!(forged.status().is_client_error() && forged.headers().get("location").is_none());
    // The answer: signed out here, back at the registered address with the state.
    let fields: Vec<(&str, String)> =
        ["client_id", "post_logout_redirect_uri", "state"].iter().map(|n| (*n, field(&confirm, n))).collect();
    let mut form: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    form.push(("answer", "sign_out"));
    let back = b.submit(&confirm, "/ui/logout/app", &form).await.app();
    assert_eq!(back, format!("{AFTER}?state=st+ate%2F1"));
    let (_, page) = b.get("/ui/account").await.page();
    assert!(page.contains("name=\"password\""), "the browser session ended: the login page");

    // Nobody signed in: straight back, no page.
    let back = b.get(&logout_url(id_token, AFTER, "again")).await.app();
    assert_eq!(params(&back)["state"], "again");
    // An application's form POST (which carries no cookie of ours) goes on as a GET with the same request.
    let posted = http
        .post(s.url("/oauth2/logout"))
        .form(&[("id_token_hint", id_token), ("post_logout_redirect_uri", AFTER), ("state", "p")])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 303);
    let location = posted.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/oauth2/logout?id_token_hint="), "{location}");
    assert_eq!(params(location)["post_logout_redirect_uri"], AFTER);
}
