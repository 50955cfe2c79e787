//! The web pages over real HTTP: what only a real connection shows.

use crate::harness::{Server, local_only};

#[tokio::test]
async fn cookies_are_secure_and_host_prefixed_when_a_trusted_proxy_says_https() {
    local_only!("needs AUTHD_TRUSTED_PROXIES");
    let s = Server::start_with(&[("AUTHD_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let cookie = |r: &reqwest::Response| r.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    let tls = s.http.get(s.url("/ui/login")).header("x-forwarded-proto", "https").send().await.unwrap();
    let line = cookie(&tls);
    assert!(line.starts_with("__Host-authd_csrf=") && line.contains("Secure") && line.contains("Path=/"), "{line}");
    let plain = s.http.get(s.url("/ui/login")).send().await.unwrap();
    assert!(cookie(&plain).starts_with("authd_csrf=") && !cookie(&plain).contains("Secure"));
}

#[tokio::test]
async fn an_untrusted_peer_cannot_claim_https_for_its_cookies() {
    let s = Server::start().await;
    let r = s.http.get(s.url("/ui/login")).header("x-forwarded-proto", "https").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let line = r.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(line.starts_with("authd_csrf=") && !line.contains("Secure"), "{line}");
}
