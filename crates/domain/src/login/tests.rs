//! The password step: one answer for every failure, one hash for every
//! attempt, a storm shed, and the logins one address may try.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::Error;
use crate::login::LoginOutcome;
use crate::testing::world::{GOOD_PASSWORD, World, pw, tokens};

#[tokio::test]
async fn login_without_two_factor_returns_a_token_pair_that_authenticates() {
    let w = World::new();
    let u = w.register("ada", false).await;
    let t = tokens(&w, "ada@example.com").await;
    assert_eq!(w.sessions.authenticate(&t.access_token).await.unwrap().user_id, u.id);
    let by_username = tokens(&w, "ADA").await;
    assert_eq!(w.sessions.authenticate(&by_username.access_token).await.unwrap().user_id, u.id);
}

#[tokio::test]
async fn unknown_user_wrong_password_and_deactivated_user_get_the_same_error() {
    let w = World::new();
    let u = w.register("ada", false).await;
    assert!(matches!(
        w.login.login(&w.from, "nobody@example.com", &pw(GOOD_PASSWORD)).await,
        Err(Error::InvalidCredentials)
    ));
    assert!(matches!(w.login.login(&w.from, "ada", &pw("wrong-password-123")).await, Err(Error::InvalidCredentials)));
    w.deactivate(u.id);
    assert!(matches!(w.login.login(&w.from, "ada", &pw("wrong-password-123")).await, Err(Error::InvalidCredentials)));
    assert!(matches!(w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await, Err(Error::InvalidCredentials)));
}

#[tokio::test]
async fn unknown_user_login_still_runs_one_password_hash() {
    let w = World::new();
    w.register("ada", false).await;
    let before = w.hasher.verifications.load(Ordering::SeqCst);
    let _ = w.login.login(&w.from, "nobody@example.com", &pw(GOOD_PASSWORD)).await;
    let _ = w.login.login(&w.from, "no such name!", &pw(GOOD_PASSWORD)).await;
    let _ = w.login.login(&w.from, "ada", &pw("wrong-password-123")).await;
    assert_eq!(w.hasher.verifications.load(Ordering::SeqCst) - before, 3);
}

#[tokio::test]
async fn a_login_storm_past_the_hash_queue_is_shed_before_any_hashing_or_counting() {
    let w = World::new();
    w.register("ada", false).await;
    w.hasher.overloaded.store(true, Ordering::SeqCst);
    let before = w.hasher.verifications.load(Ordering::SeqCst);
    for _ in 0..6 {
        let shed = w.login.login(&w.from, "ada", &pw("wrong-password-123")).await;
        assert!(matches!(shed, Err(Error::Overloaded { .. })), "{shed:?}");
    }
    assert_eq!(w.hasher.verifications.load(Ordering::SeqCst), before, "no hash was spent");
    w.hasher.overloaded.store(false, Ordering::SeqCst);
    let ok = w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await;
    assert!(matches!(ok, Ok(LoginOutcome::Tokens(_))), "six shed logins counted no failure: {ok:?}");
}

#[tokio::test]
async fn logins_from_one_address_past_its_limit_are_refused_before_any_hashing() {
    let w = World::new();
    w.register("ada", false).await;
    for _ in 0..30 {
        tokens(&w, "ada").await;
    }
    let hashed = w.hasher.verifications.load(Ordering::SeqCst);
    match w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await {
        Err(Error::RateLimited { retry_after, .. }) => assert!(retry_after <= Duration::from_secs(60)),
        other => panic!("the 31st login of the minute: {other:?}"),
    }
    assert_eq!(w.hasher.verifications.load(Ordering::SeqCst), hashed, "a refused login costs no hash");
    let elsewhere = crate::throttle::ClientAddress::from("203.0.113.5");
    assert!(w.login.login(&elsewhere, "ada", &pw(GOOD_PASSWORD)).await.is_ok(), "another address is not limited");
    w.clock.advance(Duration::from_secs(60));
    tokens(&w, "ada").await;
}

#[tokio::test]
async fn a_login_event_names_the_device_its_user_agent_says_and_nothing_when_it_says_nothing() {
    use crate::throttle::ClientAddress;
    let w = World::new();
    w.register("ada", false).await;
    w.register("bob", true).await;
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0";
    let from = ClientAddress::with_user_agent("198.51.100.7".into(), Some(firefox));
    w.login.login(&from, "ada", &pw(GOOD_PASSWORD)).await.unwrap();
    let LoginOutcome::SecondFactor(p) = w.login.login(&from, "bob", &pw(GOOD_PASSWORD)).await.unwrap() else {
        panic!("bob has a second factor")
    };
    w.second_factor.verify(&from, &p.temporary_token, &w.last_code().await, None).await.unwrap();
    w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await.unwrap();
    let devices: Vec<Option<String>> =
        w.db.tables()
            .audit
            .iter()
            .filter(|e| e.kind.as_str() == "login_succeeded")
            .map(|e| e.detail.get("device").map(ToString::to_string))
            .collect();
    let firefox_on_linux = Some("Firefox on Linux".to_owned());
    assert_eq!(devices, [firefox_on_linux.clone(), firefox_on_linux, None], "password, two factors, no user agent");
}
