//! Trusted devices: a device trusted after a second factor skips it at the
//! same user's next password logins, as one factor (`aal1`), until it
//! expires or is forgotten.

use std::time::Duration;

use super::{DeviceToken, label_from};
use crate::Error;
use crate::assurance::Acr;
use crate::login::LoginOutcome;
use crate::otp::Remember;
use crate::policy::Policy;
use crate::session::Caller;
use crate::testing::doubles::SeqRng;
use crate::testing::world::{GOOD_PASSWORD, World, pw, temporary};
use crate::token::TokenPair;
use crate::trusted_device::TrustedDevice;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

/// A login of `name` (mailed codes on) finished with the code, asking to
/// trust the device: the session and the device's token.
async fn trusted(w: &World, name: &str) -> (TokenPair, String) {
    let t = temporary(w, name).await;
    let remember = Remember { device: true, user_agent: Some(FIREFOX) };
    let done = w.second_factor.verify_as(&w.from, &t, &w.last_code().await, None, remember).await.unwrap();
    (done.pair, done.device_token.expect("a device token").expose().to_owned())
}

async fn login(w: &World, name: &str, password: &str, device: Option<&str>) -> crate::Result<LoginOutcome> {
    w.login.login_on_device_as(&w.from, name, &pw(password), device).await
}

async fn caller(w: &World, pair: &TokenPair) -> Caller {
    w.sessions.authenticate(&pair.access_token).await.unwrap()
}

#[test]
fn a_device_token_holds_256_random_bits_and_only_its_shape_is_read() {
    const { assert!(DeviceToken::BITS >= 256) };
    let t = DeviceToken::generate(&SeqRng::new(vec![0xcd; 32]));
    assert_eq!(t.expose(), "cd".repeat(32));
    for bad in ["", &"cd".repeat(31), &"CD".repeat(32), &"zz".repeat(32), &format!("{} ", "cd".repeat(32))] {
        assert!(DeviceToken::parse(bad).is_none(), "{bad:?}");
    }
    assert!(!format!("{t:?}").contains("cdcd"), "never printed");
}

#[test]
fn a_device_is_labelled_by_its_browser_and_system() {
    let chrome_android =
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";
    let safari_iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
    let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0";
    assert_eq!(label_from(Some(FIREFOX)), "Firefox on Linux");
    assert_eq!(label_from(Some(chrome_android)), "Chrome on Android");
    assert_eq!(label_from(Some(safari_iphone)), "Safari on iOS");
    assert_eq!(label_from(Some(edge)), "Edge on Windows");
    assert_eq!(label_from(Some("curl/8.5.0")), "curl/8.5.0");
    assert_eq!(label_from(Some(&"x".repeat(200))).chars().count(), 64, "bounded");
    assert_eq!(label_from(None), "Unknown device");
    assert_eq!(label_from(Some("  ")), "Unknown device");
}

#[tokio::test]
async fn a_trusted_device_skips_the_second_factor_at_the_next_password_login_as_one_factor() {
    let w = World::new();
    let ada = w.register("ada", true).await;
    let (_, token) = trusted(&w, "ada").await;
    let LoginOutcome::Tokens(pair) = login(&w, "ada", GOOD_PASSWORD, Some(&token)).await.unwrap() else {
        panic!("the trusted device skips the code")
    };
    let a = caller(&w, &pair).await.assurance;
    assert_eq!((a.amr.words(), a.acr()), (vec!["pwd"], Acr::Aal1), "a trusted device never gives aal2");
    let events = w.events(ada.id);
    assert!(events.contains(&"trusted_device_added") && events.ends_with(&["trusted_device_used", "login_succeeded"]));
    let listed: Vec<TrustedDevice> = w.trusted_devices.list(&caller(&w, &pair).await).await.unwrap();
    assert_eq!(
        (listed.len(), listed[0].label.as_str(), listed[0].last_used_at.is_some()),
        (1, "Firefox on Linux", true)
    );
    assert!(
        matches!(login(&w, "ada", GOOD_PASSWORD, None).await.unwrap(), LoginOutcome::SecondFactor(_)),
        "without it, the code"
    );
}

#[tokio::test]
async fn a_device_token_alone_or_another_users_gets_nothing() {
    let w = World::new();
    w.register("ada", true).await;
    w.register("bob", true).await;
    let (_, token) = trusted(&w, "ada").await;
    let wrong = login(&w, "ada", "wrong-password-123", Some(&token)).await;
    assert!(matches!(wrong, Err(Error::InvalidCredentials)), "the password is still needed: {wrong:?}");
    let bobs = login(&w, "bob", GOOD_PASSWORD, Some(&token)).await.unwrap();
    assert!(matches!(bobs, LoginOutcome::SecondFactor(_)), "ada's device is no device of bob's");
    let garbage = login(&w, "ada", GOOD_PASSWORD, Some("not-a-token")).await.unwrap();
    assert!(matches!(garbage, LoginOutcome::SecondFactor(_)));
}

#[tokio::test]
async fn a_trusted_device_expires_after_its_days() {
    let w = World::new();
    w.register("ada", true).await;
    let (_, token) = trusted(&w, "ada").await;
    w.clock.advance(Duration::from_secs(30 * 24 * 3600));
    assert!(matches!(login(&w, "ada", GOOD_PASSWORD, Some(&token)).await.unwrap(), LoginOutcome::SecondFactor(_)));
}

#[tokio::test]
async fn with_trusted_devices_off_no_device_is_remembered_or_recognised() {
    let w = World::with_policy(Policy { trusted_device_ttl: Duration::ZERO, ..Policy::default() });
    w.register("ada", true).await;
    let t = temporary(&w, "ada").await;
    let remember = Remember { device: true, user_agent: None };
    let done = w.second_factor.verify_as::<TokenPair>(&w.from, &t, &w.last_code().await, None, remember).await;
    assert!(done.unwrap().device_token.is_none());
}

#[tokio::test]
async fn every_device_ends_on_log_out_everywhere_a_new_password_a_removed_factor_or_an_admin_reset() {
    let w = World::new();
    let ada = w.register("ada", true).await;
    w.admin("root").await;
    let admin = w.sessions.authenticate(&crate::testing::world::tokens(&w, "root").await.access_token).await.unwrap();
    let skips = |token: String| {
        let w = &w;
        async move { matches!(login(w, "ada", GOOD_PASSWORD, Some(&token)).await.unwrap(), LoginOutcome::Tokens(_)) }
    };
    let ends: [&str; 4] = ["logout_all", "password", "mailed_codes_off", "admin_reset"];
    for how in ends {
        let (pair, token) = trusted(&w, "ada").await;
        assert!(skips(token.clone()).await, "{how}: trusted first");
        let me = w.stepped_up(&caller(&w, &pair).await).await;
        match how {
            "logout_all" => w.sessions.logout(&me, true).await.unwrap(),
            "password" => {
                let new = pw("marmalade-lantern-orbit-77");
                w.accounts.change_password(&me, &pw(GOOD_PASSWORD), &new, &new).await.unwrap();
                w.accounts.change_password(&me, &new, &pw(GOOD_PASSWORD), &pw(GOOD_PASSWORD)).await.unwrap();
            }
            "mailed_codes_off" => {
                let off = crate::user::ProfileChanges {
                    is_2fa: Some(false),
                    current_password: Some(pw(GOOD_PASSWORD)),
                    ..Default::default()
                };
                w.accounts.update_me(&me, off).await.unwrap();
                assert!(w.trusted_devices.list(&me).await.unwrap().is_empty(), "forgotten as the codes stop");
                let on = crate::user::ProfileChanges { is_2fa: Some(true), ..Default::default() };
                w.accounts.update_me(&me, on).await.unwrap();
            }
            _ => w.admin.reset_second_factors(&admin, ada.id).await.unwrap(),
        }
        assert!(!skips(token).await, "{how}: the device is forgotten");
        let revoked = w.db.tables().audit.iter().filter(|e| e.kind.as_str() == "trusted_devices_revoked").count();
        assert!(revoked > 0, "{how}: the forgetting is recorded");
    }
    let before = w.events(ada.id).iter().filter(|k| **k == "trusted_devices_revoked").count();
    w.sessions.revoke_all(ada.id, None).await.unwrap();
    let after = w.events(ada.id).iter().filter(|k| **k == "trusted_devices_revoked").count();
    assert_eq!(after, before, "nothing to forget, nothing recorded");
}

#[tokio::test]
async fn a_user_lists_and_forgets_their_own_devices_only() {
    let w = World::new();
    w.register("ada", true).await;
    w.register("bob", true).await;
    let (pair, token) = trusted(&w, "ada").await;
    let (bobs, _) = trusted(&w, "bob").await;
    let me = caller(&w, &pair).await;
    let id = w.trusted_devices.list(&me).await.unwrap()[0].id;
    let other = w.trusted_devices.forget(&caller(&w, &bobs).await, id).await;
    assert!(matches!(other, Err(Error::TrustedDeviceNotFound)), "{other:?}");
    w.trusted_devices.forget(&me, id).await.unwrap();
    assert!(w.trusted_devices.list(&me).await.unwrap().is_empty());
    assert!(matches!(login(&w, "ada", GOOD_PASSWORD, Some(&token)).await.unwrap(), LoginOutcome::SecondFactor(_)));
}
