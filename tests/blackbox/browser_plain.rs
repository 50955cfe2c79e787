//! The pages as a person meets them, in a real browser: no dead end, one
//! message at a time, plain words, nothing loaded from elsewhere. Each test
//! is one thing a first-time user stumbled on.

use std::time::{Duration, Instant};

use crate::browser::Browser;
use crate::harness::{PASSWORD, Server, local_only};

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// A valid US number unique to this run, in E.164.
fn unique_phone() -> String {
    let n = uuid::Uuid::new_v4().as_u128();
    format!("+1415{}{:06}", 2 + n % 8, (n >> 8) % 1_000_000)
}

/// Waits (10 s at most) until `js` returns true in the page.
async fn until(b: &Browser, js: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.script(js).await != serde_json::Value::Bool(true) {
        assert!(Instant::now() < deadline, "never true within 10 s: {js}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn registration_shows_each_fields_fault_beside_it_and_the_login_page_then_has_the_name_in_a_real_browser() {
    local_only!("drives a browser on this machine");
    let Some(b) = Browser::start().await else { return };
    let s = Server::start().await;
    let name = unique("reg");
    b.open(&s.url("/ui/register")).await;
    for (field, value) in [
        ("#email", "not-an-address"),
        ("#username", name.as_str()),
        ("#name", "Grace"),
        ("#lastname", "Hopper"),
        ("#phone", "12"),
        ("#password", "password"),
        ("#confirm", "pass-word"),
    ] {
        b.fill(field, value).await;
    }
    b.click("#register").await;
    for field in ["email", "phone", "password", "confirm"] {
        let why = b.text(&format!("#{field}-error")).await;
        assert!(!why.is_empty() && !why.contains(" is invalid:"), "{field}: {why}");
    }
    assert_eq!(b.count(".field-error").await, 4, "and nothing beside the fields that are right");
    b.screenshot("register-faults").await;
    b.replace("#email", &format!("{name}@example.com")).await;
    b.replace("#phone", "").await;
    b.fill("#password", "maple-orbit-canvas-71").await;
    b.fill("#confirm", "maple-orbit-canvas-71").await;
    b.click("#register").await;
    assert_eq!(b.path().await, "/ui/login?done=registered");
    assert_eq!(b.value("#username").await, name, "the login page has the name just registered");
    b.close().await;
}

#[tokio::test]
async fn the_fifth_wrong_code_leads_to_the_login_page_with_one_message_and_the_name_kept_in_a_real_browser() {
    local_only!("drives a browser on this machine");
    let Some(b) = Browser::start().await else { return };
    let s = Server::start().await;
    let user = s.register("five", true).await;
    b.login(&s, &user, PASSWORD).await;
    assert_eq!(b.path().await, "/ui/code");
    let prompt = b.text("#prompt").await;
    // "A code is on its way to you by mail" while the outbox has not sent it
    // yet, "We sent you a code by mail" once it has: the page may come first.
    assert!(prompt.contains(" by mail. Enter it below.") && !prompt.contains('['), "a sentence: {prompt}");
    for left in [4, 3, 2, 1] {
        b.fill("#code", "000000").await;
        b.click("#verify").await;
        let said = b.text("#error").await;
        let words = if left == 1 { "1 try left".to_owned() } else { format!("{left} tries left") };
        assert!(said.contains(&format!("({words})")), "{said}");
        assert_eq!(b.text("#tries").await, format!("{words}."));
    }
    b.fill("#code", "000000").await;
    b.click("#verify").await;
    assert_eq!(b.path().await, "/ui/login?done=too_many_codes", "the login page, at its own address");
    let messages = b.count(".notice").await + b.count("p.error:not([hidden])").await;
    assert_eq!(messages, 1, "one message");
    assert!(b.text(".notice").await.contains("Too many wrong codes"));
    assert_eq!(b.value("#username").await, user.username, "the name is kept");
    b.screenshot("login-after-wrong-codes").await;
    b.close().await;
}

#[tokio::test]
async fn with_two_tabs_a_login_in_one_takes_the_other_on_and_a_logout_in_one_is_told_in_the_other_in_a_real_browser() {
    local_only!("drives a browser on this machine");
    let Some(b) = Browser::start().await else { return };
    let s = Server::start().await;
    let user = s.register("tabs", false).await;
    b.open(&s.url("/ui/login")).await;
    let first = b.client.window().await.unwrap();
    let second = b.client.new_window(true).await.unwrap().handle;
    b.client.switch_to_window(second.clone()).await.unwrap();
    b.open(&s.url("/ui/login")).await;

    b.client.switch_to_window(first.clone()).await.unwrap();
    b.login(&s, &user, PASSWORD).await;
    assert_eq!(b.path().await, "/ui/account");
    // The second tab's login form, from before: the person is logged in, so on to the account.
    b.client.switch_to_window(second.clone()).await.unwrap();
    b.fill("#username", &user.username).await;
    b.fill("#password", PASSWORD).await;
    b.click("#login").await;
    assert_eq!(b.path().await, "/ui/account", "not 'Form expired'");

    // Logged out in the first tab, the second's next form says so.
    b.client.switch_to_window(first).await.unwrap();
    b.open(&s.url("/ui/logout")).await;
    b.click("#logout").await;
    b.client.switch_to_window(second).await.unwrap();
    b.click("#save-profile").await;
    assert_eq!(b.path().await, "/ui/login?done=session_over");
    assert!(b.text(".notice").await.contains("You were logged out"));
    b.close().await;
}

#[tokio::test]
async fn a_person_verifies_their_phone_on_the_account_page_and_sees_only_switches_that_do_something_in_a_real_browser()
{
    local_only!("drives a browser on this machine");
    let Some(b) = Browser::start().await else { return };
    let s = Server::start().await;
    let user = s.register("phone", false).await;
    b.login(&s, &user, PASSWORD).await;
    assert_eq!(b.count("#mailed-on").await, 1, "without an app, codes by mail are a choice");
    let phone = unique_phone();
    b.replace("#phone", &phone).await;
    b.fill("#profile-password", PASSWORD).await;
    b.click("#save-profile").await;
    assert_eq!(b.path().await, "/ui/account?done=profile");
    assert!(b.text("#phone-proof").await.contains("Verify your phone"), "a saved number can be verified here");
    b.click("#phone-send-sms").await;
    assert!(b.path().await.starts_with("/ui/account?done=phone_code_sent"));
    assert!(b.text("#phone-prompt").await.contains("by SMS"));
    b.screenshot("account-phone-code").await;
    let code = s.latest_code(&phone).await;
    b.fill("#phone-code", &code).await;
    b.click("#confirm-phone").await;
    assert_eq!(b.path().await, "/ui/account?done=phone_verified");
    assert_eq!(b.count("#phone-proof").await, 0);
    assert!(b.text("#profile").await.contains("verified"));

    // With an authenticator app, codes by mail change no login: the switch goes.
    b.fill("#totp-password", PASSWORD).await;
    b.click("#add-totp").await;
    let secret = b.text("#secret").await;
    let code = domain::totp::TotpSecret::from_base32(&secret).unwrap().code_at(chrono::Utc::now());
    b.fill("#code", &code).await;
    b.click("#confirm").await;
    b.open(&s.url("/ui/account")).await;
    assert_eq!(b.count("#mailed-on").await + b.count("#mailed-off").await, 0);
    assert!(!b.text("#second-factors").await.contains("Codes by mail"));

    // A recovery code mistyped is told in the page's words, not the API's field name.
    b.open(&s.url("/ui/logout")).await;
    b.click("#logout").await;
    b.login(&s, &user, PASSWORD).await;
    assert_eq!(b.path().await, "/ui/code");
    b.tick("input[name=method][value=recovery_code]").await;
    b.fill("#code", "not-a-code").await;
    b.click("#verify").await;
    let said = b.text("#error").await;
    assert!(said.starts_with("That is not a recovery code") && !said.to_lowercase().contains("otp"), "{said}");
    b.close().await;
}

#[tokio::test]
async fn the_root_leads_to_the_pages_the_icon_loads_and_the_explorers_fetch_nothing_from_elsewhere_in_a_real_browser() {
    local_only!("drives a browser on this machine");
    let Some(b) = Browser::start().await else { return };
    let s = Server::start().await;
    b.open(&s.url("/")).await;
    assert_eq!(b.path().await, "/ui/login");
    let icon = b.script("return fetch('/favicon.ico').then(r => r.status + ' ' + r.headers.get('content-type'))").await;
    assert_eq!(icon, "200 image/x-icon");
    let origin = s.url("/");
    for path in ["/docs/scalar", "/docs/swagger"] {
        b.open(&s.url(path)).await;
        // Drawn: its scripts ran under the explorers' policy.
        until(&b, "return document.body.innerText.includes('List users')").await;
        let loaded = b.script("return performance.getEntriesByType('resource').map(e => e.name)").await;
        let elsewhere: Vec<&str> =
            loaded.as_array().unwrap().iter().filter_map(|u| u.as_str()).filter(|u| !u.starts_with(&origin)).collect();
        assert!(elsewhere.is_empty(), "{path} fetched {elsewhere:?}");
    }
    b.close().await;
}
