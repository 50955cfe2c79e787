//! Sensitive changes ask a user with a second factor to have proved who
//! they are recently, with two factors (RFC 9470); the password is the
//! proof for a user without one.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use super::{Acr, Amr, Assurance};
use crate::Error;
use crate::otp::Method;
use crate::session::Caller;
use crate::testing::world::{GOOD_PASSWORD, World, pw, temporary, tokens};
use crate::token::TokenPair;
use crate::user::ProfileChanges;

const FIVE_MINUTES: Duration = Duration::from_secs(300);

fn at(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
}

fn proved(amr: Amr) -> Assurance {
    Assurance::proved(amr, at(0))
}

fn missing(r: crate::Result<()>) -> Option<Option<Acr>> {
    match r {
        Ok(()) => None,
        Err(Error::ReauthenticationRequired { max_age, two_factors }) => {
            assert_eq!(max_age, Some(FIVE_MINUTES));
            Some(two_factors.then_some(Acr::Aal2))
        }
        Err(other) => panic!("{other:?}"),
    }
}

#[test]
fn a_user_with_a_second_factor_needs_two_factors_proved_at_most_max_age_ago() {
    let two = proved(Amr::two_factors(Method::Totp));
    assert_eq!(missing(two.allows_sensitive(at(300), FIVE_MINUTES, true)), None, "exactly max_age ago");
    assert_eq!(missing(two.allows_sensitive(at(301), FIVE_MINUTES, true)), Some(None), "a second more: too old");
    let one = proved(Amr::password());
    assert_eq!(missing(one.allows_sensitive(at(1), FIVE_MINUTES, true)), Some(Some(Acr::Aal2)), "recent, one factor");
    assert_eq!(missing(one.allows_sensitive(at(301), FIVE_MINUTES, true)), Some(Some(Acr::Aal2)), "old, one factor");
    let passkey = proved(Amr::passkey());
    assert_eq!(missing(passkey.allows_sensitive(at(60), FIVE_MINUTES, true)), None, "a passkey is two factors");
    let unknown = Assurance::UNKNOWN;
    assert_eq!(missing(unknown.allows_sensitive(at(0), FIVE_MINUTES, true)), Some(Some(Acr::Aal2)));
}

#[test]
fn a_user_without_a_second_factor_is_proved_by_the_password_the_change_asks_for() {
    for a in [proved(Amr::password()), Assurance::UNKNOWN] {
        assert_eq!(missing(a.allows_sensitive(at(86_400), FIVE_MINUTES, false)), None);
    }
}

/// ada, with mailed codes as her second factor, six minutes after logging in with one.
async fn six_minutes_in(w: &World) -> Caller {
    w.register("ada", true).await;
    let t = temporary(w, "ada").await;
    let pair = w.second_factor.verify(&w.from, &t, &w.last_code().await, None).await.unwrap().pair;
    w.clock.advance(Duration::from_secs(360));
    w.sessions.authenticate(&pair.access_token).await.unwrap()
}

fn asks_again(r: crate::Result<impl std::fmt::Debug>, what: &str) {
    assert!(matches!(r, Err(Error::ReauthenticationRequired { .. })), "{what}: {r:?}");
}

#[tokio::test]
async fn every_sensitive_change_of_a_user_with_a_second_factor_asks_for_a_recent_step_up_first() {
    let w = World::new();
    let me = six_minutes_in(&w).await;
    let good = pw(GOOD_PASSWORD);
    let new = pw("marmalade-lantern-orbit-77");
    asks_again(w.accounts.change_password(&me, &good, &new, &new).await, "change password");
    let with_password = |c: ProfileChanges| ProfileChanges { current_password: Some(good.clone()), ..c };
    for change in [
        ProfileChanges { email: Some("ada2@example.com".into()), ..Default::default() },
        ProfileChanges { phone: Some(Some("+14155550132".into())), ..Default::default() },
        ProfileChanges { is_2fa: Some(false), ..Default::default() },
    ] {
        asks_again(w.accounts.update_me(&me, with_password(change.clone())).await, &format!("{change:?}"));
    }
    asks_again(w.authenticator.enrol(&me, &good).await, "add an app");
    asks_again(w.authenticator.disable(&me, &good).await, "remove the app");
    asks_again(w.authenticator.regenerate_recovery_codes(&me, &good).await, "new recovery codes");
    asks_again(w.passkeys.begin(&me, &good).await, "add a passkey");
    asks_again(w.passkeys.remove(&me, Uuid::new_v4(), &good).await, "remove a passkey");
    asks_again(w.accounts.delete_me(&me, &good).await, "delete the account");
    let name = ProfileChanges { name: Some("Augusta".into()), ..Default::default() };
    assert!(w.accounts.update_me(&me, name).await.is_ok(), "a change that weakens nothing asks nothing");

    let me = w.stepped_up(&me).await;
    w.accounts
        .update_me(&me, with_password(ProfileChanges { is_2fa: Some(false), ..Default::default() }))
        .await
        .unwrap();
    w.accounts.change_password(&me, &good, &new, &new).await.unwrap();
}

#[tokio::test]
async fn a_stale_or_one_factor_session_of_a_user_with_a_second_factor_is_asked_before_the_password_is_checked() {
    let w = World::new();
    let me = six_minutes_in(&w).await;
    let wrong = pw("wrong-password-123");
    for _ in 0..10 {
        asks_again(w.accounts.delete_me(&me, &wrong).await, "no password guessing from a stale session");
    }
    assert!(!w.events(me.user_id).contains(&"reauthentication_failed"), "no guess was counted, none was checked");
    let by_password: TokenPair = w.step_up.reauthenticate(&w.from, &me, Some(&pw(GOOD_PASSWORD)), None).await.unwrap();
    let me = w.sessions.authenticate(&by_password.access_token).await.unwrap();
    asks_again(w.accounts.delete_me(&me, &pw(GOOD_PASSWORD)).await, "a password alone is aal1");
}

#[tokio::test]
async fn a_user_without_a_second_factor_changes_things_with_the_password_however_old_the_session() {
    let w = World::new();
    w.register("bob", false).await;
    let me = w.sessions.authenticate(&tokens(&w, "bob").await.access_token).await.unwrap();
    w.clock.advance(Duration::from_secs(600));
    let wrong = w.accounts.delete_me(&me, &pw("wrong-password-123")).await;
    assert!(matches!(wrong, Err(Error::WrongPassword)), "{wrong:?}");
    assert!(w.events(me.user_id).contains(&"reauthentication_failed"), "a wrong password is recorded and counted");
    let new = pw("marmalade-lantern-orbit-77");
    w.accounts.change_password(&me, &pw(GOOD_PASSWORD), &new, &new).await.unwrap();
}
