//! The OpenID Connect provider over real HTTP: an application's request
//! goes through authd's own pages (login, code, consent) as a browser
//! would take it, and comes back to the application's redirect URI.

use std::collections::HashMap;

use serde_json::json;

use crate::harness::{Server, TestUser};

const REDIRECT: &str = "https://app.example.com/cb";
/// RFC 7636 Appendix B's challenge.
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A browser: its cookies, and redirects followed by hand so each step is seen.
pub struct Browser<'s> {
    server: &'s Server,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

/// Where a browser ended: a page of authd's (status and HTML), or the
/// application's address it was sent to.
#[derive(Debug)]
pub enum Landed {
    Page(u16, String),
    App(String),
}

impl Landed {
    pub fn app(self) -> String {
        match self {
            Landed::App(url) => url,
            Landed::Page(status, html) => panic!("expected the application, got a {status} page: {html}"),
        }
    }

    pub fn page(self) -> (u16, String) {
        match self {
            Landed::Page(status, html) => (status, html),
            Landed::App(url) => panic!("expected a page, went to {url}"),
        }
    }
}

impl<'s> Browser<'s> {
    pub fn new(server: &'s Server) -> Self {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { server, http, cookies: HashMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep_cookies(&mut self, resp: &reqwest::Response) {
        for line in resp.headers().get_all("set-cookie") {
            let pair = line.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn absolute(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with('/') { self.server.url(path_or_url) } else { path_or_url.to_owned() }
    }

    /// Sends a request and follows authd's redirects until a page or the application.
    async fn go(&mut self, mut resp: reqwest::Response) -> Landed {
        loop {
            self.keep_cookies(&resp);
            let status = resp.status().as_u16();
            let Some(to) = resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned()) else {
                let html = resp.text().await.unwrap();
                // The way back after one of our forms: a page that moves on by itself.
                if let Some(url) = meta_refresh(&html) {
                    return Landed::App(url);
                }
                return Landed::Page(status, html);
            };
            if !to.starts_with('/') && !to.starts_with(&self.server.url("/")) {
                return Landed::App(to);
            }
            resp = self.http.get(self.absolute(&to)).header("cookie", self.cookie_header()).send().await.unwrap();
        }
    }

    pub async fn get(&mut self, path_or_url: &str) -> Landed {
        let resp = self.http.get(self.absolute(path_or_url)).header("cookie", self.cookie_header()).send().await;
        self.go(resp.unwrap()).await
    }

    /// Fills the form at `page` (its CSRF token read from it) and posts it to `action`.
    pub async fn submit(&mut self, html: &str, action: &str, fields: &[(&str, &str)]) -> Landed {
        let csrf = between(html, "name=\"csrf\" value=\"", "\"").expect("a form token");
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let resp = self
            .http
            .post(self.server.url(action))
            .header("cookie", self.cookie_header())
            .form(&form)
            .send()
            .await
            .unwrap();
        self.go(resp).await
    }

    /// Logs in at the login page it is on.
    pub async fn log_in(&mut self, login_page: &str, user: &TestUser) -> Landed {
        let fields = [("username", user.username.as_str()), ("password", user.password.as_str())];
        self.submit(login_page, "/ui/login", &fields).await
    }
}

fn between(html: &str, start: &str, end: &str) -> Option<String> {
    let from = html.find(start)? + start.len();
    Some(html[from..].split(end).next()?.to_owned())
}

/// The address a `<meta http-equiv="refresh">` sends the browser to, its
/// character references read as a browser reads them.
fn meta_refresh(html: &str) -> Option<String> {
    let content = between(html, "http-equiv=\"refresh\" content=\"0;url=", "\"")?;
    Some(unescape(&content))
}

/// `&#NN;`, `&#xNN;`, `&amp;` and `&quot;` as the characters they stand for.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let Some(end) = rest[at..].find(';') else { break };
        let entity = &rest[at + 1..at + end];
        let c = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            _ => entity
                .strip_prefix("#x")
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| entity.strip_prefix('#').map(|d| d.parse()))
                .and_then(|n| n.ok())
                .and_then(char::from_u32),
        };
        out.push(c.expect("a character reference"));
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    out
}

/// The query parameters of the application address a browser was sent to.
pub fn params(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// Registers a client (an admin's call) and returns its id.
pub async fn register_client(s: &Server, admin: &str, body: serde_json::Value) -> serde_json::Value {
    s.post("/clients", Some(admin), body).await.ok(201).clone()
}

pub fn authorize_url(client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid email profile")
        .append_pair("state", "st ate/1")
        .append_pair("nonce", "n-0S6_WzA2Mj")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    format!("/oauth2/authorize?{}", q.finish())
}

#[tokio::test]
async fn a_request_goes_through_the_login_and_consent_pages_and_comes_back_with_code_state_and_iss() {
    let (s, admin) = Server::start_with_admin().await;
    let client =
        register_client(&s, &admin, json!({"name": "Acme Wiki", "type": "confidential", "redirect_uris": [REDIRECT]}))
            .await;
    let client_id = client["client_id"].as_str().unwrap();
    let ada = s.register("ada", false).await;
    let mut b = Browser::new(&s);
    let (status, login) = b.get(&authorize_url(client_id, &[])).await.page();
    assert_eq!(status, 200);
    assert!(login.contains("name=\"password\""), "no session: the login page first");
    let (status, consent) = b.log_in(&login, &ada).await.page();
    assert_eq!(status, 200);
    assert!(consent.contains("Allow Acme Wiki?") && consent.contains("Your email address"), "{consent}");
    assert!(consent.contains("app.example.com"), "the consent page names where the answer goes");
    let request = between(&consent, "name=\"request\" value=\"", "\"").unwrap();
    let url = b.submit(&consent, "/ui/consent", &[("request", &request), ("answer", "allow")]).await.app();
    assert!(url.starts_with(&format!("{REDIRECT}?code=authd_ac_")), "{url}");
    let p = params(&url);
    assert_eq!(p["state"], "st ate/1", "state passed through untouched");
    assert_eq!(p["iss"], s.public_url().trim_end_matches('/'), "RFC 9207 iss");
    // The consent is remembered: the next request comes straight back.
    let again = b.get(&authorize_url(client_id, &[])).await.app();
    assert!(params(&again)["code"].starts_with("authd_ac_") && params(&again)["code"] != p["code"]);
    // The same request answered again (a stale tab) goes nowhere.
    let (status, html) = b.submit(&consent, "/ui/consent", &[("request", &request), ("answer", "allow")]).await.page();
    assert!(status == 400 && html.contains("expired or was already answered"), "{status} {html}");
}

#[tokio::test]
async fn an_unknown_client_or_unregistered_redirect_uri_gets_a_page_never_a_redirect_and_other_faults_go_back() {
    let (s, admin) = Server::start_with_admin().await;
    let client =
        register_client(&s, &admin, json!({"name": "App", "type": "public", "redirect_uris": [REDIRECT]})).await;
    let client_id = client["client_id"].as_str().unwrap();
    let mut b = Browser::new(&s);
    let evil = authorize_url(client_id, &[]).replace("app.example.com", "evil.example.com");
    let (status, html) = b.get(&evil).await.page();
    assert!(status == 400 && html.contains("did not register"), "{status} {html}");
    let unknown = authorize_url(&uuid::Uuid::new_v4().to_string(), &[]);
    assert_eq!(b.get(&unknown).await.page().0, 400);
    let plain = authorize_url(client_id, &[]).replace("code_challenge_method=S256", "code_challenge_method=plain");
    let p = params(&b.get(&plain).await.app());
    assert_eq!((p["error"].as_str(), p["state"].as_str()), ("invalid_request", "st ate/1"));
    let implicit = authorize_url(client_id, &[]).replace("response_type=code", "response_type=token");
    assert_eq!(params(&b.get(&implicit).await.app())["error"], "unsupported_response_type");
    // prompt=none without a session: an answer, never a page.
    let silent = params(&b.get(&authorize_url(client_id, &[("prompt", "none")])).await.app());
    assert_eq!(silent["error"], "login_required");
}

#[tokio::test]
async fn a_declined_consent_answers_access_denied_and_the_pages_refuse_framing() {
    let (s, admin) = Server::start_with_admin().await;
    let client =
        register_client(&s, &admin, json!({"name": "App", "type": "public", "redirect_uris": [REDIRECT]})).await;
    let ada = s.register("ada", false).await;
    let mut b = Browser::new(&s);
    let (_, login) = b.get(&authorize_url(client["client_id"].as_str().unwrap(), &[])).await.page();
    let (_, consent) = b.log_in(&login, &ada).await.page();
    let request = between(&consent, "name=\"request\" value=\"", "\"").unwrap();
    let p = params(&b.submit(&consent, "/ui/consent", &[("request", &request), ("answer", "deny")]).await.app());
    assert_eq!((p["error"].as_str(), p.contains_key("code")), ("access_denied", false));
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = no_redirects.get(s.url(&authorize_url(client["client_id"].as_str().unwrap(), &[]))).send().await;
    let resp = resp.unwrap();
    assert_eq!(resp.status(), 303);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}
