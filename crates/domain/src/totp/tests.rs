//! Authenticator apps and recovery codes as second factors, on in-memory
//! ports with a hand-moved clock.

use std::time::Duration;

use secrecy::SecretString;

use crate::Error;
use crate::clock::Clock;
use crate::login::LoginOutcome;
use crate::otp::{Method, Pending};
use crate::policy::Policy;
use crate::recovery_code::RecoveryCode;
use crate::session::Caller;
use crate::subject::Subject;
use crate::testing::world::{GOOD_PASSWORD, World};
use crate::token::TokenPair;
use crate::totp::TotpSecret;
use crate::user::{ProfileChanges, User};

fn pw(s: &str) -> SecretString {
    SecretString::from(s)
}

async fn login(w: &World, name: &str) -> LoginOutcome {
    w.login.login(&w.from, name, &pw(GOOD_PASSWORD)).await.unwrap()
}

async fn pending(w: &World, name: &str) -> Pending {
    match login(w, name).await {
        LoginOutcome::SecondFactor(p) => p,
        other => panic!("expected a second factor, got {other:?}"),
    }
}

async fn tokens(w: &World, name: &str) -> TokenPair {
    match login(w, name).await {
        LoginOutcome::Tokens(pair) => pair,
        other => panic!("expected tokens, got {other:?}"),
    }
}

async fn caller(w: &World, name: &str) -> Caller {
    w.sessions.authenticate(&tokens(w, name).await.access_token).await.unwrap()
}

/// A user with a confirmed app: the secret (to compute codes), their
/// recovery codes, and their session stepped up with the app (`aal2`, as
/// changing a second factor asks). The clock is then moved to the next
/// step, as a person would wait for a fresh code before logging in.
async fn enrolled(w: &World, name: &str) -> (User, TotpSecret, Vec<RecoveryCode>, Caller) {
    let user = w.register(name, false).await;
    let me = caller(w, name).await;
    let enrolment = w.authenticator.enrol(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    let secret = TotpSecret::from_base32(&enrolment.secret).unwrap();
    let codes = w.authenticator.confirm(&me, &secret.code_at(w.clock.now())).await.unwrap();
    w.clock.advance(Duration::from_secs(30));
    let me = stepped_up(w, &me, &secret).await;
    w.clock.advance(Duration::from_secs(30));
    (user, secret, codes, me)
}

/// `me`'s session stepped up with the password and the app's current code.
async fn stepped_up(w: &World, me: &Caller, secret: &TotpSecret) -> Caller {
    let code = secret.code_at(w.clock.now());
    let factor = crate::assurance::Factor::Code { method: Some(Method::Totp), code: &code };
    let pair: TokenPair = w.step_up.reauthenticate(&w.from, me, Some(&pw(GOOD_PASSWORD)), Some(factor)).await.unwrap();
    w.sessions.authenticate(&pair.access_token).await.unwrap()
}

#[tokio::test]
async fn enrolment_is_pending_until_a_code_confirms_it_and_then_two_factor_login_is_on() {
    let w = World::new();
    w.register("ada", false).await;
    let me = caller(&w, "ada").await;
    assert!(matches!(w.authenticator.enrol(&me, &pw("wrong-password-1")).await, Err(Error::WrongPassword)));
    assert!(matches!(w.authenticator.confirm(&me, "123456").await, Err(Error::TotpNotPending)));
    let enrolment = w.authenticator.enrol(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    assert!(enrolment.otpauth_url.starts_with("otpauth://totp/authd:ada%40example.com?secret="));
    let secret = TotpSecret::from_base32(&enrolment.secret).unwrap();
    assert_eq!(w.authenticator.status(&me).await.unwrap().totp_since, None, "pending");
    tokens(&w, "ada").await; // a pending app does not guard logins (panics on a second factor)
    let wrong = secret.code_at(w.clock.now() + chrono::Duration::seconds(300));
    assert!(matches!(w.authenticator.confirm(&me, &wrong).await, Err(Error::InvalidField { field: "code", .. })));
    let codes = w.authenticator.confirm(&me, &secret.code_at(w.clock.now())).await.unwrap();
    assert_eq!(codes.len(), 10);
    assert!(w.accounts.me(&me).await.unwrap().is_2fa);
    let status = w.authenticator.status(&me).await.unwrap();
    assert_eq!((status.totp_since.is_some(), status.recovery_codes_left), (true, 10));
    assert_eq!(status.methods, [Method::Totp, Method::RecoveryCode]);
    let again = w.authenticator.enrol(&me, &pw(GOOD_PASSWORD)).await;
    assert!(matches!(again, Err(Error::ReauthenticationRequired { two_factors: true, .. })), "aal1 since: {again:?}");
    w.clock.advance(Duration::from_secs(30));
    let me = stepped_up(&w, &me, &secret).await;
    assert!(matches!(w.authenticator.enrol(&me, &pw(GOOD_PASSWORD)).await, Err(Error::TotpAlreadyActive)));
    assert!(matches!(w.authenticator.confirm(&me, &secret.code_at(w.clock.now())).await, Err(Error::TotpNotPending)));
}

#[tokio::test]
async fn a_user_with_an_app_answers_with_its_code_and_no_mail_is_sent() {
    let w = World::new();
    let (user, secret, _, _) = enrolled(&w, "ada").await;
    let mails = w.messages().await.len();
    let p = pending(&w, "ada").await;
    assert_eq!(p.methods, [Method::Totp, Method::RecoveryCode]);
    assert_eq!(w.messages().await.len(), mails, "no mail unless mail is the method");
    let done = w.second_factor.verify(&w.from, &p.temporary_token, &secret.code_at(w.clock.now()), None).await.unwrap();
    assert_eq!(w.sessions.authenticate(&done.pair.access_token).await.unwrap().user_id, user.id);
    assert_eq!(done.recovery_codes_left, None);
    assert_eq!(w.events(user.id).last(), Some(&"login_succeeded"));
}

#[tokio::test]
async fn a_totp_code_is_accepted_once_even_for_a_new_login() {
    let w = World::new();
    let (_, secret, _, _) = enrolled(&w, "ada").await;
    let code = secret.code_at(w.clock.now());
    let first = pending(&w, "ada").await;
    w.second_factor.verify(&w.from, &first.temporary_token, &code, Some(Method::Totp)).await.unwrap();
    let second = pending(&w, "ada").await;
    assert!(matches!(w.second_factor.verify(&w.from, &second.temporary_token, &code, None).await, Err(Error::OtpUsed)));
    w.clock.advance(Duration::from_secs(30));
    w.second_factor.verify(&w.from, &second.temporary_token, &secret.code_at(w.clock.now()), None).await.unwrap();
}

#[tokio::test]
async fn wrong_app_codes_count_against_the_challenge_and_the_account_like_mailed_ones() {
    let w = World::new();
    let (user, secret, _, _) = enrolled(&w, "ada").await;
    let p = pending(&w, "ada").await;
    let wrong = secret.code_at(w.clock.now() + chrono::Duration::seconds(600));
    for remaining in (0..5).rev() {
        let r = w.second_factor.verify(&w.from, &p.temporary_token, &wrong, None).await;
        assert!(matches!(r, Err(Error::OtpInvalid { remaining: n }) if n == remaining), "{r:?}");
    }
    let right = secret.code_at(w.clock.now());
    assert!(matches!(w.second_factor.verify(&w.from, &p.temporary_token, &right, None).await, Err(Error::OtpLocked)));
    assert!(w.events(user.id).contains(&"otp_locked"));
    assert!(matches!(w.second_factor.verify(&w.from, &p.temporary_token, "12345", None).await, Err(Error::OtpLocked)));
    let q = pending(&w, "ada").await;
    let r = w.second_factor.verify(&w.from, &q.temporary_token, &wrong, None).await;
    assert!(matches!(r, Err(Error::OtpInvalid { remaining: 4 })), "the sixth wrong code is counted: {r:?}");
    let r = w.second_factor.verify(&w.from, &q.temporary_token, &secret.code_at(w.clock.now()), None).await;
    assert!(matches!(r, Err(Error::AccountLocked { .. })), "and locks the account: {r:?}");
}

#[tokio::test]
async fn a_malformed_code_costs_no_try_whatever_the_method() {
    let w = World::new();
    enrolled(&w, "ada").await;
    let p = pending(&w, "ada").await;
    for (answer, method) in [("12a456", Method::Totp), ("not-a-code", Method::RecoveryCode)] {
        let r = w.second_factor.verify(&w.from, &p.temporary_token, answer, Some(method)).await;
        assert!(matches!(r, Err(Error::InvalidField { field: "otp", .. })), "{r:?}");
    }
    let ada = p_user(&w);
    let challenge = w.db.tables().otps.values().find(|c| c.owner == Subject::User(ada)).cloned().unwrap();
    assert_eq!(challenge.attempts, 0, "no try spent");
}

fn p_user(w: &World) -> crate::user::UserId {
    w.db.tables().users.values().find(|u| u.user.username == "ada").unwrap().user.id
}

#[tokio::test]
async fn a_recovery_code_logs_in_once_and_says_how_many_are_left() {
    let w = World::new();
    let (user, _, codes, _) = enrolled(&w, "ada").await;
    let p = pending(&w, "ada").await;
    let typed = codes[3].display().to_uppercase();
    let done = w.second_factor.verify(&w.from, &p.temporary_token, &typed, Some(Method::RecoveryCode)).await.unwrap();
    assert_eq!(done.recovery_codes_left, Some(9));
    assert!(w.events(user.id).contains(&"recovery_code_used"));
    let again = pending(&w, "ada").await;
    let r =
        w.second_factor.verify(&w.from, &again.temporary_token, codes[3].as_str(), Some(Method::RecoveryCode)).await;
    assert!(matches!(r, Err(Error::OtpInvalid { remaining: 4 })), "spent: {r:?}");
}

#[tokio::test]
async fn mail_is_no_method_for_an_app_user_unless_the_fallback_is_on() {
    let w = World::new();
    enrolled(&w, "ada").await;
    let p = pending(&w, "ada").await;
    let r = w.second_factor.verify(&w.from, &p.temporary_token, "123456", Some(Method::Email)).await;
    assert!(matches!(r, Err(Error::MethodUnavailable)));
    assert!(matches!(w.second_factor.resend(&p.temporary_token, None).await, Err(Error::MethodUnavailable)));

    let w = World::with_policy(Policy { totp_mail_fallback: true, ..Policy::default() });
    enrolled(&w, "bob").await;
    let mails = w.messages().await.len();
    let p = pending(&w, "bob").await;
    assert_eq!(p.methods, [Method::Totp, Method::RecoveryCode, Method::Email]);
    assert_eq!(w.messages().await.len(), mails, "the default is the app: nothing mailed yet");
    w.second_factor.resend(&p.temporary_token, Some(Method::Email)).await.unwrap();
    assert!(matches!(
        w.second_factor.resend(&p.temporary_token, Some(Method::Totp)).await,
        Err(Error::MethodUnavailable)
    ));
    w.second_factor.verify(&w.from, &p.temporary_token, &w.last_code().await, Some(Method::Email)).await.unwrap();
}

#[tokio::test]
async fn an_app_demands_a_second_factor_even_with_is_2fa_switched_off() {
    let w = World::new();
    let (_, _, _, me) = enrolled(&w, "ada").await;
    let off = ProfileChanges { is_2fa: Some(false), current_password: Some(pw(GOOD_PASSWORD)), ..Default::default() };
    w.accounts.update_me(&me, off).await.unwrap();
    assert_eq!(pending(&w, "ada").await.methods, [Method::Totp, Method::RecoveryCode]);
}

#[tokio::test]
async fn removing_the_app_needs_the_password_and_ends_the_other_sessions() {
    let w = World::new();
    let (user, secret, codes, me) = enrolled(&w, "ada").await;
    let other = pending(&w, "ada").await;
    let other =
        w.second_factor.verify(&w.from, &other.temporary_token, &secret.code_at(w.clock.now()), None).await.unwrap();
    assert!(matches!(w.authenticator.disable(&me, &pw("wrong-password-1")).await, Err(Error::WrongPassword)));
    w.authenticator.disable(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    assert!(w.sessions.authenticate(&other.pair.access_token).await.is_err(), "other sessions end");
    assert!(w.events(user.id).contains(&"totp_disabled"));
    let status = w.authenticator.status(&me).await.unwrap();
    assert_eq!((status.totp_since, status.recovery_codes_left), (None, 0));
    // is_2fa stays on: the next login falls back to a mailed code, and the
    // old recovery codes are gone.
    let p = pending(&w, "ada").await;
    assert_eq!(p.methods, [Method::Email]);
    let r = w.second_factor.verify(&w.from, &p.temporary_token, codes[0].as_str(), Some(Method::RecoveryCode)).await;
    assert!(matches!(r, Err(Error::MethodUnavailable)));
}

#[tokio::test]
async fn a_new_set_of_recovery_codes_needs_the_password_and_retires_the_old_set() {
    let w = World::new();
    w.register("bob", false).await;
    let bob = caller(&w, "bob").await;
    let r = w.authenticator.regenerate_recovery_codes(&bob, &pw(GOOD_PASSWORD)).await;
    assert!(matches!(r, Err(Error::NoSecondFactor)), "no app, no codes");
    let (user, _, old, me) = enrolled(&w, "ada").await;
    let r = w.authenticator.regenerate_recovery_codes(&me, &pw("wrong-password-1")).await;
    assert!(matches!(r, Err(Error::WrongPassword)));
    let new = w.authenticator.regenerate_recovery_codes(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    assert!(w.events(user.id).contains(&"recovery_codes_regenerated"));
    let p = pending(&w, "ada").await;
    let r = w.second_factor.verify(&w.from, &p.temporary_token, old[0].as_str(), Some(Method::RecoveryCode)).await;
    assert!(matches!(r, Err(Error::OtpInvalid { .. })), "the old set stopped working");
    let done =
        w.second_factor.verify(&w.from, &p.temporary_token, new[0].as_str(), Some(Method::RecoveryCode)).await.unwrap();
    assert_eq!(done.recovery_codes_left, Some(9));
}

#[tokio::test]
async fn an_admin_reset_removes_the_app_and_the_codes_and_is_recorded() {
    let w = World::new();
    w.admin("root").await;
    let root = caller(&w, "root").await;
    let (user, _, _, _) = enrolled(&w, "ada").await;
    w.admin.reset_second_factors(&root, user.id).await.unwrap();
    let event = w.db.tables().audit.iter().rev().find(|e| e.subject == Subject::User(user.id)).cloned().unwrap();
    assert_eq!((event.kind.as_str(), event.actor_id), ("second_factors_reset", Some(root.user_id)));
    assert_eq!(pending(&w, "ada").await.methods, [Method::Email], "is_2fa stays: mail takes over");
    let said = |user| {
        let t = w.db.tables();
        let reset = |e: &&crate::audit::AuditEvent| {
            e.subject == Subject::User(user) && e.kind.as_str() == "second_factors_reset"
        };
        let event = t.audit.iter().rev().find(reset).unwrap();
        event.detail.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>()
    };
    assert_eq!(said(user.id), ["passkeys_removed=0", "removed=true"], "the app");
    w.admin.reset_second_factors(&root, user.id).await.unwrap();
    assert_eq!(said(user.id), ["passkeys_removed=0", "removed=false"], "nothing left");
    let bob = w.register("bob", false).await;
    let me = caller(&w, "bob").await;
    let key = crate::testing::webauthn::TextKey::new(5, bob.id);
    let reg = w.passkeys.begin(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    w.passkeys.finish(&me, reg.ceremony_id, "Phone", &key.create(&reg.options)).await.unwrap();
    w.admin.reset_second_factors(&root, bob.id).await.unwrap();
    assert_eq!(said(bob.id), ["passkeys_removed=1", "removed=true"], "a passkey alone");
    let ghost = crate::user::UserId(uuid::Uuid::new_v4());
    assert!(matches!(w.admin.reset_second_factors(&root, ghost).await, Err(Error::UserNotFound)));
}

#[tokio::test]
async fn removing_second_factors_reports_whether_there_was_anything_to_remove() {
    use crate::ports::RecoveryCodeRepo;
    let w = World::new();
    let ada = w.register("ada", false).await;
    let me = caller(&w, "ada").await;
    let other = tokens(&w, "ada").await;
    assert!(!w.authenticator.remove_all(ada.id).await.unwrap(), "nothing enrolled");
    w.authenticator.disable(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    assert!(w.sessions.authenticate(&other.access_token).await.is_ok(), "nothing removed, nothing revoked");
    assert!(!w.events(ada.id).contains(&"totp_disabled"));
    w.authenticator.enrol(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    assert!(w.authenticator.remove_all(ada.id).await.unwrap(), "a pending app");
    w.db.replace_set(ada.id, &[vec![1], vec![2]], w.clock.now()).await.unwrap();
    assert!(w.authenticator.remove_all(ada.id).await.unwrap(), "recovery codes alone");
    assert!(!w.authenticator.remove_all(ada.id).await.unwrap(), "all gone");
}
