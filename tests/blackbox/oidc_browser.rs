//! An application signs a person in through authd in a real browser
//! (headless Chromium): the login page, the consent page, and the way back
//! to the application, which the pages' `form-action 'self'` must not block.
//! Then the application signs the person out (RP-initiated logout).
//! Screenshots of the consent page, the application reached, and the
//! sign-out confirmation.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::browser::Browser;
use crate::harness::{Server, local_only};

/// The application's redirect URI: a server that keeps the first line of
/// each request and answers with a page of its own.
async fn application() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirect = format!("http://127.0.0.1:{}/callback", listener.local_addr().unwrap().port());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let first = String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or("").to_owned();
                let _ = tx.send(first.clone());
                let body = if first.contains("/signed-out") {
                    "<!doctype html><title>Acme Wiki</title><body style=\"font-family:sans-serif;margin:3em\">\
                     <h1>Acme Wiki</h1><p>You are signed out of Acme Wiki and of authd.</p>"
                } else {
                    "<!doctype html><title>Acme Wiki</title><body style=\"font-family:sans-serif;margin:3em\">\
                     <h1>Acme Wiki</h1><p>Welcome back: authd signed you in and sent you here with a code.</p>"
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(format!("{head}{body}").as_bytes()).await;
            });
        }
    });
    (redirect, rx)
}

#[tokio::test]
async fn an_application_signs_a_person_in_through_the_login_and_consent_pages_in_a_real_browser() {
    local_only!("drives a browser on this machine");
    let Some(b) = Browser::start().await else { return };
    let (s, admin) = Server::start_with_admin().await;
    let (redirect, mut requests) = application().await;
    let signed_out = redirect.replace("/callback", "/signed-out");
    let body = json!({"name": "Acme Wiki", "type": "public", "redirect_uris": [redirect],
        "post_logout_redirect_uris": [signed_out]});
    let client = s.post("/clients", Some(&admin), body).await.ok(201).clone();
    let user = s.register("wiki", false).await;
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "code")
        .append_pair("client_id", client["client_id"].as_str().unwrap())
        .append_pair("redirect_uri", &redirect)
        .append_pair("scope", "openid profile email")
        .append_pair("state", "s-1")
        .append_pair("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        .append_pair("code_challenge_method", "S256");
    b.open(&s.url(&format!("/oauth2/authorize?{}", q.finish()))).await;
    assert_eq!(b.path().await, "/ui/login", "no session: the login page first");
    b.fill("#username", &user.username).await;
    b.fill("#password", &user.password).await;
    b.click("#login").await;
    assert!(b.path().await.starts_with("/ui/consent?request="));
    assert_eq!(b.text("h1").await, "Allow Acme Wiki?");
    assert!(b.text("#scopes").await.contains("Your email address"));
    b.screenshot("consent").await;
    // Allowing answers with a page that sends the browser on by a new
    // navigation (`<meta http-equiv="refresh">`), which the pages' CSP
    // `form-action 'self'` does not hold back as it would a redirect.
    b.click("#allow").await;
    let landed = arrive(&b, &redirect).await;
    let params: std::collections::HashMap<String, String> = landed.query_pairs().into_owned().collect();
    assert!(params["code"].starts_with("authd_ac_") && params["state"] == "s-1", "{landed}");
    assert_eq!(params["iss"], s.public_url().trim_end_matches('/'));
    let first = page_request(&mut requests).await;
    assert!(first.starts_with("GET /callback?code=authd_ac_"), "{first}");
    b.screenshot("back-at-the-application").await;

    // The application signs the person out (RP-initiated logout): they
    // confirm on authd's page and come back to its registered address.
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("client_id", client["client_id"].as_str().unwrap())
        .append_pair("post_logout_redirect_uri", &signed_out)
        .append_pair("state", "o-1");
    b.open(&s.url(&format!("/oauth2/logout?{}", q.finish()))).await;
    assert_eq!(b.text("h1").await, "Sign out?");
    assert!(b.text("main").await.contains("Acme Wiki"));
    b.screenshot("logout-app").await;
    b.click("#sign-out").await;
    let landed = arrive(&b, &signed_out).await;
    assert_eq!(landed.query(), Some("state=o-1"));
    assert_eq!(page_request(&mut requests).await, "GET /signed-out?state=o-1 HTTP/1.1");
    b.open(&s.url("/ui/account")).await;
    assert_eq!(b.path().await, "/ui/login?done=session_over", "the browser session ended, and the page says so");
    b.close().await;
}

/// The next request the application got for a page (not its icon).
async fn page_request(requests: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> String {
    loop {
        let line = requests.recv().await.unwrap();
        if !line.starts_with("GET /favicon.ico") {
            return line;
        }
    }
}

/// Waits until the browser is at an address starting with `prefix` (after
/// a page that moves on by itself).
async fn arrive(b: &Browser, prefix: &str) -> url::Url {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = b.client.current_url().await.unwrap();
        if url.as_str().starts_with(prefix) {
            return url;
        }
        assert!(Instant::now() < deadline, "the browser never reached {prefix}: at {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
