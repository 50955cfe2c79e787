//! The lockout and the per-address limits, and purging their counters.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::Error;
use crate::testing::world::{GOOD_PASSWORD, World, pw, temporary, tokens};

async fn wrong_logins(w: &World, login: &str, n: usize) {
    for _ in 0..n {
        assert!(matches!(
            w.login.login(&w.from, login, &pw("wrong-password-123")).await,
            Err(Error::InvalidCredentials)
        ));
    }
}

#[tokio::test]
async fn account_locks_after_five_failures_for_fifteen_seconds_then_doubling() {
    let w = World::new();
    w.register("ada", false).await;
    wrong_logins(&w, "ada", 5).await;
    tokens(&w, "ada").await; // five are free, and success resets the count
    wrong_logins(&w, "ada", 6).await;
    match w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await {
        Err(Error::AccountLocked { retry_after }) => assert_eq!(retry_after, Duration::from_secs(15)),
        other => panic!("{other:?}"),
    }
    w.clock.advance(Duration::from_secs(15));
    wrong_logins(&w, "ada", 1).await;
    match w.login.login(&w.from, "ada@example.com", &pw(GOOD_PASSWORD)).await {
        Err(Error::AccountLocked { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(30), "doubled, whichever name is used")
        }
        other => panic!("{other:?}"),
    }
    w.clock.advance(Duration::from_secs(30));
    tokens(&w, "ada").await;
}

#[tokio::test]
async fn unknown_names_lock_exactly_like_accounts() {
    let w = World::new();
    w.register("ada", false).await;
    for name in ["ada", "nobody"] {
        wrong_logins(&w, name, 6).await;
        assert!(
            matches!(w.login.login(&w.from, name, &pw("wrong-password-123")).await, Err(Error::AccountLocked { .. })),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_locked_account_is_refused_without_hashing() {
    let w = World::new();
    w.register("ada", false).await;
    wrong_logins(&w, "ada", 6).await;
    let before = w.hasher.verifications.load(Ordering::SeqCst);
    assert!(w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await.is_err());
    assert_eq!(w.hasher.verifications.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn wrong_codes_count_against_the_account_across_logins() {
    let w = World::new();
    w.register("bob", true).await;
    // Five wrong passwords, then a right one with a wrong code: the sixth failure locks.
    wrong_logins(&w, "bob", 4).await;
    let tmp = temporary(&w, "bob").await;
    let wrong = if w.last_code().await == "000000" { "111111" } else { "000000" };
    assert!(matches!(w.second_factor.verify(&w.from, &tmp, wrong, None).await, Err(Error::OtpInvalid { .. })));
    assert!(matches!(w.second_factor.verify(&w.from, &tmp, wrong, None).await, Err(Error::OtpInvalid { .. })));
    assert!(matches!(
        w.second_factor.verify(&w.from, &tmp, &w.last_code().await, None).await,
        Err(Error::AccountLocked { .. })
    ));
    assert!(matches!(w.login.login(&w.from, "bob", &pw(GOOD_PASSWORD)).await, Err(Error::AccountLocked { .. })));
}

#[tokio::test]
async fn the_hundredth_consecutive_failure_locks_until_an_admin_reactivates() {
    let w = World::new();
    let u = w.register("ada", false).await;
    w.admin("root").await;
    for _ in 0..100 {
        w.clock.advance(Duration::from_secs(15 * 60));
        assert!(matches!(
            w.login.login(&w.from, "ada", &pw("wrong-password-123")).await,
            Err(Error::InvalidCredentials)
        ));
    }
    w.clock.advance(Duration::from_secs(30 * 24 * 3600));
    assert!(matches!(w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await, Err(Error::AccountLocked { .. })));
    let admin_pair = tokens(&w, "root").await;
    let c = w.sessions.authenticate(&admin_pair.access_token).await.unwrap();
    let reactivate = crate::admin::AdminChanges { is_active: Some(true), ..Default::default() };
    w.admin.update_user(&c, u.id, reactivate).await.unwrap();
    tokens(&w, "ada").await;
}

#[tokio::test]
async fn a_client_address_is_limited_per_window_on_each_route() {
    use crate::throttle::RateScope;
    let w = World::new();
    for _ in 0..30 {
        w.throttle.check_rate(RateScope::Token, "192.0.2.1").await.unwrap();
    }
    match w.throttle.check_rate(RateScope::Token, "192.0.2.1").await {
        Err(Error::RateLimited { retry_after, .. }) => assert!(retry_after <= Duration::from_secs(60)),
        other => panic!("{other:?}"),
    }
    w.throttle.check_rate(RateScope::Token, "192.0.2.2").await.unwrap();
    w.throttle.check_rate(RateScope::VerifyOtp, "192.0.2.1").await.unwrap();
    w.clock.advance(Duration::from_secs(60));
    w.throttle.check_rate(RateScope::Token, "192.0.2.1").await.unwrap();
}

#[tokio::test]
async fn idle_throttle_counters_are_purged_after_a_day_but_a_hard_lock_is_kept() {
    let w = World::new();
    w.register("ada", false).await;
    let bob = w.register("bob", false).await;
    wrong_logins(&w, "ada", 6).await;
    let bobs = crate::throttle::user_key(bob.id);
    for _ in 0..100 {
        w.throttle.count_failure(&bobs, Some(bob.id)).await.unwrap();
    }
    w.clock.advance(Duration::from_secs(23 * 3600));
    assert_eq!(w.throttle.purge().await.unwrap(), 0, "a day has not passed");
    w.clock.advance(Duration::from_secs(2 * 3600));
    assert_eq!(
        w.throttle.purge().await.unwrap(),
        3,
        "ada's counter, its lock long over, and the address's counters of registrations and logins"
    );
    assert!(w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await.is_ok());
    assert!(matches!(w.login.login(&w.from, "bob", &pw(GOOD_PASSWORD)).await, Err(Error::AccountLocked { .. })));
}

#[tokio::test]
async fn second_factor_answers_from_one_address_past_its_limit_are_refused_without_costing_a_try() {
    let w = World::new();
    w.register("ada", true).await;
    let temp = temporary(&w, "ada").await;
    for _ in 0..30 {
        let _ = w.second_factor.verify(&w.from, "not-a-token", "123456", None).await;
    }
    match w.second_factor.verify(&w.from, &temp, &w.last_code().await, None).await {
        Err(Error::RateLimited { .. }) => {}
        other => panic!("the 31st answer of the minute: {other:?}"),
    }
    let elsewhere = crate::throttle::ClientAddress::from("203.0.113.5");
    assert!(
        w.second_factor.verify(&elsewhere, &temp, &w.last_code().await, None).await.is_ok(),
        "the code still works"
    );
}
