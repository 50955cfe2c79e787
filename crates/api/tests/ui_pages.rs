//! The web pages' handlers in process (poem's TestClient on in-memory
//! SQLite): statuses, redirects, cookies and their attributes, CSRF.

use std::collections::HashMap;

use api::config::{RunEnv, Settings};
use poem::test::{TestClient, TestResponse};
use serde_json::json;

const PASSWORD: &str = "tangerine-oboe-quarry-41";

/// A browser's cookies, kept by hand: TestClient keeps none.
#[derive(Default)]
struct Cookies(HashMap<String, String>);

impl Cookies {
    fn take(&mut self, resp: &TestResponse) {
        for line in set_cookies(resp) {
            let (pair, attrs) = line.split_once(';').unwrap_or((&line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }
    fn header(&self) -> String {
        self.0.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }
}

fn set_cookies(resp: &TestResponse) -> Vec<String> {
    resp.0.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

fn cookie_line(resp: &TestResponse, name: &str) -> String {
    set_cookies(resp)
        .into_iter()
        .find(|l| l.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie set: {:?}", set_cookies(resp)))
}

struct Pages {
    cli: TestClient<poem::endpoint::BoxEndpoint<'static, poem::Response>>,
    jar: Cookies,
    dir: std::path::PathBuf,
    /// The node's courier, run by hand (no background worker here).
    courier: domain::notify::Courier,
}

impl Drop for Pages {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Settings for a node on an in-memory SQLite database, its files in `dir`.
fn in_memory(dir: &std::path::Path) -> Settings {
    let mut s = Settings::default();
    s.server.data_dir = dir.to_owned();
    s.database.database_url = Some("sqlite::memory:".into());
    s
}

async fn pages_with(change: impl FnOnce(&mut Settings)) -> Pages {
    pages_on(|_| {}, change).await
}

/// Pages of a node built with `node`'s settings, served with `serve`'s.
async fn pages_on(node: impl FnOnce(&mut Settings), serve: impl FnOnce(&mut Settings)) -> Pages {
    let dir = std::env::temp_dir().join(format!("authd-ui-{}", uuid::Uuid::new_v4().simple()));
    let mut settings = in_memory(&dir);
    node(&mut settings);
    let node = api::boot::node::build_services(&settings).await.unwrap();
    serve(&mut settings);
    let courier = node.services.courier.clone();
    let routes = api::routes::routes(node.services, node.db, node.signing_keys, &settings).unwrap();
    Pages { cli: TestClient::new(poem::EndpointExt::boxed(routes)), jar: Cookies::default(), dir, courier }
}

async fn pages() -> Pages {
    pages_with(|_| {}).await
}

async fn body(resp: TestResponse) -> String {
    resp.0.into_body().into_string().await.unwrap()
}

/// The CSRF token in a page's forms.
fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("the page has a form with its CSRF token") + 19;
    html[at..at + 64].to_owned()
}

impl Pages {
    async fn get(&mut self, path: &str) -> TestResponse {
        let resp = self.cli.get(path).header("cookie", self.jar.header()).send().await;
        self.jar.take(&resp);
        resp
    }

    /// GETs `path` and returns its page and form token.
    async fn open(&mut self, path: &str) -> (String, String) {
        let html = body(self.get(path).await).await;
        let csrf = csrf_in(&html);
        (html, csrf)
    }

    async fn post_from(&mut self, origin: &str, path: &str, form: &[(&str, &str)]) -> TestResponse {
        let resp = self
            .cli
            .post(path)
            .header("host", "localhost")
            .header("origin", origin)
            .header("cookie", self.jar.header())
            .form(&form)
            .send()
            .await;
        self.jar.take(&resp);
        resp
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> TestResponse {
        self.post_from("http://localhost", path, form).await
    }

    async fn register_by_api(&self, name: &str, is_2fa: bool) {
        let r = self
            .cli
            .post("/api/v1/users/registration")
            .body_json(&json!({"email": format!("{name}@example.com"), "username": name, "name": "Ada", "lastname": "L", "password": PASSWORD, "is_2fa": is_2fa}))
            .send()
            .await;
        r.assert_status(poem::http::StatusCode::CREATED);
    }

    /// The token of the newest mailed link of `kind` to `to`, after sending
    /// what is due.
    async fn mailed_token(&self, to: &str, kind: &str) -> String {
        while self.courier.run_once().await.unwrap().claimed > 0 {}
        let log = std::fs::read_to_string(self.dir.join("mail.log")).unwrap_or_default();
        let line = log
            .lines()
            .rev()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|m| m["to"] == to && m["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} mail to {to}"));
        line["link"].as_str().unwrap().split_once("?token=").unwrap().1.to_owned()
    }

    /// The code of the newest message of `kind` to `to`, after sending what is due.
    async fn mailed_code(&self, to: &str, kind: &str) -> String {
        while self.courier.run_once().await.unwrap().claimed > 0 {}
        let log = std::fs::read_to_string(self.dir.join("mail.log")).unwrap_or_default();
        let line = log
            .lines()
            .rev()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|m| m["to"] == to && m["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} mail to {to}"));
        line["code"].as_str().unwrap().to_owned()
    }

    /// "Confirm it is you" at the pages with the password and a mailed
    /// code, as a refused sensitive change leads there; the new CSRF token.
    async fn step_up(&mut self, email: &str) -> String {
        let (html, csrf) = self.open("/ui/reauthenticate").await;
        assert!(html.contains("Confirm it is you") && html.contains("id=\"send-email\""), "{html}");
        let sent = self.post("/ui/reauthenticate/send", &[("csrf", &csrf), ("method", "email")]).await;
        assert_eq!(location(&sent), "/ui/reauthenticate?done=code_sent");
        let code = self.mailed_code(email, "reauth_code").await;
        let form = [("csrf", csrf.as_str()), ("password", PASSWORD), ("method", "email"), ("code", code.as_str())];
        let done = self.post("/ui/reauthenticate", &form).await;
        assert_eq!(location(&done), "/ui/account?done=reauthenticated");
        let (html, csrf) = self.open("/ui/account?done=reauthenticated").await;
        assert!(html.contains("Make your change again."));
        csrf
    }

    async fn login(&mut self, name: &str, password: &str) -> TestResponse {
        let (_, csrf) = self.open("/ui/login").await;
        self.post("/ui/login", &[("csrf", &csrf), ("username", name), ("password", password)]).await
    }
}

fn location(resp: &TestResponse) -> &str {
    resp.0.headers().get("location").map_or("", |v| v.to_str().unwrap())
}

#[tokio::test]
async fn the_login_page_sets_an_http_only_lax_csrf_cookie_under_the_pages_policy() {
    let mut p = pages().await;
    let resp = p.get("/ui/login").await;
    resp.assert_status_is_ok();
    resp.assert_content_type("text/html; charset=utf-8");
    resp.assert_header("content-security-policy", api::ui::CSP);
    resp.assert_header("cache-control", "no-store");
    resp.assert_header("x-frame-options", "DENY");
    let csrf = cookie_line(&resp, "authd_csrf");
    assert!(csrf.contains("HttpOnly") && csrf.contains("SameSite=Lax") && csrf.contains("Path=/"), "{csrf}");
    assert!(!csrf.contains("Secure") && !csrf.contains("Domain"), "plain HTTP in development: {csrf}");
    let html = body(resp).await;
    assert!(html.contains("<form method=\"post\" action=\"/ui/login\""));
    // One script, authd's own file: nothing inline for the policy to allow.
    let scripts: Vec<&str> =
        html.match_indices("<script").map(|(i, _)| &html[i..i + html[i..].find('>').unwrap() + 1]).collect();
    assert_eq!(scripts, ["<script src=\"/ui/static/passkeys.js\" defer>"]);
    assert!(html.contains("autocomplete=\"username webauthn\""), "passkey autofill is offered");
    let js = p.get("/ui/static/passkeys.js").await;
    js.assert_status_is_ok();
    js.assert_content_type("text/javascript; charset=utf-8");
    let missing = p.get("/ui/no-such-page").await;
    missing.assert_status(poem::http::StatusCode::NOT_FOUND);
    missing.assert_content_type("text/html; charset=utf-8");
    let css = p.get("/ui/static/authd.css").await;
    css.assert_status_is_ok();
    css.assert_content_type("text/css; charset=utf-8");
}

#[tokio::test]
async fn the_api_keeps_its_deny_all_policy_beside_the_pages() {
    let p = pages().await;
    let resp = p.cli.get("/api/v1/users/me").send().await;
    resp.assert_header("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    resp.assert_header("referrer-policy", "no-referrer");
}

#[tokio::test]
async fn every_form_is_refused_with_403_without_its_csrf_token() {
    let mut p = pages().await;
    p.register_by_api("ada", false).await;
    p.login("ada", PASSWORD).await;
    // Forms with nothing to do for a logged-in visitor send it on, and change nothing.
    for (path, to) in [
        ("/ui/login", "/ui/account"),
        ("/ui/register", "/ui/account"),
        ("/ui/code", "/ui/account"),
        ("/ui/code/resend", "/ui/account"),
        ("/ui/code/passkey", "/ui/account"),
    ] {
        let fields = [("username", "ada"), ("password", PASSWORD), ("name", "Forged"), ("scope", "everywhere")];
        assert_eq!(location(&p.post(path, &fields).await), to, "{path}");
    }
    for path in [
        "/ui/logout",
        "/ui/account/profile",
        "/ui/account/password",
        "/ui/account/mailed-codes",
        "/ui/account/sessions/end",
        "/ui/account/totp",
        "/ui/account/totp/confirm",
        "/ui/account/totp/remove",
        "/ui/account/recovery-codes",
        "/ui/passkey/options",
        "/ui/passkey",
        "/ui/code/passkey/options",
        "/ui/account/passkeys/options",
        "/ui/account/passkeys",
        "/ui/account/passkeys/rename",
        "/ui/account/passkeys/remove",
    ] {
        let fields = [("username", "ada"), ("password", PASSWORD), ("name", "Forged"), ("scope", "everywhere")];
        let missing = p.post(path, &fields).await;
        missing.assert_status(poem::http::StatusCode::FORBIDDEN);
        let mut wrong_token = vec![("csrf", "0".repeat(64))];
        wrong_token.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
        let wrong_token: Vec<(&str, &str)> = wrong_token.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let wrong = p.post(path, &wrong_token).await;
        wrong.assert_status(poem::http::StatusCode::FORBIDDEN);
        assert!(body(wrong).await.contains("Nothing was changed"), "{path}");
    }
    let account = p.get("/ui/account").await;
    account.assert_status_is_ok();
    assert!(!body(account).await.contains("Forged"), "no forged form changed anything, nor logged out");
}

#[tokio::test]
async fn a_form_posted_from_another_origin_is_refused_even_with_the_token() {
    let mut p = pages().await;
    p.register_by_api("ada", false).await;
    let (_, csrf) = p.open("/ui/login").await;
    let form = [("csrf", csrf.as_str()), ("username", "ada"), ("password", PASSWORD)];
    p.post_from("https://evil.example", "/ui/login", &form).await.assert_status(poem::http::StatusCode::FORBIDDEN);
    p.post_from("null", "/ui/login", &form).await.assert_status(poem::http::StatusCode::FORBIDDEN);
    let ok = p.post("/ui/login", &form).await;
    ok.assert_status(poem::http::StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_login_sets_an_http_only_session_cookie_and_opens_the_account() {
    let mut p = pages().await;
    p.register_by_api("ada", false).await;
    p.get("/ui/account").await.assert_status(poem::http::StatusCode::SEE_OTHER);
    let resp = p.login("ada", PASSWORD).await;
    resp.assert_status(poem::http::StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/ui/account");
    let session = cookie_line(&resp, "authd_session");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=2592000"] {
        assert!(session.contains(attr), "{attr} in {session}");
    }
    let account = p.get("/ui/account").await;
    account.assert_status_is_ok();
    let html = body(account).await;
    assert!(
        html.contains("ada@example.com")
            && html.contains("this browser")
            && html.contains("Signed in with your password")
    );
    assert_eq!(location(&p.get("/ui/login").await), "/ui/account", "a logged-in visitor skips the login page");
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_read_the_same() {
    let mut p = pages().await;
    p.register_by_api("ada", false).await;
    let wrong = p.login("ada", "not-the-password-9").await;
    wrong.assert_status(poem::http::StatusCode::BAD_REQUEST);
    let unknown = p.login("nobody", "not-the-password-9").await;
    unknown.assert_status(poem::http::StatusCode::BAD_REQUEST);
    let error = |html: String| html.lines().find(|l| l.contains("id=\"error\"")).unwrap_or_default().to_owned();
    let (w, u) = (error(body(wrong).await), error(body(unknown).await));
    assert!(w.contains("Invalid username/email or password."), "{w}");
    assert_eq!(w, u);
}

#[tokio::test]
async fn the_sixth_wrong_password_locks_the_login_page_with_retry_after() {
    let mut p = pages().await;
    p.register_by_api("ada", false).await;
    for _ in 0..6 {
        p.login("ada", "not-the-password-9").await.assert_status(poem::http::StatusCode::BAD_REQUEST);
    }
    let locked = p.login("ada", PASSWORD).await;
    locked.assert_status(poem::http::StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.0.headers().get("retry-after").is_some());
    assert!(body(locked).await.contains("Too many failed attempts; try again in"));
}

#[tokio::test]
async fn a_two_factor_login_keeps_its_temporary_token_in_a_cookie_until_the_code() {
    let mut p = pages().await;
    p.register_by_api("ada", true).await;
    let resp = p.login("ada", PASSWORD).await;
    assert_eq!(location(&resp), "/ui/code");
    let pending = cookie_line(&resp, "authd_login");
    let max_age = format!("Max-Age={}", Settings::default().tokens.temp_ttl);
    assert!(
        pending.contains("HttpOnly") && pending.contains("SameSite=Lax") && pending.contains(&max_age),
        "{pending}"
    );
    assert!(!p.jar.0.contains_key("authd_session"), "no session before the code");
    let (html, csrf) = p.open("/ui/code").await;
    assert!(html.contains("5 tries left") && html.contains("id=\"prompt\"") && html.contains("by mail."), "{html}");
    let wrong = p.post("/ui/code", &[("csrf", &csrf), ("code", "000000"), ("method", "email")]).await;
    wrong.assert_status(poem::http::StatusCode::BAD_REQUEST);
    let html = body(wrong).await;
    assert!(html.contains("The one-time code is wrong (4 tries left).") && html.contains("4 tries left."), "{html}");
    let early = p.post("/ui/code/resend", &[("csrf", &csrf), ("method", "email")]).await;
    early.assert_status(poem::http::StatusCode::TOO_MANY_REQUESTS);
    assert!(body(early).await.contains("A new code can be sent in"));
    p.get("/ui/account").await.assert_status(poem::http::StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_dead_login_sends_the_code_page_back_to_the_login_page() {
    let mut p = pages().await;
    p.register_by_api("ada", true).await;
    p.login("ada", PASSWORD).await;
    let (_, csrf) = p.open("/ui/code").await;
    for _ in 0..4 {
        p.post("/ui/code", &[("csrf", &csrf), ("code", "000000")]).await;
    }
    // The fifth wrong code: the login page at its own address, one message, the name kept.
    let last = p.post("/ui/code", &[("csrf", &csrf), ("code", "000000")]).await;
    assert_eq!(location(&last), "/ui/login?done=too_many_codes");
    let (html, _) = p.open("/ui/login?done=too_many_codes").await;
    assert!(html.contains("Too many wrong codes: that login is over. Log in again."), "{html}");
    assert!(!html.contains("id=\"error\""), "one message, not a refusal beside it: {html}");
    assert!(html.contains("id=\"username\" name=\"username\" value=\"ada\""), "the name typed is kept: {html}");
    assert!(!p.jar.0.contains_key("authd_login"), "the dead login's cookie is dropped");
    assert_eq!(location(&p.get("/ui/code").await), "/ui/login");
}

#[tokio::test]
async fn logging_out_ends_the_session_and_its_cookie_then_only_says_it_ended() {
    let mut p = pages().await;
    p.register_by_api("ada", false).await;
    p.login("ada", PASSWORD).await;
    let kept = p.jar.header();
    let (_, csrf) = p.open("/ui/logout").await;
    let out = p.post("/ui/logout", &[("csrf", &csrf), ("scope", "this")]).await;
    assert_eq!(location(&out), "/ui/login?done=logged_out");
    let ended = cookie_line(&out, "authd_session");
    assert!(ended.starts_with("authd_session=ended;") && ended.contains("Max-Age=86400"), "no token kept: {ended}");
    // The old cookie, replayed, opens nothing: its session row is revoked.
    let replay = p.cli.get("/ui/account").header("cookie", kept).send().await;
    assert_eq!(location(&replay), "/ui/login?done=session_over", "a stale tab is told it was logged out");
}

#[tokio::test]
async fn a_form_token_from_before_the_login_is_refused_after_it() {
    let mut p = pages().await;
    p.register_by_api("ada", false).await;
    let (_, before) = p.open("/ui/login").await;
    p.post("/ui/login", &[("csrf", &before), ("username", "ada"), ("password", PASSWORD)]).await;
    p.post("/ui/logout", &[("csrf", &before), ("scope", "this")])
        .await
        .assert_status(poem::http::StatusCode::FORBIDDEN);
    p.get("/ui/account").await.assert_status_is_ok();
}

#[tokio::test]
async fn account_changes_go_through_the_use_cases_and_report_refusals_inline() {
    let mut p = pages().await;
    p.register_by_api("ada", false).await;
    p.login("ada", PASSWORD).await;
    let (_, csrf) = p.open("/ui/account").await;
    let saved = p
        .post(
            "/ui/account/profile",
            &[
                ("csrf", &csrf),
                ("email", "ada@example.com"),
                ("username", "ada"),
                ("name", "Augusta"),
                ("lastname", "L"),
                ("phone", ""),
            ],
        )
        .await;
    assert_eq!(location(&saved), "/ui/account?done=profile");
    let (html, csrf) = p.open("/ui/account?done=profile").await;
    assert!(html.contains("Profile saved.") && html.contains("value=\"Augusta\""));
    let on = p.post("/ui/account/mailed-codes", &[("csrf", &csrf), ("to", "on")]).await;
    assert_eq!(location(&on), "/ui/account?done=mailed_codes_on");
    let change = [
        ("csrf", csrf.as_str()),
        ("current", PASSWORD),
        ("new", "another-fine-password-7"),
        ("confirm", "another-fine-password-7"),
    ];
    let asked = p.post("/ui/account/password", &change).await;
    assert_eq!(location(&asked), "/ui/reauthenticate", "a second factor now: confirm it is you first");
    let csrf = p.step_up("ada@example.com").await;
    let refused = p
        .post(
            "/ui/account/password",
            &[
                ("csrf", &csrf),
                ("current", "wrong-password-1"),
                ("new", "another-fine-password-7"),
                ("confirm", "another-fine-password-7"),
            ],
        )
        .await;
    refused.assert_status(poem::http::StatusCode::BAD_REQUEST);
    assert!(body(refused).await.contains("The current password is wrong."));
    let enrol = p.post("/ui/account/totp", &[("csrf", &csrf), ("password", PASSWORD)]).await;
    enrol.assert_status_is_ok();
    let html = body(enrol).await;
    assert!(html.contains("<svg") && html.contains("otpauth://totp/"), "the QR code is inline markup");
    let bad = p.post("/ui/account/totp/confirm", &[("csrf", &csrf), ("code", "000000")]).await;
    bad.assert_status(poem::http::StatusCode::BAD_REQUEST);
    let other =
        p.post("/ui/account/sessions/end", &[("csrf", &csrf), ("session", &uuid::Uuid::new_v4().to_string())]).await;
    other.assert_status(poem::http::StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn stopping_mailed_codes_or_changing_the_email_at_the_pages_needs_the_password() {
    let mut p = pages().await;
    p.register_by_api("ada", false).await;
    p.login("ada", PASSWORD).await;
    let (_, csrf) = p.open("/ui/account").await;
    let on = p.post("/ui/account/mailed-codes", &[("csrf", &csrf), ("to", "on")]).await;
    assert_eq!(location(&on), "/ui/account?done=mailed_codes_on", "switching on needs no password");
    let (_, csrf) = p.open("/ui/account").await;
    let off = p.post("/ui/account/mailed-codes", &[("csrf", &csrf), ("to", "off"), ("password", PASSWORD)]).await;
    assert_eq!(location(&off), "/ui/reauthenticate", "switching off asks for a recent second factor first");
    p.step_up("ada@example.com").await;
    let (html, csrf) = p.open("/ui/account").await;
    assert!(html.contains("id=\"off-password\""), "the switch asks for the password");
    for password in ["", "wrong-password-1"] {
        let off = p.post("/ui/account/mailed-codes", &[("csrf", &csrf), ("to", "off"), ("password", password)]).await;
        off.assert_status(poem::http::StatusCode::BAD_REQUEST);
        let said = body(off).await;
        assert!(
            said.contains("needs the current password") || said.contains("The current password is wrong."),
            "{said}"
        );
    }
    let profile = |email: &'static str, password: &'static str| {
        vec![
            ("email", email),
            ("username", "ada"),
            ("name", "Ada"),
            ("lastname", "L"),
            ("phone", ""),
            ("password", password),
        ]
    };
    let mut moved = profile("mallory@example.com", "");
    moved.push(("csrf", &csrf));
    p.post("/ui/account/profile", &moved).await.assert_status(poem::http::StatusCode::BAD_REQUEST);
    let (html, _) = p.open("/ui/account").await;
    assert!(html.contains("value=\"ada@example.com\"") && html.contains("id=\"mailed-off\""), "nothing changed");

    let mut renamed = profile("ada@example.com", "");
    renamed.push(("csrf", &csrf));
    renamed[2] = ("name", "Augusta");
    assert_eq!(location(&p.post("/ui/account/profile", &renamed).await), "/ui/account?done=profile");
    let mut moved = profile("mallory@example.com", PASSWORD);
    moved.push(("csrf", &csrf));
    assert_eq!(location(&p.post("/ui/account/profile", &moved).await), "/ui/account?done=profile");
    let off = p.post("/ui/account/mailed-codes", &[("csrf", &csrf), ("to", "off"), ("password", PASSWORD)]).await;
    assert_eq!(location(&off), "/ui/account?done=mailed_codes_off");
    let (html, _) = p.open("/ui/account").await;
    assert!(html.contains("value=\"mallory@example.com\"") && html.contains("id=\"mailed-on\""));
}

#[tokio::test]
async fn registering_at_the_pages_keeps_what_was_typed_when_refused() {
    let mut p = pages().await;
    let (_, csrf) = p.open("/ui/register").await;
    let form = |password: &'static str, confirm: &'static str| {
        vec![
            ("email", "grace@example.com"),
            ("username", "grace"),
            ("name", "Grace"),
            ("lastname", "Hopper"),
            ("password", password),
            ("confirm", confirm),
        ]
    };
    let mut mismatch = form("cobalt-fern-whistle-28", "cobalt-fern-whistle-29");
    mismatch.push(("csrf", &csrf));
    let refused = p.post("/ui/register", &mismatch).await;
    refused.assert_status(poem::http::StatusCode::BAD_REQUEST);
    let html = body(refused).await;
    assert!(html.contains("The password and its confirmation differ.") && html.contains("value=\"grace@example.com\""));
    assert!(!html.contains("cobalt-fern"), "a password is never written back into the page");
    let mut ok = form("cobalt-fern-whistle-28", "cobalt-fern-whistle-28");
    ok.push(("csrf", &csrf));
    assert_eq!(location(&p.post("/ui/register", &ok).await), "/ui/login?done=registered");
    let taken = p.post("/ui/register", &ok).await;
    taken.assert_status(poem::http::StatusCode::CONFLICT);
}

#[tokio::test]
async fn in_production_the_cookies_are_secure_and_host_prefixed() {
    let mut p = pages_with(|s| {
        s.server.env = RunEnv::Production;
        s.tokens.jwt_secret = Some("an-operator-chosen-secret-of-32-bytes!".into());
    })
    .await;
    let resp = p.get("/ui/login").await;
    let csrf = cookie_line(&resp, "__Host-authd_csrf");
    assert!(csrf.contains("Secure") && csrf.contains("Path=/") && !csrf.contains("Domain"), "{csrf}");
    assert!(set_cookies(&resp).iter().all(|l| l.starts_with("__Host-")));
}

#[tokio::test]
async fn the_passkey_scripts_routes_answer_json_a_refusal_as_a_problem_and_options_as_the_w3c_form() {
    let mut p = pages().await;
    p.register_by_api("ada", false).await;
    p.login("ada", PASSWORD).await;
    let (_, csrf) = p.open("/ui/account").await;
    let wrong = p.post("/ui/account/passkeys/options", &[("csrf", &csrf), ("password", "not-the-password-1")]).await;
    wrong.assert_status(poem::http::StatusCode::BAD_REQUEST);
    wrong.assert_content_type("application/problem+json");
    let problem: serde_json::Value = serde_json::from_str(&body(wrong).await).unwrap();
    assert_eq!(problem["code"], "password_incorrect");
    let right = p.post("/ui/account/passkeys/options", &[("csrf", &csrf), ("password", PASSWORD)]).await;
    right.assert_status_is_ok();
    let started: serde_json::Value = serde_json::from_str(&body(right).await).unwrap();
    assert!(started["ceremony_id"].is_string());
    assert_eq!(started["options"]["publicKey"]["rp"]["id"], "localhost");
    // A made-up credential adds nothing and says why on the account page.
    let ceremony = started["ceremony_id"].as_str().unwrap();
    let junk = [("csrf", csrf.as_str()), ("name", "Junk"), ("ceremony_id", ceremony), ("credential", "{}")];
    let refused = p.post("/ui/account/passkeys", &junk).await;
    refused.assert_status(poem::http::StatusCode::BAD_REQUEST);
    assert!(body(refused).await.contains("That passkey answer is not valid"));
    // "Confirm it is you" with a passkey, for an account without one: a problem the script shows.
    let none = p.post("/ui/reauthenticate/passkey/options", &[("csrf", &csrf)]).await;
    none.assert_content_type("application/problem+json");
    let problem: serde_json::Value = serde_json::from_str(&body(none).await).unwrap();
    assert_eq!(problem["code"], "method_unavailable");
}

#[tokio::test]
async fn with_passkeys_off_the_pages_load_no_script_and_offer_no_passkey() {
    let mut p = pages_on(|s| s.factors.passkeys = false, |_| {}).await;
    let html = body(p.get("/ui/login").await).await;
    assert!(!html.contains("<script") && !html.contains("passkey") && !html.contains("webauthn"), "{html}");
}

#[tokio::test]
async fn ui_false_serves_no_pages() {
    let p = pages_with(|s| s.server.ui = false).await;
    p.cli.get("/ui/login").send().await.assert_status(poem::http::StatusCode::NOT_FOUND);
    p.cli.get("/health/live").send().await.assert_status_is_ok();
}

/// What sits between `start` and the next `end` in `html`, after `from`.
fn between<'a>(html: &'a str, from: &str, start: &str, end: &str) -> &'a str {
    let rest = &html[html.find(from).unwrap_or_else(|| panic!("{from} in the page"))..];
    let at = rest.find(start).unwrap() + start.len();
    &rest[at..at + rest[at..].find(end).unwrap()]
}

#[tokio::test]
async fn an_authenticator_app_is_enrolled_at_the_pages_and_a_recovery_code_then_logs_in() {
    let mut p = pages().await;
    p.register_by_api("ada", false).await;
    p.login("ada", PASSWORD).await;
    let (_, csrf) = p.open("/ui/account").await;
    let enrol = body(p.post("/ui/account/totp", &[("csrf", &csrf), ("password", PASSWORD)]).await).await;
    let secret = between(&enrol, "Secret:", "<code id=\"secret\">", "</code>").to_owned();
    let code = domain::totp::TotpSecret::from_base32(&secret).unwrap().code_at(chrono::Utc::now());
    let shown = p.post("/ui/account/totp/confirm", &[("csrf", &csrf), ("code", &code)]).await;
    shown.assert_status_is_ok();
    let html = body(shown).await;
    assert!(html.contains("Your authenticator app is on"));
    let first = between(&html, "id=\"recovery-codes\"", "<li><code>", "</code>").to_owned();
    assert_eq!(html.matches("<li><code>").count(), 10, "ten recovery codes, shown once");

    let (_, csrf) = p.open("/ui/logout").await;
    p.post("/ui/logout", &[("csrf", &csrf), ("scope", "this")]).await;
    assert_eq!(location(&p.login("ada", PASSWORD).await), "/ui/code");
    let (html, csrf) = p.open("/ui/code").await;
    assert!(html.contains("value=\"totp\" checked") && html.contains("value=\"recovery_code\""), "{html}");
    assert!(!html.contains("id=\"resend\""), "nothing to resend for an app");
    let done = p.post("/ui/code", &[("csrf", &csrf), ("code", &first), ("method", "recovery_code")]).await;
    assert_eq!(location(&done), "/ui/account");
    let account = body(p.get("/ui/account").await).await;
    assert!(
        account.contains("9 recovery codes left") && account.contains("A recovery code was used (9 left)"),
        "{account}"
    );
}

#[tokio::test]
async fn the_proof_mails_link_confirms_the_address_on_a_click_not_on_opening() {
    let mut p = pages().await;
    p.register_by_api("ada", false).await;
    let token = p.mailed_token("ada@example.com", "email_verification").await;
    let (html, csrf) = p.open(&format!("/ui/verify-email?token={token}")).await;
    assert!(html.contains("id=\"confirm\"") && !html.contains("id=\"confirmed\""), "opening changes nothing");
    let done = body(p.post("/ui/verify-email", &[("csrf", &csrf), ("token", &token)]).await).await;
    assert!(done.contains("id=\"confirmed\""), "{done}");
    let again = p.post("/ui/verify-email", &[("csrf", &csrf), ("token", &token)]).await;
    again.assert_status(poem::http::StatusCode::BAD_REQUEST);
    let resp = p.login("ada", PASSWORD).await;
    assert_eq!(location(&resp), "/ui/account");
    let account = body(p.get("/ui/account").await).await;
    assert!(account.contains("id=\"email-verified\"") && !account.contains("send-email-proof"), "shown as confirmed");
}

#[tokio::test]
async fn forgot_password_at_the_pages_mails_a_link_whose_page_sets_the_password_and_logs_in() {
    let mut p = pages().await;
    p.register_by_api("ada", false).await;
    let proof = p.mailed_token("ada@example.com", "email_verification").await;
    let (_, csrf) = p.open(&format!("/ui/verify-email?token={proof}")).await;
    p.post("/ui/verify-email", &[("csrf", &csrf), ("token", &proof)]).await.assert_status_is_ok();
    let (login, _) = p.open("/ui/login").await;
    assert!(login.contains("href=\"/ui/reset\""), "the login page offers it");
    let (_, csrf) = p.open("/ui/reset").await;
    let sent = p.post("/ui/reset", &[("csrf", &csrf), ("email", "ada@example.com")]).await;
    assert_eq!(location(&sent), "/ui/login?done=reset_sent");
    // The request's lookup and mail follow the answer: wait for them (5 s at most).
    for _ in 0..250 {
        while p.courier.run_once().await.unwrap().claimed > 0 {}
        let log = std::fs::read_to_string(p.dir.join("mail.log")).unwrap_or_default();
        if log.contains("\"password_reset\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let token = p.mailed_token("ada@example.com", "password_reset").await;
    let (_, csrf) = p.open(&format!("/ui/reset/confirm?token={token}")).await;
    let weak = p
        .post(
            "/ui/reset/confirm",
            &[("csrf", &csrf), ("token", &token), ("password", "password1"), ("confirm", "password1")],
        )
        .await;
    weak.assert_status(poem::http::StatusCode::BAD_REQUEST);
    let new = "marmalade-lantern-orbit-77";
    let done =
        p.post("/ui/reset/confirm", &[("csrf", &csrf), ("token", &token), ("password", new), ("confirm", new)]).await;
    assert_eq!(location(&done), "/ui/account?done=password_reset");
    let account = body(p.get("/ui/account?done=password_reset").await).await;
    assert!(account.contains("Your password is set"), "{account}");
}

#[tokio::test]
async fn under_the_second_factor_policy_the_pages_lead_a_user_without_one_straight_to_enrolment() {
    let all = |s: &mut Settings| s.factors.require_2fa = domain::assurance::SecondFactorPolicy::All;
    let mut p = pages_on(all, all).await;
    p.register_by_api("ada", false).await;
    assert_eq!(location(&p.login("ada", PASSWORD).await), "/ui/account");
    let (html, csrf) = p.open("/ui/account").await;
    assert!(html.contains("id=\"enrol-first\"") && html.contains("id=\"add-totp\""), "{html}");
    assert!(!html.contains("id=\"profile\"") && !html.contains("id=\"sessions\""), "enrolment only: {html}");

    let renamed = [("csrf", csrf.as_str()), ("email", "ada@example.com"), ("username", "ada"), ("name", "Eve")];
    assert_eq!(location(&p.post("/ui/account/profile", &renamed).await), "/ui/account", "sent to enrol");
    let on = p.post("/ui/account/mailed-codes", &[("csrf", &csrf), ("to", "on")]).await;
    assert_eq!(location(&on), "/ui/account?done=mailed_codes_on");
    let (html, _) = p.open("/ui/account").await;
    assert!(html.contains("id=\"confirm-enrolled\"") && !html.contains("id=\"profile\""), "{html}");

    p.step_up("ada@example.com").await;
    let (html, _) = p.open("/ui/account").await;
    assert!(html.contains("id=\"profile\"") && !html.contains("id=\"enrol-first\""), "{html}");
    assert!(html.contains("value=\"Ada\""), "the refused rename changed nothing: {html}");
}
