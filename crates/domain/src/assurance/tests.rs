//! What each way into a session says of how its user proved who they are
//! (`amr`, `acr`, `auth_time`), and that a refresh keeps it.

use std::time::Duration;

use super::{Acr, Amr, Assurance, AuthMethod};
use crate::clock::Clock;
use crate::login::LoginOutcome;
use crate::otp::{Method, Pending};
use crate::session::Caller;
use crate::testing::webauthn::TextKey;
use crate::testing::world::{GOOD_PASSWORD, World, pw, temporary, tokens};
use crate::token::TokenPair;
use crate::totp::TotpSecret;

async fn assurance(w: &World, pair: &TokenPair) -> Assurance {
    w.sessions.authenticate(&pair.access_token).await.unwrap().assurance
}

fn said(a: Assurance) -> (Vec<&'static str>, Acr) {
    (a.amr.words(), a.acr())
}

async fn caller(w: &World, name: &str) -> Caller {
    w.sessions.authenticate(&tokens(w, name).await.access_token).await.unwrap()
}

async fn pending(w: &World, name: &str) -> Pending {
    match w.login.login(&w.from, name, &pw(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::SecondFactor(p) => p,
        other => panic!("expected a second factor, got {other:?}"),
    }
}

async fn answer(w: &World, p: &Pending, code: &str, method: Method) -> TokenPair {
    w.second_factor.verify(&w.from, &p.temporary_token, code, Some(method)).await.unwrap().pair
}

#[test]
fn each_method_proves_its_rfc_8176_words_and_only_more_than_one_factor_makes_aal2() {
    assert_eq!(said(Assurance { amr: Amr::password(), ..Assurance::UNKNOWN }), (vec!["pwd"], Acr::Aal1));
    let otp = vec!["pwd", "otp", "mfa"];
    let phone = vec!["pwd", "otp", "sms", "mfa"];
    let cases = [
        (Method::Totp, &otp),
        (Method::RecoveryCode, &otp),
        (Method::Email, &otp),
        (Method::Sms, &phone),
        (Method::Whatsapp, &phone),
        (Method::Passkey, &vec!["pwd", "hwk", "user", "mfa"]),
    ];
    for (method, words) in cases {
        let amr = Amr::two_factors(method);
        assert_eq!((&amr.words(), amr.acr()), (words, Acr::Aal2), "{method:?}");
    }
    assert_eq!((Amr::passkey().words(), Amr::passkey().acr()), (vec!["hwk", "user", "mfa"], Acr::Aal2));
    assert_eq!((Amr::UNKNOWN.words(), Amr::UNKNOWN.acr()), (vec![], Acr::Aal1));
    assert_eq!(Amr::of(&[AuthMethod::Hwk, AuthMethod::User]).acr(), Acr::Aal1, "the level follows mfa alone");
}

#[test]
fn stored_method_words_read_back_as_written_and_a_word_authd_does_not_know_only_lowers_them() {
    let all = Method::ALL.map(Amr::two_factors);
    for amr in all.into_iter().chain([Amr::password(), Amr::passkey(), Amr::UNKNOWN]) {
        assert_eq!(Amr::from_words(amr.words()), amr, "{amr:?}");
    }
    assert_eq!(Amr::from_words(["pwd", "face", "mfa"]), Amr::of(&[AuthMethod::Pwd, AuthMethod::Mfa]));
    assert_eq!(Amr::from_words(["pwd", "MFA", "mfa "]).acr(), Acr::Aal1, "words match exactly");
    assert_eq!(Amr::from_words(["pwd", "mfa", "mfa"]).acr(), Acr::Aal2, "a word said twice is said");
}

#[tokio::test]
async fn a_password_alone_gives_pwd_at_aal1_proved_when_the_session_opened() {
    let w = World::new();
    w.register("ada", false).await;
    let a = assurance(&w, &tokens(&w, "ada").await).await;
    assert_eq!(said(a), (vec!["pwd"], Acr::Aal1));
    assert_eq!(a.auth_time.timestamp(), w.clock.now().timestamp(), "a token says it in whole seconds");
}

#[tokio::test]
async fn a_mailed_code_after_the_password_gives_pwd_otp_mfa_at_aal2() {
    let w = World::new();
    w.register("ada", true).await;
    let t = temporary(&w, "ada").await;
    let pair = w.second_factor.verify(&w.from, &t, &w.last_code().await, None).await.unwrap().pair;
    assert_eq!(said(assurance(&w, &pair).await), (vec!["pwd", "otp", "mfa"], Acr::Aal2));
}

#[tokio::test]
async fn an_app_code_and_a_recovery_code_give_pwd_otp_mfa_at_aal2() {
    let w = World::new();
    w.register("ada", false).await;
    let me = caller(&w, "ada").await;
    let secret =
        TotpSecret::from_base32(&w.authenticator.enrol(&me, &pw(GOOD_PASSWORD)).await.unwrap().secret).unwrap();
    let codes = w.authenticator.confirm(&me, &secret.code_at(w.clock.now())).await.unwrap();
    w.clock.advance(Duration::from_secs(30));
    let by_app = answer(&w, &pending(&w, "ada").await, &secret.code_at(w.clock.now()), Method::Totp).await;
    assert_eq!(said(assurance(&w, &by_app).await), (vec!["pwd", "otp", "mfa"], Acr::Aal2));
    let by_recovery = answer(&w, &pending(&w, "ada").await, codes[0].as_str(), Method::RecoveryCode).await;
    assert_eq!(said(assurance(&w, &by_recovery).await), (vec!["pwd", "otp", "mfa"], Acr::Aal2));
}

#[tokio::test]
async fn a_texted_code_says_sms_only_when_the_code_went_to_the_phone_whatever_method_the_client_names() {
    let w = World::new();
    w.with_verified_phone("ada", "+14155550132").await;
    let phone_words = (vec!["pwd", "otp", "sms", "mfa"], Acr::Aal2);

    let by_sms = pending(&w, "ada").await;
    assert_eq!(by_sms.methods[0], Method::Sms);
    let pair = answer(&w, &by_sms, &w.last_code().await, Method::Sms).await;
    assert_eq!(said(assurance(&w, &pair).await), phone_words);

    for (resent, named, words) in [
        (Method::Whatsapp, Method::Whatsapp, phone_words.clone()),
        (Method::Email, Method::Sms, (vec!["pwd", "otp", "mfa"], Acr::Aal2)),
    ] {
        let login = pending(&w, "ada").await;
        w.clock.advance(Duration::from_secs(120));
        w.second_factor.resend(&login.temporary_token, Some(resent)).await.unwrap();
        let pair = answer(&w, &login, &w.last_code().await, named).await;
        assert_eq!(said(assurance(&w, &pair).await), words, "sent by {resent:?}, named {named:?}");
    }
}

#[tokio::test]
async fn a_passkey_gives_hwk_user_mfa_at_aal2_as_the_second_step_and_as_a_sign_in_of_its_own() {
    let w = World::new();
    let ada = w.register("ada", false).await;
    let me = caller(&w, "ada").await;
    let mut key = TextKey::new(7, ada.id);
    let reg = w.passkeys.begin(&me, &pw(GOOD_PASSWORD)).await.unwrap();
    w.passkeys.finish(&me, reg.ceremony_id, "Laptop", &key.create(&reg.options)).await.unwrap();

    let login = pending(&w, "ada").await;
    let options = w.second_factor.passkey_options(&login.temporary_token).await.unwrap();
    let pair = w
        .second_factor
        .verify_passkey_as(&w.from, &login.temporary_token, &key.get(&options), Default::default())
        .await;
    let second_step = assurance(&w, &pair.unwrap().pair).await;
    assert_eq!(said(second_step), (vec!["pwd", "hwk", "user", "mfa"], Acr::Aal2));

    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let pair = w.passkey_sign_in.finish(&w.from, started.ceremony_id, &key.get(&started.options)).await.unwrap();
    assert_eq!(said(assurance(&w, &pair).await), (vec!["hwk", "user", "mfa"], Acr::Aal2));
}

#[tokio::test]
async fn a_reset_opens_a_session_as_a_password_login_does_at_aal1() {
    let w = World::new();
    w.register("ada", false).await;
    w.resets.request("ada@example.com").await.unwrap();
    let link = w.messages().await.into_iter().rev().find_map(|m| m.link).expect("a reset link");
    let token = link.split_once("?token=").unwrap().1;
    let new = pw("marmalade-lantern-orbit-77");
    match w.resets.confirm_link(&w.from, token, &new, &new).await.unwrap() {
        LoginOutcome::Tokens(pair) => assert_eq!(said(assurance(&w, &pair).await), (vec!["pwd"], Acr::Aal1)),
        other => panic!("expected a session, got {other:?}"),
    }
}

#[tokio::test]
async fn a_refresh_keeps_the_methods_the_level_and_when_they_were_proved() {
    let w = World::new();
    w.register("ada", true).await;
    let t = temporary(&w, "ada").await;
    let first = w.second_factor.verify(&w.from, &t, &w.last_code().await, None).await.unwrap().pair;
    let proved = assurance(&w, &first).await;
    w.clock.advance(Duration::from_secs(3600));
    let mut pair = first;
    for _ in 0..3 {
        pair = w.sessions.refresh(&pair.refresh_token).await.unwrap();
        w.clock.advance(Duration::from_secs(600));
    }
    let kept = assurance(&w, &pair).await;
    assert_eq!(kept, proved, "amr, acr and auth_time as at the login");
    assert!(kept.auth_time < w.clock.now() - chrono::Duration::seconds(3600));
}

#[tokio::test]
async fn a_browser_session_says_what_a_token_pair_says() {
    let w = World::new();
    w.register("ada", false).await;
    let outcome = w.login.login_as::<crate::token::BrowserToken>(&w.from, "ada", &pw(GOOD_PASSWORD)).await.unwrap();
    let LoginOutcome::Tokens(browser) = outcome else { panic!("expected a session") };
    let caller = w.sessions.authenticate_browser(&browser.token).await.unwrap();
    let said_at = (said(caller.assurance), caller.assurance.auth_time.timestamp());
    assert_eq!(said_at, ((vec!["pwd"], Acr::Aal1), w.clock.now().timestamp()));
}
