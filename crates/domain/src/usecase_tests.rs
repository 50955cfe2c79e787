//! Use-case rules, proven on in-memory ports with a hand-moved clock.

use std::sync::atomic::Ordering;
use std::time::Duration;

use secrecy::SecretString;

use crate::Error;
use crate::account::Registration;
use crate::login::LoginOutcome;
use crate::otp::Pending;
use crate::testing::world::{GOOD_PASSWORD, World};
use crate::token::TokenPair;
use crate::user::ProfileChanges;

fn pw(s: &str) -> SecretString {
    s.into()
}

async fn tokens(w: &World, login: &str) -> TokenPair {
    match w.login.login(login, &pw(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::Tokens(t) => t,
        other => panic!("expected tokens, got {other:?}"),
    }
}

async fn temporary(w: &World, login: &str) -> String {
    match w.login.login(login, &pw(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::SecondFactor(Pending { temporary_token, methods, .. }) => {
            assert_eq!(methods, vec![crate::otp::Method::Email]);
            temporary_token
        }
        other => panic!("expected a second factor, got {other:?}"),
    }
}

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
    assert!(matches!(w.login.login("nobody@example.com", &pw(GOOD_PASSWORD)).await, Err(Error::InvalidCredentials)));
    assert!(matches!(w.login.login("ada", &pw("wrong-password-123")).await, Err(Error::InvalidCredentials)));
    w.deactivate(u.id);
    assert!(matches!(w.login.login("ada", &pw("wrong-password-123")).await, Err(Error::InvalidCredentials)));
    assert!(matches!(w.login.login("ada", &pw(GOOD_PASSWORD)).await, Err(Error::InvalidCredentials)));
}

#[tokio::test]
async fn unknown_user_login_still_runs_one_password_hash() {
    let w = World::new();
    w.register("ada", false).await;
    let before = w.hasher.verifications.load(Ordering::SeqCst);
    let _ = w.login.login("nobody@example.com", &pw(GOOD_PASSWORD)).await;
    let _ = w.login.login("no such name!", &pw(GOOD_PASSWORD)).await;
    let _ = w.login.login("ada", &pw("wrong-password-123")).await;
    assert_eq!(w.hasher.verifications.load(Ordering::SeqCst) - before, 3);
}

#[tokio::test]
async fn a_login_storm_past_the_hash_queue_is_shed_before_any_hashing_or_counting() {
    let w = World::new();
    w.register("ada", false).await;
    w.hasher.overloaded.store(true, Ordering::SeqCst);
    let before = w.hasher.verifications.load(Ordering::SeqCst);
    for _ in 0..6 {
        let shed = w.login.login("ada", &pw("wrong-password-123")).await;
        assert!(matches!(shed, Err(Error::Overloaded { .. })), "{shed:?}");
    }
    assert_eq!(w.hasher.verifications.load(Ordering::SeqCst), before, "no hash was spent");
    w.hasher.overloaded.store(false, Ordering::SeqCst);
    let ok = w.login.login("ada", &pw(GOOD_PASSWORD)).await;
    assert!(matches!(ok, Ok(LoginOutcome::Tokens(_))), "six shed logins counted no failure: {ok:?}");
}

#[tokio::test]
async fn two_factor_login_mails_a_code_and_the_code_opens_a_session() {
    let w = World::new();
    let u = w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    assert_eq!(w.messages().await.last().unwrap().to.as_str(), "bob@example.com");
    let pair = w.second_factor.verify(&tmp, &w.last_code().await, None).await.unwrap().pair;
    assert_eq!(w.sessions.authenticate(&pair.access_token).await.unwrap().user_id, u.id);
}

#[tokio::test]
async fn otp_is_single_use() {
    let w = World::new();
    w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    let code = w.last_code().await;
    w.second_factor.verify(&tmp, &code, None).await.unwrap();
    assert!(matches!(w.second_factor.verify(&tmp, &code, None).await, Err(Error::OtpUsed)));
}

#[tokio::test]
async fn otp_is_rejected_after_five_wrong_tries_even_when_the_sixth_is_right() {
    let w = World::new();
    w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    let code = w.last_code().await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for remaining in (0..5).rev() {
        match w.second_factor.verify(&tmp, wrong, None).await {
            Err(Error::OtpInvalid { remaining: r }) => assert_eq!(r, remaining),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(w.second_factor.verify(&tmp, &code, None).await, Err(Error::OtpLocked)));
}

#[tokio::test]
async fn malformed_otp_is_refused_without_costing_a_try() {
    let w = World::new();
    w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    for _ in 0..10 {
        assert!(matches!(
            w.second_factor.verify(&tmp, "12ab", None).await,
            Err(Error::InvalidField { field: "otp", .. })
        ));
    }
    w.second_factor.verify(&tmp, &w.last_code().await, None).await.unwrap();
}

#[tokio::test]
async fn otp_expires_with_the_temporary_token() {
    let w = World::new();
    w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    let code = w.last_code().await;
    w.clock.advance(Duration::from_secs(240));
    assert!(matches!(w.second_factor.verify(&tmp, &code, None).await, Err(Error::TokenExpired)));
}

#[tokio::test]
async fn otp_is_bound_to_the_login_attempt_that_created_it() {
    let w = World::new();
    w.register("bob", true).await;
    let first = temporary(&w, "bob").await;
    let first_code = w.last_code().await;
    let second = temporary(&w, "bob").await;
    let second_code = w.last_code().await;
    assert_ne!(first_code, second_code);
    assert!(w.second_factor.verify(&second, &first_code, None).await.is_err());
    w.second_factor.verify(&first, &first_code, None).await.unwrap();
    w.second_factor.verify(&second, &second_code, None).await.unwrap();
}

#[tokio::test]
async fn token_kinds_are_refused_outside_their_own_use_case() {
    let w = World::new();
    w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    assert!(matches!(w.sessions.authenticate(&tmp).await, Err(Error::TokenInvalid)));
    assert!(matches!(w.sessions.refresh(&tmp).await, Err(Error::TokenInvalid)));
    let pair = w.second_factor.verify(&tmp, &w.last_code().await, None).await.unwrap().pair;
    assert!(matches!(w.second_factor.verify(&pair.access_token, "123456", None).await, Err(Error::TokenInvalid)));
    assert!(matches!(w.second_factor.resend(&pair.access_token, None).await, Err(Error::TokenInvalid)));
    assert!(matches!(w.sessions.refresh(&pair.access_token).await, Err(Error::TokenInvalid)));
    assert!(matches!(w.sessions.authenticate(&pair.refresh_token).await, Err(Error::TokenInvalid)));
    assert!(matches!(w.second_factor.verify(&pair.refresh_token, "123456", None).await, Err(Error::TokenInvalid)));
}

#[tokio::test]
async fn refresh_token_works_once_and_its_reuse_revokes_the_session() {
    let w = World::new();
    w.register("ada", false).await;
    let first = tokens(&w, "ada").await;
    let second = w.sessions.refresh(&first.refresh_token).await.unwrap();
    w.sessions.authenticate(&second.access_token).await.unwrap();
    assert!(matches!(w.sessions.refresh(&first.refresh_token).await, Err(Error::RefreshReused)));
    assert!(matches!(w.sessions.authenticate(&second.access_token).await, Err(Error::SessionRevoked)));
    assert!(matches!(w.sessions.refresh(&second.refresh_token).await, Err(Error::SessionRevoked)));
}

#[tokio::test]
async fn refresh_token_expires_after_its_lifetime() {
    let w = World::new();
    w.register("ada", false).await;
    let pair = tokens(&w, "ada").await;
    w.clock.advance(crate::Policy::default().refresh_ttl);
    assert!(matches!(w.sessions.refresh(&pair.refresh_token).await, Err(Error::TokenExpired)));
}

#[tokio::test]
async fn access_token_expires_after_its_lifetime() {
    let w = World::new();
    w.register("ada", false).await;
    let pair = tokens(&w, "ada").await;
    w.clock.advance(crate::Policy::default().access_ttl - Duration::from_secs(1));
    w.sessions.authenticate(&pair.access_token).await.unwrap();
    w.clock.advance(Duration::from_secs(1));
    assert!(matches!(w.sessions.authenticate(&pair.access_token).await, Err(Error::TokenExpired)));
}

#[tokio::test]
async fn resend_replaces_the_code_after_the_cooldown_at_most_three_times() {
    let w = World::new();
    w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    let first = w.last_code().await;
    match w.second_factor.resend(&tmp, None).await {
        Err(Error::ResendCooldown { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(30))
        }
        other => panic!("{other:?}"),
    }
    for left in (0..3).rev() {
        w.clock.advance(Duration::from_secs(30));
        let sent = w.second_factor.resend(&tmp, None).await.unwrap();
        assert_eq!(sent.resend_after, Duration::from_secs(30), "what the API tells clients to wait");
        assert_eq!(sent.resends_left, left);
        w.deliver().await;
    }
    w.clock.advance(Duration::from_secs(30));
    assert!(matches!(w.second_factor.resend(&tmp, None).await, Err(Error::ResendLimit)));
    let latest = w.last_code().await;
    assert_ne!(latest, first, "each resend draws a new code");
    assert!(matches!(w.second_factor.verify(&tmp, &first, None).await, Err(Error::OtpInvalid { .. })));
    w.second_factor.verify(&tmp, &latest, None).await.unwrap();
    assert_eq!(w.messages().await.len(), 4);
}

#[tokio::test]
async fn logout_revokes_the_session_and_logout_all_revokes_every_session() {
    let w = World::new();
    w.register("ada", false).await;
    let one = tokens(&w, "ada").await;
    let two = tokens(&w, "ada").await;
    let three = tokens(&w, "ada").await;
    let c1 = w.sessions.authenticate(&one.access_token).await.unwrap();
    w.sessions.logout(&c1, false).await.unwrap();
    assert!(matches!(w.sessions.authenticate(&one.access_token).await, Err(Error::SessionRevoked)));
    let c2 = w.sessions.authenticate(&two.access_token).await.unwrap();
    w.sessions.authenticate(&three.access_token).await.unwrap();
    w.sessions.logout(&c2, true).await.unwrap();
    assert!(w.sessions.authenticate(&two.access_token).await.is_err());
    assert!(w.sessions.authenticate(&three.access_token).await.is_err());
    assert!(w.sessions.refresh(&three.refresh_token).await.is_err());
}

#[tokio::test]
async fn change_password_requires_the_current_one_and_revokes_other_sessions() {
    let w = World::new();
    w.register("ada", false).await;
    let here = tokens(&w, "ada").await;
    let elsewhere = tokens(&w, "ada").await;
    let caller = w.sessions.authenticate(&here.access_token).await.unwrap();
    let new = pw("marmalade-quiver-71-lantern");
    assert!(matches!(
        w.accounts.change_password(&caller, &pw("not-my-password-9"), &new, &new).await,
        Err(Error::WrongPassword)
    ));
    assert!(matches!(
        w.accounts.change_password(&caller, &pw(GOOD_PASSWORD), &new, &pw("other-thing-xx-99")).await,
        Err(Error::PasswordMismatch)
    ));
    assert!(matches!(
        w.accounts.change_password(&caller, &pw(GOOD_PASSWORD), &pw("password1"), &pw("password1")).await,
        Err(Error::WeakPassword(_))
    ));
    w.accounts.change_password(&caller, &pw(GOOD_PASSWORD), &new, &new).await.unwrap();
    w.sessions.authenticate(&here.access_token).await.unwrap();
    assert!(matches!(w.sessions.authenticate(&elsewhere.access_token).await, Err(Error::SessionRevoked)));
    assert!(matches!(w.login.login("ada", &pw(GOOD_PASSWORD)).await, Err(Error::InvalidCredentials)));
    assert!(w.login.login("ada", &new).await.is_ok());
}

#[tokio::test]
async fn delete_me_requires_the_password() {
    let w = World::new();
    w.register("ada", false).await;
    let pair = tokens(&w, "ada").await;
    let caller = w.sessions.authenticate(&pair.access_token).await.unwrap();
    assert!(matches!(w.accounts.delete_me(&caller, &pw("wrong-password-9")).await, Err(Error::WrongPassword)));
    w.accounts.delete_me(&caller, &pw(GOOD_PASSWORD)).await.unwrap();
    assert!(matches!(w.accounts.me(&caller).await, Err(Error::TokenInvalid)));
    assert!(matches!(w.login.login("ada", &pw(GOOD_PASSWORD)).await, Err(Error::InvalidCredentials)));
}

#[tokio::test]
async fn registration_refuses_taken_email_and_username_and_weak_passwords() {
    let w = World::new();
    w.register("ada", false).await;
    let form = |email: &str, username: &str, password: &str| Registration {
        email: email.into(),
        username: username.into(),
        name: "Ada".into(),
        lastname: "Lovelace".into(),
        phone: None,
        password: password.into(),
        is_2fa: false,
    };
    assert!(matches!(
        w.accounts.register(form("ADA@example.com", "other", GOOD_PASSWORD)).await,
        Err(Error::EmailTaken)
    ));
    assert!(matches!(
        w.accounts.register(form("new@example.com", "Ada", GOOD_PASSWORD)).await,
        Err(Error::UsernameTaken)
    ));
    assert!(matches!(
        w.accounts.register(form("new@example.com", "new", "password")).await,
        Err(Error::WeakPassword(_))
    ));
    assert!(matches!(
        w.accounts.register(form("not-an-email", "new", GOOD_PASSWORD)).await,
        Err(Error::InvalidField { field: "email", .. })
    ));
    let bad_phone =
        Registration { phone: Some("0415 555 0132".into()), ..form("new@example.com", "new", GOOD_PASSWORD) };
    assert!(matches!(w.accounts.register(bad_phone).await, Err(Error::InvalidField { field: "phone", .. })));
    let phone = Registration { phone: Some("+1 415 555 0132".into()), ..form("new@example.com", "new", GOOD_PASSWORD) };
    let user = w.accounts.register(phone).await.unwrap();
    assert_eq!((user.phone.as_deref(), user.phone_verified_at), (Some("+14155550132"), None), "E.164, unverified");
}

#[tokio::test]
async fn update_me_changes_only_the_given_fields() {
    let w = World::new();
    w.register("ada", false).await;
    w.register("bob", false).await;
    let pair = tokens(&w, "ada").await;
    let caller = w.sessions.authenticate(&pair.access_token).await.unwrap();
    let changes = ProfileChanges { name: Some("Augusta".into()), is_2fa: Some(true), ..Default::default() };
    let u = w.accounts.update_me(&caller, changes).await.unwrap();
    assert_eq!((u.name.as_str(), u.lastname.as_str(), u.is_2fa), ("Augusta", "User", true));
    let taken = ProfileChanges { username: Some("bob".into()), ..Default::default() };
    assert!(matches!(w.accounts.update_me(&caller, taken).await, Err(Error::UsernameTaken)));
}

#[tokio::test]
async fn switching_the_second_factor_off_or_changing_the_email_or_phone_needs_the_current_password() {
    let w = World::new();
    w.register("ada", false).await;
    let caller = w.sessions.authenticate(&tokens(&w, "ada").await.access_token).await.unwrap();
    let on = ProfileChanges { is_2fa: Some(true), ..Default::default() };
    assert!(w.accounts.update_me(&caller, on).await.unwrap().is_2fa, "switching it on needs no password");
    let weakening = [
        ProfileChanges { is_2fa: Some(false), ..Default::default() },
        ProfileChanges { email: Some("mallory@example.com".into()), ..Default::default() },
        ProfileChanges { phone: Some(Some("+14155550132".into())), ..Default::default() },
    ];
    for change in &weakening {
        let refused = w.accounts.update_me(&caller, change.clone()).await;
        assert!(matches!(refused, Err(Error::PasswordRequired)), "{change:?}: {refused:?}");
        let wrong = ProfileChanges { current_password: Some(pw("wrong-password-123")), ..change.clone() };
        let refused = w.accounts.update_me(&caller, wrong).await;
        assert!(matches!(refused, Err(Error::WrongPassword)), "{change:?}: {refused:?}");
        let me = w.accounts.me(&caller).await.unwrap();
        assert_eq!((me.is_2fa, me.email.as_str(), me.phone), (true, "ada@example.com", None), "{change:?}");
    }
    for change in weakening {
        let with_password = ProfileChanges { current_password: Some(pw(GOOD_PASSWORD)), ..change };
        w.accounts.update_me(&caller, with_password).await.unwrap();
    }
    let me = w.accounts.me(&caller).await.unwrap();
    assert_eq!(
        (me.is_2fa, me.email.as_str(), me.phone.as_deref()),
        (false, "mallory@example.com", Some("+14155550132"))
    );
    let removal = ProfileChanges { phone: Some(None), ..Default::default() };
    assert!(matches!(w.accounts.update_me(&caller, removal).await, Err(Error::PasswordRequired)), "removing the phone");
    let tokens_now = tokens(&w, "mallory@example.com").await;
    assert!(w.sessions.authenticate(&tokens_now.access_token).await.is_ok(), "the login asks for no code now");
}

#[tokio::test]
async fn a_profile_change_that_leaves_the_email_phone_and_second_factor_as_they_are_needs_no_password() {
    let w = World::new();
    w.register("ada", false).await;
    let caller = w.sessions.authenticate(&tokens(&w, "ada").await.access_token).await.unwrap();
    let on = ProfileChanges { is_2fa: Some(true), ..Default::default() };
    w.accounts.update_me(&caller, on).await.unwrap();
    // The whole form as a page sends it: the same email (in other case),
    // no phone as before, the second factor still on, a new name.
    let same = ProfileChanges {
        email: Some(" ADA@example.com ".into()),
        username: Some("ada".into()),
        name: Some("Augusta".into()),
        lastname: Some("King".into()),
        phone: Some(None),
        is_2fa: Some(true),
        current_password: None,
    };
    let me = w.accounts.update_me(&caller, same).await.unwrap();
    assert_eq!(
        (me.name.as_str(), me.lastname.as_str(), me.email.as_str(), me.is_2fa),
        ("Augusta", "King", "ada@example.com", true)
    );
}

async fn wrong_logins(w: &World, login: &str, n: usize) {
    for _ in 0..n {
        assert!(matches!(w.login.login(login, &pw("wrong-password-123")).await, Err(Error::InvalidCredentials)));
    }
}

#[tokio::test]
async fn account_locks_after_five_failures_for_fifteen_seconds_then_doubling() {
    let w = World::new();
    w.register("ada", false).await;
    wrong_logins(&w, "ada", 5).await;
    tokens(&w, "ada").await; // five are free, and success resets the count
    wrong_logins(&w, "ada", 6).await;
    match w.login.login("ada", &pw(GOOD_PASSWORD)).await {
        Err(Error::AccountLocked { retry_after }) => assert_eq!(retry_after, Duration::from_secs(15)),
        other => panic!("{other:?}"),
    }
    w.clock.advance(Duration::from_secs(15));
    wrong_logins(&w, "ada", 1).await;
    match w.login.login("ada@example.com", &pw(GOOD_PASSWORD)).await {
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
            matches!(w.login.login(name, &pw("wrong-password-123")).await, Err(Error::AccountLocked { .. })),
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
    assert!(w.login.login("ada", &pw(GOOD_PASSWORD)).await.is_err());
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
    assert!(matches!(w.second_factor.verify(&tmp, wrong, None).await, Err(Error::OtpInvalid { .. })));
    assert!(matches!(w.second_factor.verify(&tmp, wrong, None).await, Err(Error::OtpInvalid { .. })));
    assert!(matches!(w.second_factor.verify(&tmp, &w.last_code().await, None).await, Err(Error::AccountLocked { .. })));
    assert!(matches!(w.login.login("bob", &pw(GOOD_PASSWORD)).await, Err(Error::AccountLocked { .. })));
}

#[tokio::test]
async fn the_hundredth_consecutive_failure_locks_until_an_admin_reactivates() {
    let w = World::new();
    let u = w.register("ada", false).await;
    w.admin("root").await;
    for _ in 0..100 {
        w.clock.advance(Duration::from_secs(15 * 60));
        assert!(matches!(w.login.login("ada", &pw("wrong-password-123")).await, Err(Error::InvalidCredentials)));
    }
    w.clock.advance(Duration::from_secs(30 * 24 * 3600));
    assert!(matches!(w.login.login("ada", &pw(GOOD_PASSWORD)).await, Err(Error::AccountLocked { .. })));
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
        Err(Error::RateLimited { retry_after }) => assert!(retry_after <= Duration::from_secs(60)),
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
    assert_eq!(w.throttle.purge().await.unwrap(), 1, "ada's counter, its lock long over");
    assert!(w.login.login("ada", &pw(GOOD_PASSWORD)).await.is_ok());
    assert!(matches!(w.login.login("bob", &pw(GOOD_PASSWORD)).await, Err(Error::AccountLocked { .. })));
}
