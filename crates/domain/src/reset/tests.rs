//! Replacing a forgotten password: the same quiet answer for every address,
//! a mail only to a proved address, once, and the second factor still asked.

use std::time::Duration;

use secrecy::SecretString;

use crate::Error;
use crate::login::LoginOutcome;
use crate::notify::{Message, MessageKind};
use crate::otp::Method;
use crate::reset::Requested;
use crate::testing::world::{GOOD_PASSWORD, World, pw, tokens};
use crate::token::TokenPair;

const NEW: &str = "marmalade-lantern-orbit-77";

fn new() -> SecretString {
    pw(NEW)
}

async fn reset_mail(w: &World) -> Message {
    let mails = w.messages().await;
    mails.into_iter().rev().find(|m| m.kind == MessageKind::PasswordReset).expect("a reset mail")
}

fn token_of(mail: &Message) -> String {
    mail.link.as_deref().expect("a link").split_once("?token=").expect("a token").1.to_owned()
}

async fn confirm(w: &World, token: &str) -> crate::Result<LoginOutcome<TokenPair>> {
    w.resets.confirm_link(&w.from, token, &new(), &new()).await
}

#[tokio::test]
async fn a_request_mails_a_link_and_code_to_the_proved_address_and_the_link_sets_a_new_password_once() {
    let w = World::new();
    let ada = w.register("ada", false).await;
    let old = tokens(&w, "ada").await;
    assert_eq!(w.resets.request("ADA@example.com").await.unwrap(), Requested::Mailed);
    let mail = reset_mail(&w).await;
    assert_eq!(mail.to, "ada@example.com");
    assert!(mail.link.as_deref().unwrap().starts_with("http://localhost:8000/ui/reset/confirm?token="));
    assert_eq!(mail.code.as_ref().unwrap().as_str().len(), 8);
    match confirm(&w, &token_of(&mail)).await.unwrap() {
        LoginOutcome::Tokens(pair) => assert!(w.sessions.authenticate(&pair.access_token).await.is_ok()),
        other => panic!("no second factor: a session at once, {other:?}"),
    }
    assert!(w.sessions.authenticate(&old.access_token).await.is_err(), "every earlier session ended");
    assert!(matches!(w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await, Err(Error::InvalidCredentials)));
    assert!(w.login.login(&w.from, "ada", &new()).await.is_ok(), "the new password");
    assert!(matches!(confirm(&w, &token_of(&mail)).await, Err(Error::ResetInvalid)), "once");
    let events = w.events(ada.id);
    assert!(events.contains(&"password_reset_requested") && events.contains(&"password_reset"), "{events:?}");
    let notice = w.messages().await.into_iter().find(|m| m.kind == MessageKind::PasswordResetDone).expect("a notice");
    assert_eq!(notice.to, "ada@example.com");
}

#[tokio::test]
async fn unknown_unproved_and_inactive_addresses_get_no_mail_and_the_same_quiet_outcome() {
    let w = World::new();
    let ada = w.register("ada", false).await;
    w.accounts.register(&w.from, World::form("bob", false)).await.unwrap();
    w.deactivate(ada.id);
    let before = w.messages().await.len();
    for email in ["nobody@example.com", "bob@example.com", "ada@example.com", "not an address", "ada"] {
        assert_eq!(w.resets.request(email).await.unwrap(), Requested::Nothing, "{email}");
    }
    assert_eq!(w.messages().await.len(), before, "no mail at all");
}

#[tokio::test]
async fn the_code_with_the_address_resets_too_and_five_wrong_codes_end_the_mail() {
    let w = World::new();
    w.register("ada", false).await;
    w.resets.request("ada@example.com").await.unwrap();
    let mail = reset_mail(&w).await;
    let code = mail.code.as_ref().unwrap().as_str().to_owned();
    let wrong = if code == "00000000" { "11111111" } else { "00000000" };
    for _ in 0..5 {
        let r = w.resets.confirm_code::<TokenPair>(&w.from, "ada@example.com", wrong, &new(), &new()).await;
        assert!(matches!(r, Err(Error::ResetInvalid)));
    }
    let r = w.resets.confirm_code::<TokenPair>(&w.from, "ada@example.com", &code, &new(), &new()).await;
    assert!(matches!(r, Err(Error::ResetInvalid)), "dead after five");
    assert!(matches!(confirm(&w, &token_of(&mail)).await, Err(Error::ResetInvalid)), "its link with it");

    w.clock.advance(Duration::from_secs(60));
    w.resets.request("ada@example.com").await.unwrap();
    let code = reset_mail(&w).await.code.unwrap().as_str().to_owned();
    let r = w.resets.confirm_code::<TokenPair>(&w.from, "ada@example.com", &code, &new(), &new()).await;
    assert!(matches!(r, Ok(LoginOutcome::Tokens(_))));
}

#[tokio::test]
async fn a_refused_password_spends_nothing_and_a_mismatch_neither() {
    let w = World::new();
    w.register("ada", false).await;
    w.resets.request("ada@example.com").await.unwrap();
    let token = token_of(&reset_mail(&w).await);
    let weak = w.resets.confirm_link::<TokenPair>(&w.from, &token, &pw("password1"), &pw("password1")).await;
    assert!(matches!(weak, Err(Error::WeakPassword(_))), "{weak:?}");
    let own = w.resets.confirm_link::<TokenPair>(&w.from, &token, &pw("ada@example.com"), &pw("ada@example.com")).await;
    assert!(matches!(own, Err(Error::WeakPassword(_))), "the user's own words");
    let mismatch = w.resets.confirm_link::<TokenPair>(&w.from, &token, &new(), &pw("something-else-9")).await;
    assert!(matches!(mismatch, Err(Error::PasswordMismatch)));
    assert!(confirm(&w, &token).await.is_ok(), "the link still works");
}

#[tokio::test]
async fn a_reset_expires_and_dies_when_the_password_or_the_address_changes() {
    let w = World::new();
    w.register("ada", false).await;
    w.resets.request("ada@example.com").await.unwrap();
    let expired = token_of(&reset_mail(&w).await);
    w.clock.advance(Duration::from_secs(15 * 60));
    assert!(matches!(confirm(&w, &expired).await, Err(Error::ResetInvalid)), "fifteen minutes");

    w.resets.request("ada@example.com").await.unwrap();
    let mailed = token_of(&reset_mail(&w).await);
    let pair = tokens(&w, "ada").await;
    let caller = w.sessions.authenticate(&pair.access_token).await.unwrap();
    w.accounts
        .change_password(&caller, &pw(GOOD_PASSWORD), &pw("another-good-pass-54"), &pw("another-good-pass-54"))
        .await
        .unwrap();
    assert!(matches!(confirm(&w, &mailed).await, Err(Error::ResetInvalid)), "a newer password");

    w.clock.advance(Duration::from_secs(3600));
    w.resets.request("ada@example.com").await.unwrap();
    let mailed = token_of(&reset_mail(&w).await);
    let moved = crate::user::ProfileChanges {
        email: Some("ada@new.example.com".into()),
        current_password: Some(pw("another-good-pass-54")),
        ..Default::default()
    };
    w.accounts.update_me(&caller, moved).await.unwrap();
    assert!(matches!(confirm(&w, &mailed).await, Err(Error::ResetInvalid)), "a new address");
}

#[tokio::test]
async fn recovery_never_satisfies_the_second_factor() {
    // An authenticator app: a reset leads to the app, exactly as a password.
    let w = World::new();
    let ada = w.register("ada", false).await;
    w.db.tables().users.get_mut(&ada.id).unwrap().user.is_2fa = true;
    w.resets.request("ada@example.com").await.unwrap();
    match confirm(&w, &token_of(&reset_mail(&w).await)).await.unwrap() {
        LoginOutcome::SecondFactor(due) => {
            assert_eq!(due.methods, vec![Method::Email]);
            assert!(w.events(ada.id).contains(&"recovery_via_email_only"), "said so when mail is the only factor");
        }
        other => panic!("the second factor is still asked: {other:?}"),
    }
    let sessions_open = w.db.tables().sessions.values().filter(|s| s.user_id == ada.id).count();
    assert_eq!(sessions_open, 0, "no session before the second factor");
}

#[tokio::test]
async fn a_reset_lifts_the_accounts_lockout() {
    let w = World::new();
    w.register("ada", false).await;
    for _ in 0..6 {
        let _ = w.login.login(&w.from, "ada", &pw("wrong-password-1")).await;
    }
    assert!(matches!(w.login.login(&w.from, "ada", &pw(GOOD_PASSWORD)).await, Err(Error::AccountLocked { .. })));
    w.resets.request("ada@example.com").await.unwrap();
    assert!(matches!(confirm(&w, &token_of(&reset_mail(&w).await)).await, Ok(LoginOutcome::Tokens(_))));
    assert!(w.login.login(&w.from, "ada", &new()).await.is_ok(), "the lock is lifted");
}

#[tokio::test]
async fn reset_mails_are_limited_per_account_quietly_and_requests_per_address_loudly() {
    let w = World::new();
    w.register("ada", false).await;
    for _ in 0..3 {
        assert_eq!(w.resets.request("ada@example.com").await.unwrap(), Requested::Mailed);
    }
    assert_eq!(w.resets.request("ada@example.com").await.unwrap(), Requested::Throttled, "no fourth mail an hour");
    for _ in 0..20 {
        w.resets.admit(&w.from).await.unwrap();
    }
    assert!(matches!(w.resets.admit(&w.from).await, Err(Error::RateLimited { .. })), "per address: 429");
}

#[tokio::test]
async fn a_reset_for_an_account_deactivated_since_it_was_mailed_sets_nothing() {
    let w = World::new();
    let ada = w.register("ada", false).await;
    w.resets.request("ada@example.com").await.unwrap();
    let token = token_of(&reset_mail(&w).await);
    w.deactivate(ada.id);
    assert!(matches!(confirm(&w, &token).await, Err(Error::ResetInvalid)));
    let stored = w.db.tables().users[&ada.id].password_hash.clone();
    assert!(!stored.contains(NEW), "the password is unchanged");
}
