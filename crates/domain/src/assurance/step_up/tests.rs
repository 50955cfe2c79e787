//! Stepping up from a live session: what each proof gives, that the factors
//! keep their tries and lockout, and that a step-up code is its session's.

use std::time::Duration;

use secrecy::SecretString;

use super::Factor;
use crate::Error;
use crate::assurance::{Acr, Assurance};
use crate::clock::Clock;
use crate::notify::MessageKind;
use crate::otp::Method;
use crate::session::Caller;
use crate::testing::webauthn::TextKey;
use crate::testing::world::{GOOD_PASSWORD, World, pw, temporary, tokens};
use crate::token::TokenPair;
use crate::totp::TotpSecret;

fn good() -> SecretString {
    pw(GOOD_PASSWORD)
}

async fn caller_of(w: &World, pair: &TokenPair) -> Caller {
    w.sessions.authenticate(&pair.access_token).await.unwrap()
}

/// ada, with mailed codes as her second factor, logged in with one 30
/// minutes ago (her access token refreshed since).
async fn ada_half_an_hour_in(w: &World) -> (Caller, TokenPair) {
    w.register("ada", true).await;
    let t = temporary(w, "ada").await;
    let pair = w.second_factor.verify(&w.from, &t, &w.last_code().await, None).await.unwrap().pair;
    w.clock.advance(Duration::from_secs(1800));
    let pair = w.sessions.refresh(&pair.refresh_token).await.unwrap();
    (caller_of(w, &pair).await, pair)
}

fn said(a: Assurance) -> (Vec<&'static str>, Acr) {
    (a.amr.words(), a.acr())
}

async fn step_up(
    w: &World,
    me: &Caller,
    password: Option<&SecretString>,
    f: Option<Factor<'_>>,
) -> crate::Result<TokenPair> {
    w.step_up.reauthenticate(&w.from, me, password, f).await
}

#[tokio::test]
async fn a_password_alone_renews_auth_time_at_aal1_even_after_a_two_factor_login() {
    let w = World::new();
    let (me, old) = ada_half_an_hour_in(&w).await;
    assert_eq!(me.assurance.acr(), Acr::Aal2);
    let pair = step_up(&w, &me, Some(&good()), None).await.unwrap();
    let now = caller_of(&w, &pair).await.assurance;
    assert_eq!(said(now), (vec!["pwd"], Acr::Aal1));
    assert_eq!(now.auth_time.timestamp(), w.clock.now().timestamp());
    assert_eq!(caller_of(&w, &pair).await.session_id, me.session_id, "the same session");
    assert!(w.events(me.user_id).ends_with(&["reauthenticated"]));
    let reused = w.sessions.refresh(&old.refresh_token).await;
    assert!(matches!(reused, Err(Error::RefreshReused)), "the refresh token rotated: {reused:?}");
}

#[tokio::test]
async fn a_password_and_a_code_sent_for_the_step_up_give_aal2_now() {
    let w = World::new();
    let (me, _) = ada_half_an_hour_in(&w).await;
    w.step_up.send_code(&me, Method::Email).await.unwrap();
    let mail = w.messages().await.pop().unwrap();
    assert_eq!(mail.kind, MessageKind::ReauthCode);
    let code = mail.code.unwrap();
    let factor = Factor::Code { method: None, code: code.as_str() };
    let pair = step_up(&w, &me, Some(&good()), Some(factor)).await.unwrap();
    let now = caller_of(&w, &pair).await.assurance;
    assert_eq!(said(now), (vec!["pwd", "otp", "mfa"], Acr::Aal2));
    assert_eq!(now.auth_time.timestamp(), w.clock.now().timestamp());
    let again = step_up(&w, &caller_of(&w, &pair).await, Some(&good()), Some(factor)).await;
    assert!(matches!(again, Err(Error::NoCodePending)), "spent: {again:?}");
}

#[tokio::test]
async fn a_code_alone_is_one_factor_and_a_passkey_alone_is_two() {
    let w = World::new();
    let (me, _) = ada_half_an_hour_in(&w).await;
    let me = w.stepped_up(&me).await;
    let mut key = TextKey::new(7, me.user_id);
    let reg = w.passkeys.begin(&me, &good()).await.unwrap();
    w.passkeys.finish(&me, reg.ceremony_id, "Laptop", &key.create(&reg.options)).await.unwrap();

    w.clock.advance(Duration::from_secs(60));
    w.step_up.send_code(&me, Method::Email).await.unwrap();
    let code = w.last_code().await;
    let pair = step_up(&w, &me, None, Some(Factor::Code { method: Some(Method::Email), code: &code })).await.unwrap();
    let me = caller_of(&w, &pair).await;
    assert_eq!(said(me.assurance), (vec!["otp"], Acr::Aal1));

    let options = w.step_up.passkey_options(&me).await.unwrap();
    let pair = step_up(&w, &me, None, Some(Factor::Passkey(&key.get(&options)))).await.unwrap();
    assert_eq!(said(caller_of(&w, &pair).await.assurance), (vec!["hwk", "user", "mfa"], Acr::Aal2));
}

#[tokio::test]
async fn an_app_code_needs_nothing_sent_first() {
    let w = World::new();
    w.register("ada", false).await;
    let me = caller_of(&w, &tokens(&w, "ada").await).await;
    let secret = TotpSecret::from_base32(&w.authenticator.enrol(&me, &good()).await.unwrap().secret).unwrap();
    w.authenticator.confirm(&me, &secret.code_at(w.clock.now())).await.unwrap();
    w.clock.advance(Duration::from_secs(30));
    let code = secret.code_at(w.clock.now());
    let pair = step_up(&w, &me, Some(&good()), Some(Factor::Code { method: None, code: &code })).await.unwrap();
    assert_eq!(said(caller_of(&w, &pair).await.assurance), (vec!["pwd", "otp", "mfa"], Acr::Aal2));
}

#[tokio::test]
async fn wrong_passwords_at_a_step_up_count_against_the_account_lockout() {
    let w = World::new();
    let (me, _) = ada_half_an_hour_in(&w).await;
    for _ in 0..=crate::throttle::schedule::FREE_FAILURES {
        let wrong = step_up(&w, &me, Some(&pw("wrong-password-123")), None).await;
        assert!(matches!(wrong, Err(Error::WrongPassword)), "{wrong:?}");
    }
    assert!(matches!(step_up(&w, &me, Some(&good()), None).await, Err(Error::AccountLocked { .. })));
    assert!(w.events(me.user_id).contains(&"reauthentication_failed"));
    let login = w.login.login(&w.from, "ada", &good()).await;
    assert!(matches!(login, Err(Error::AccountLocked { .. })), "one lockout: {login:?}");
}

#[tokio::test]
async fn five_wrong_step_up_codes_close_the_challenge_and_count_against_the_account() {
    let w = World::new();
    let (me, _) = ada_half_an_hour_in(&w).await;
    w.step_up.send_code(&me, Method::Email).await.unwrap();
    let right = w.last_code().await;
    let wrong = if right == "000000" { "111111" } else { "000000" };
    for remaining in (0..5).rev() {
        let r = step_up(&w, &me, Some(&good()), Some(Factor::Code { method: None, code: wrong })).await;
        match r {
            Err(Error::OtpInvalid { remaining: left }) => assert_eq!(left, remaining),
            Err(Error::OtpLocked) | Err(Error::AccountLocked { .. }) if remaining == 0 => {}
            other => panic!("expected a wrong code, got {other:?}"),
        }
    }
    let late = step_up(&w, &me, Some(&good()), Some(Factor::Code { method: None, code: &right })).await;
    assert!(late.is_err(), "the challenge is closed: {late:?}");
    assert!(w.events(me.user_id).contains(&"otp_failed"));
}

#[tokio::test]
async fn a_step_up_code_raises_only_the_session_it_was_sent_for() {
    let w = World::new();
    let (me, _) = ada_half_an_hour_in(&w).await;
    let t = temporary(&w, "ada").await;
    let other = w.second_factor.verify(&w.from, &t, &w.last_code().await, None).await.unwrap().pair;
    let other = caller_of(&w, &other).await;
    w.step_up.send_code(&me, Method::Email).await.unwrap();
    let code = w.last_code().await;
    let stolen = step_up(&w, &other, Some(&good()), Some(Factor::Code { method: None, code: &code })).await;
    assert!(matches!(stolen, Err(Error::NoCodePending)), "{stolen:?}");
    assert!(step_up(&w, &me, Some(&good()), Some(Factor::Code { method: None, code: &code })).await.is_ok());
}

#[tokio::test]
async fn a_step_up_needs_a_proof_a_method_the_user_has_and_a_live_session() {
    let w = World::new();
    let (me, _) = ada_half_an_hour_in(&w).await;
    assert!(matches!(step_up(&w, &me, None, None).await, Err(Error::InvalidField { field: "password", .. })));
    for unavailable in [Method::Sms, Method::Totp, Method::Passkey] {
        let r = w.step_up.send_code(&me, unavailable).await;
        assert!(matches!(r, Err(Error::MethodUnavailable)), "{unavailable:?}: {r:?}");
    }
    let unsent = Factor::Code { method: Some(Method::Email), code: "123456" };
    let r = step_up(&w, &me, Some(&good()), Some(unsent)).await;
    assert!(matches!(r, Err(Error::NoCodePending)), "no code was sent for this session: {r:?}");
    assert!(!w.events(me.user_id).contains(&"otp_failed"), "and no try was spent");
    w.sessions.logout(&me, false).await.unwrap();
    assert!(matches!(step_up(&w, &me, Some(&good()), None).await, Err(Error::SessionRevoked)));
}

#[tokio::test]
async fn step_up_codes_count_against_the_users_hourly_codes_and_a_locked_account_gets_none() {
    let mut policy = crate::policy::Policy::default();
    policy.rate_limits.email_codes_per_hour = 1;
    let w = World::with_policy(policy);
    let (me, _) = ada_half_an_hour_in(&w).await;
    w.step_up.send_code(&me, Method::Email).await.unwrap();
    w.clock.advance(Duration::from_secs(60));
    let again = w.step_up.send_code(&me, Method::Email).await;
    assert!(matches!(again, Err(Error::RateLimited { .. })), "{again:?}");

    let w = World::new();
    let (me, _) = ada_half_an_hour_in(&w).await;
    for _ in 0..=crate::throttle::schedule::FREE_FAILURES {
        let _ = step_up(&w, &me, Some(&pw("wrong-password-123")), None).await;
    }
    let locked = w.step_up.send_code(&me, Method::Email).await;
    assert!(matches!(locked, Err(Error::AccountLocked { .. })), "{locked:?}");
}
