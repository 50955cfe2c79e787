//! The web pages in a real browser: Debian's headless Chromium, driven
//! through WebDriver (chromedriver) by fantoccini. Without the two programs
//! the test says so and passes, unless AUTHD_REQUIRE_BROWSER=1 (as CI sets):
//! then their absence fails it. With AUTHD_SCREENSHOTS=<dir>, each page is
//! saved there as a PNG (docs/ui holds the ones the README shows).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::harness::{Server, TestUser, local_only};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free loopback port, and a browser session through it.
pub(crate) struct Browser {
    pub(crate) client: Client,
    driver: Child,
    profile: PathBuf,
    shots: Option<PathBuf>,
}

impl Browser {
    /// The browser, or `None` (after saying why) where it is not installed.
    pub(crate) async fn start() -> Option<Self> {
        let missing: Vec<&str> =
            [CHROMIUM, CHROMEDRIVER].into_iter().filter(|p| !std::path::Path::new(p).exists()).collect();
        if !missing.is_empty() {
            let why = format!(
                "browser test skipped: {} not installed (apt-get install chromium chromium-driver)",
                missing.join(" and ")
            );
            assert!(std::env::var("AUTHD_REQUIRE_BROWSER").as_deref() != Ok("1"), "{why}, and AUTHD_REQUIRE_BROWSER=1");
            println!("{why}");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(CHROMEDRIVER)
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!("authd-chromium-{}", uuid::Uuid::new_v4().simple()));
        // The flags keep Chromium off the network it would otherwise call
        // home to (refused on these machines, and slow to give up).
        let caps = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-quic", "--no-first-run", "--window-size=1100,1000",
                         format!("--user-data-dir={}", profile.display())]
            }
        });
        let serde_json::Value::Object(caps) = caps else { unreachable!() };
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no WebDriver session within 20 s: {e}"),
            }
        };
        // A relative folder is the workspace's (tests run in crates/api), so
        // README's `AUTHD_SCREENSHOTS=docs/ui` writes to docs/ui.
        let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let shots = std::env::var_os("AUTHD_SCREENSHOTS").map(|d| workspace.join(d));
        Some(Browser { client, driver, profile, shots })
    }

    pub(crate) async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub(crate) async fn fill(&self, css: &str, text: &str) {
        self.disclose(css).await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .send_keys(text)
            .await
            .unwrap();
    }

    /// Opens the disclosures (`<details>`) around what `css` finds, as a
    /// person opens "Change your password" before typing into it.
    async fn disclose(&self, css: &str) {
        let open = "for (const e of document.querySelectorAll(arguments[0])) \
                    { for (let d = e.closest('details'); d; d = d.parentElement.closest('details')) d.open = true; }";
        self.client.execute(open, vec![json!(css)]).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    }

    /// Empties a field, then types into it.
    pub(crate) async fn replace(&self, css: &str, text: &str) {
        self.disclose(css).await;
        let field = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        field.clear().await.unwrap();
        if !text.is_empty() {
            field.send_keys(text).await.unwrap();
        }
    }

    /// What a field holds now.
    pub(crate) async fn value(&self, css: &str) -> String {
        let field = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        field.prop("value").await.unwrap().unwrap_or_default()
    }

    /// How many elements match.
    pub(crate) async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    /// Runs a script in the page; what it returns (a promise is awaited).
    pub(crate) async fn script(&self, js: &str) -> serde_json::Value {
        self.client.execute(js, vec![]).await.unwrap_or_else(|e| panic!("{js}: {e}"))
    }

    /// Clicks something that stays on the page (a checkbox).
    pub(crate) async fn tick(&self, css: &str) {
        self.disclose(css).await;
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
    }

    /// Clicks a button that submits a form, and waits until the page it
    /// was on is gone, so what is read next is the answer's page.
    pub(crate) async fn click(&self, css: &str) {
        self.disclose(css).await;
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while old.text().await.is_ok() {
            assert!(Instant::now() < deadline, "clicking {css} led to no new page within 10 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        let found = self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await;
        found.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.unwrap()
    }

    pub(crate) async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub(crate) async fn screenshot(&self, name: &str) {
        if let Some(dir) = &self.shots {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(format!("{name}.png")), self.client.screenshot().await.unwrap()).unwrap();
        }
    }

    pub(crate) async fn login(&self, server: &Server, user: &TestUser, password: &str) {
        self.open(&server.url("/ui/login")).await;
        self.fill("#username", &user.username).await;
        self.fill("#password", password).await;
        self.click("#login").await;
    }

    /// Gives the browser a virtual authenticator (W3C WebAuthn §11): a
    /// platform authenticator that keeps discoverable credentials and checks
    /// its user, as a phone or a laptop's fingerprint reader does.
    async fn add_virtual_authenticator(&self) {
        self.client.issue_cmd(VirtualAuthenticator).await.expect("the WebDriver adds a virtual authenticator");
    }

    pub(crate) async fn close(mut self) {
        self.client.close().await.unwrap();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `POST /session/{id}/webauthn/authenticator` (W3C WebAuthn Level 3 §11.3).
#[derive(Debug)]
struct VirtualAuthenticator;

impl WebDriverCompatibleCommand for VirtualAuthenticator {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/webauthn/authenticator", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (poem::http::Method, Option<String>) {
        let options = json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserVerified": true,
        });
        (poem::http::Method::POST, Some(options.to_string()))
    }
}

#[tokio::test]
async fn a_person_registers_logs_in_with_a_mailed_code_and_logs_out_everywhere_in_a_real_browser() {
    local_only!("drives a browser on this machine");
    let Some(b) = Browser::start().await else { return };
    let s = Server::start().await;
    let name = format!("ui-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let user = TestUser {
        username: name.clone(),
        email: format!("{name}@example.com"),
        password: "maple-orbit-canvas-71".into(),
        id: String::new(),
    };

    // Register, asking for a mailed code at each login.
    b.open(&s.url("/ui/register")).await;
    for (field, value) in [
        ("#email", user.email.as_str()),
        ("#username", &user.username),
        ("#name", "Grace"),
        ("#lastname", "Hopper"),
        ("#password", &user.password),
        ("#confirm", &user.password),
    ] {
        b.fill(field, value).await;
    }
    b.tick("#mailed_codes").await;
    b.screenshot("register").await;
    b.click("#register").await;
    assert_eq!(b.path().await, "/ui/login?done=registered");
    assert!(b.text(".notice").await.contains("Your account is ready"));

    // The name just registered is there; the password, then a wrong code, then the mailed one.
    assert_eq!(b.value("#username").await, user.username);
    b.fill("#password", &user.password).await;
    b.screenshot("login").await;
    b.click("#login").await;
    assert_eq!(b.path().await, "/ui/code");
    assert_eq!(b.text("#tries").await, "5 tries left.");
    b.fill("#code", "000000").await;
    b.click("#verify").await;
    assert!(b.text("#error").await.contains("wrong"), "a wrong code is shown as such");
    assert_eq!(b.text("#tries").await, "4 tries left.");
    b.screenshot("code").await;
    let code = s.latest_code(&user.email).await;
    b.fill("#code", &code).await;
    b.click("#verify").await;
    assert_eq!(b.path().await, "/ui/account");
    assert_eq!(b.text(".who").await, user.username);
    // Security events are sentences, without identifiers.
    let events = b.text("#events").await;
    assert!(events.contains("Signed in with your password and a code by mail — Chrome on Linux"), "{events}");
    assert!(events.contains("A wrong code was entered (4 tries left)"), "{events}");
    assert!(!events.contains('_') && !events.contains("delivery"), "{events}");

    // An API session of the same user ends with the browser's "everywhere".
    let api = s.two_factor_tokens(&user).await;
    b.open(&s.url("/ui/account")).await;
    assert_eq!(
        b.client.find_all(Locator::Css("#sessions tbody tr")).await.unwrap().len(),
        2,
        "the browser's session and the API's"
    );
    // The whole page in one picture.
    b.client.set_window_size(1100, 1900).await.unwrap();
    b.screenshot("account").await;
    // And on a phone's width: short enough to read through.
    b.client.set_window_size(390, 844).await.unwrap();
    let tall = b.script("return document.documentElement.scrollHeight").await.as_u64().unwrap();
    b.client.set_window_size(390, tall as u32 + 100).await.unwrap();
    b.screenshot("account-phone").await;
    assert!(tall < 2000, "the account page is {tall} CSS px tall at 390 px");
    b.client.set_window_size(1100, 1000).await.unwrap();
    b.open(&s.url("/ui/logout")).await;
    b.screenshot("logout").await;
    b.click("#logout-everywhere").await;
    assert_eq!(b.path().await, "/ui/login?done=logged_out_everywhere");
    s.assert_revoked(&api).await;
    b.open(&s.url("/ui/account")).await;
    assert_eq!(b.path().await, "/ui/login?done=session_over", "the session is over, and the page says so");
    b.close().await;
}

#[tokio::test]
async fn a_person_confirms_it_is_them_before_turning_the_mailed_codes_off_in_a_real_browser() {
    local_only!("drives a browser on this machine");
    let Some(b) = Browser::start().await else { return };
    // 4 s: long enough that a loaded machine still clicks within it after
    // confirming (with 2 s, the suite on two busy cores sometimes did not).
    let s = Server::start_with(&[("AUTHD_REAUTH_MAX_AGE", "4")]).await;
    let user = s.register("stepper", true).await;
    b.login(&s, &user, &user.password).await;
    b.fill("#code", &s.latest_code(&user.email).await).await;
    b.click("#verify").await;
    assert_eq!(b.path().await, "/ui/account");
    // Long enough after the login for a sensitive change to ask again.
    tokio::time::sleep(std::time::Duration::from_millis(4500)).await;
    b.fill("#off-password", &user.password).await;
    b.click("#mailed-off").await;
    assert_eq!(b.path().await, "/ui/reauthenticate");
    b.click("#send-email").await;
    assert_eq!(b.path().await, "/ui/reauthenticate?done=code_sent");
    b.fill("#password", &user.password).await;
    b.fill("#code", &s.latest_code(&user.email).await).await;
    b.screenshot("reauthenticate").await;
    b.click("#confirm-it-is-me").await;
    assert_eq!(b.path().await, "/ui/account?done=reauthenticated");
    b.fill("#off-password", &user.password).await;
    b.click("#mailed-off").await;
    assert_eq!(b.path().await, "/ui/account?done=mailed_codes_off");
    b.close().await;
}

#[tokio::test]
async fn a_person_trusts_this_browser_so_the_next_login_skips_the_code_then_forgets_it_in_a_real_browser() {
    local_only!("drives a browser on this machine");
    let Some(b) = Browser::start().await else { return };
    let s = Server::start().await;
    let user = s.register("truster", true).await;
    b.login(&s, &user, &user.password).await;
    b.fill("#code", &s.latest_code(&user.email).await).await;
    b.tick("#remember").await;
    b.click("#verify").await;
    assert_eq!(b.path().await, "/ui/account");
    b.open(&s.url("/ui/logout")).await;
    b.click("#logout").await;

    // The same browser: the password alone.
    b.login(&s, &user, &user.password).await;
    assert_eq!(b.path().await, "/ui/account", "the trusted browser skips the code");
    let listed = b.text("#trusted-devices").await;
    assert!(listed.contains("Chrome on Linux") || listed.contains("on Linux"), "{listed}");
    b.client.set_window_size(1100, 2200).await.unwrap();
    b.screenshot("trusted-devices").await;
    b.client.set_window_size(1100, 1000).await.unwrap();
    b.click("#trusted-devices button").await;
    assert_eq!(b.path().await, "/ui/account?done=device_forgotten");
    b.open(&s.url("/ui/logout")).await;
    b.click("#logout").await;
    b.login(&s, &user, &user.password).await;
    assert_eq!(b.path().await, "/ui/code", "forgotten: the code again");
    b.close().await;
}

#[tokio::test]
async fn a_locked_account_shows_the_lock_in_a_real_browser() {
    local_only!("drives a browser on this machine");
    let Some(b) = Browser::start().await else { return };
    let s = Server::start().await;
    let user = s.register("locked", false).await;
    for _ in 0..6 {
        b.login(&s, &user, "not-the-password-1").await;
        assert!(b.text("#error").await.starts_with("Invalid username/email or password"));
    }
    // The sixth failure locked the account: even the right password is refused now.
    b.login(&s, &user, &user.password).await;
    let shown = b.text("#error").await;
    assert!(shown.starts_with("Too many failed attempts; try again in"), "{shown}");
    assert_eq!(b.path().await, "/ui/login");
    b.screenshot("locked").await;
    b.close().await;
}

#[tokio::test]
async fn a_person_confirms_the_address_then_resets_a_forgotten_password_and_still_proves_the_code_in_a_real_browser() {
    local_only!("drives a browser on this machine");
    let Some(b) = Browser::start().await else { return };
    let s = Server::start().await;
    let user = s.register("forgot", true).await;
    let link_token =
        |mail: &serde_json::Value| mail["link"].as_str().unwrap().split_once("?token=").unwrap().1.to_owned();

    // The registration's mail: its link asks for a click, then says so.
    let proof = s.proof_mail(&user.email).await;
    b.open(&s.url(&format!("/ui/verify-email?token={}", link_token(&proof)))).await;
    b.screenshot("verify-email").await;
    b.click("#confirm").await;
    assert!(b.text("#confirmed").await.contains("confirmed"));

    // "Forgot your password?" from the login page.
    b.open(&s.url("/ui/login")).await;
    b.click("#forgot").await;
    assert_eq!(b.path().await, "/ui/reset");
    b.fill("#email", &user.email).await;
    b.screenshot("reset").await;
    b.click("#send").await;
    assert_eq!(b.path().await, "/ui/login?done=reset_sent");
    let reset = s.newest_mail(&user.email, "password_reset").await;
    b.open(&s.url(&format!("/ui/reset/confirm?token={}", link_token(&reset)))).await;
    let new = "harbour-violet-cinder-58";
    b.fill("#password", new).await;
    b.fill("#confirm", new).await;
    b.screenshot("reset-confirm").await;
    b.click("#reset").await;
    // The account has a second factor: the reset leads to it, not past it.
    assert_eq!(b.path().await, "/ui/code");
    let code = s.latest_code(&user.email).await;
    b.fill("#code", &code).await;
    b.click("#verify").await;
    assert_eq!(b.path().await, "/ui/account");
    assert!(b.text("#email-verified").await.contains("confirmed"));
    b.close().await;
}

#[tokio::test]
async fn a_person_adds_a_passkey_and_signs_in_with_it_by_button_by_autofill_and_as_a_second_step_in_a_real_browser() {
    local_only!("drives a browser on this machine");
    let Some(b) = Browser::start().await else { return };
    // Sensitive changes ask again 3 s after the last proof (the default is 300).
    let s = Server::start_with(&[("AUTHD_REAUTH_MAX_AGE", "3")]).await;
    b.add_virtual_authenticator().await;
    let user = s.register("passkey", false).await;
    // Passkeys belong to a host name: the pages are used at the public
    // address (http://localhost:<port>), never at 127.0.0.1.
    let at = |path: &str| format!("{}{path}", s.public_url());

    // Log in with the password and add a passkey on the account page.
    b.open(&at("/ui/login")).await;
    b.fill("#username", &user.username).await;
    b.fill("#password", &user.password).await;
    b.click("#login").await;
    assert_eq!(b.path().await, "/ui/account");
    b.fill("#passkey-name", "This laptop").await;
    b.fill("#passkey-password", &user.password).await;
    b.click("#add-passkey").await;
    assert_eq!(b.path().await, "/ui/account?done=passkey_added");
    assert!(b.text(".notice").await.starts_with("Passkey added"));
    assert_eq!(b.text(".passkey-name").await, "This laptop");
    b.client.set_window_size(1100, 1900).await.unwrap();
    b.screenshot("passkey-account").await;
    b.client.set_window_size(1100, 1000).await.unwrap();

    // Log out, then sign in with the passkey alone.
    b.open(&at("/ui/logout")).await;
    b.click("#logout").await;
    assert_eq!(b.path().await, "/ui/login?done=logged_out");
    b.screenshot("passkey-sign-in").await;
    b.click("#passkey-sign-in").await;
    assert_eq!(b.path().await, "/ui/account");
    assert_eq!(b.text(".who").await, user.username);

    // Passkey autofill: touching the username field asks for a passkey
    // among its suggestions (the virtual authenticator picks its own).
    b.open(&at("/ui/logout")).await;
    b.click("#logout").await;
    let old = b.client.find(Locator::Css("html")).await.unwrap();
    b.tick("#username").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while old.text().await.is_ok() {
        assert!(Instant::now() < deadline, "autofill signed nobody in within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(b.path().await, "/ui/account");

    // A password login now asks for the second factor: the passkey answers
    // it. (The name is set without touching the field: a touch would ask
    // for a passkey by autofill, which the virtual authenticator answers.)
    b.open(&at("/ui/logout")).await;
    b.click("#logout").await;
    let set_name = "document.getElementById('username').value = arguments[0];";
    b.client.execute(set_name, vec![json!(user.username)]).await.unwrap();
    b.fill("#password", &user.password).await;
    b.click("#login").await;
    assert_eq!(b.path().await, "/ui/code");
    b.screenshot("passkey-code").await;
    b.click("#use-passkey").await;
    assert_eq!(b.path().await, "/ui/account");
    b.script("document.getElementById('more-events').open = true").await;
    let events = b.text("#events").await;
    assert!(
        events.contains("Passkey “This laptop” used") && events.contains("Passkey “This laptop” added"),
        "{events}"
    );

    // Later, removing the passkey asks to confirm it is you: the passkey does.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    b.tick("#passkeys summary").await;
    b.fill("input[id^='rm-']", &user.password).await;
    b.click("form[action='/ui/account/passkeys/remove'] button").await;
    assert_eq!(b.path().await, "/ui/reauthenticate");
    b.click("#reauth-passkey").await;
    assert_eq!(b.path().await, "/ui/account?done=reauthenticated");
    b.tick("#passkeys summary").await;
    b.fill("input[id^='rm-']", &user.password).await;
    b.click("form[action='/ui/account/passkeys/remove'] button").await;
    assert_eq!(b.path().await, "/ui/account?done=passkey_removed");
    b.close().await;
}
