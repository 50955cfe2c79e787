//! Phone numbers: proving one, and codes by SMS or WhatsApp as a second
//! factor, on in-memory ports with a hand-moved clock.

use std::time::Duration;

use secrecy::SecretString;

use crate::Error;
use crate::clock::Clock;
use crate::login::LoginOutcome;
use crate::notify::{Channel, DeliveryStatus, MessageKind, SendFailure};
use crate::otp::{Method, Pending};
use crate::policy::Policy;
use crate::session::Caller;
use crate::testing::world::{GOOD_PASSWORD, World};
use crate::user::{ProfileChanges, User};

const ADA_PHONE: &str = "+14155550132";
const OTHER_PHONE: &str = "+442079460958";

async fn login(w: &World, name: &str) -> LoginOutcome {
    w.login.login(&w.from, name, &SecretString::from(GOOD_PASSWORD)).await.unwrap()
}

async fn pending(w: &World, name: &str) -> Pending {
    match login(w, name).await {
        LoginOutcome::SecondFactor(p) => p,
        other => panic!("expected a second factor, got {other:?}"),
    }
}

async fn caller(w: &World, name: &str) -> Caller {
    match login(w, name).await {
        LoginOutcome::Tokens(pair) => w.sessions.authenticate(&pair.access_token).await.unwrap(),
        other => panic!("expected tokens, got {other:?}"),
    }
}

async fn set_phone(w: &World, me: &Caller, phone: Option<&str>) -> User {
    let changes = ProfileChanges {
        phone: Some(phone.map(str::to_owned)),
        current_password: Some(GOOD_PASSWORD.into()),
        ..Default::default()
    };
    w.accounts.update_me(me, changes).await.unwrap()
}

async fn set_2fa(w: &World, me: &Caller, on: bool) {
    let switch =
        ProfileChanges { is_2fa: Some(on), current_password: Some(GOOD_PASSWORD.into()), ..Default::default() };
    w.accounts.update_me(me, switch).await.unwrap();
}

/// A user with `ADA_PHONE` on their account, not yet verified.
async fn with_phone(w: &World, name: &str) -> Caller {
    w.register(name, false).await;
    let me = caller(w, name).await;
    set_phone(w, &me, Some(ADA_PHONE)).await;
    me
}

/// A user whose `ADA_PHONE` is verified, with two-factor login on.
async fn verified(w: &World, name: &str) -> Caller {
    let me = with_phone(w, name).await;
    w.phones.send_code(&me, None).await.unwrap();
    w.phones.confirm(&me, &w.last_code().await).await.unwrap();
    set_2fa(w, &me, true).await;
    w.stepped_up(&me).await
}

#[tokio::test]
async fn a_code_by_sms_verifies_the_phone_and_sms_becomes_the_default_second_factor() {
    let w = World::new();
    let me = with_phone(&w, "ada").await;
    let status = w.phones.send_code(&me, None).await.unwrap();
    assert_eq!((status.method, status.delivery), (Method::Sms, Some(DeliveryStatus::Queued)));
    let sent = w.messages().await.pop().unwrap();
    assert_eq!((sent.channel, sent.to.as_str(), sent.kind), (Channel::Sms, ADA_PHONE, MessageKind::PhoneVerification));
    assert_eq!(w.phones.code_status(&me).await.unwrap().delivery, Some(DeliveryStatus::Sent));
    let user = w.phones.confirm(&me, sent.code.as_ref().unwrap().as_str()).await.unwrap();
    assert_eq!(user.verified_phone(), Some(ADA_PHONE));
    assert!(w.events(me.user_id).contains(&"phone_verified"));

    set_2fa(&w, &me, true).await;
    let due = pending(&w, "ada").await;
    assert_eq!(due.methods, [Method::Sms, Method::Whatsapp, Method::Email]);
    let code = w.messages().await.pop().unwrap();
    assert_eq!((code.channel, code.to.as_str(), code.kind), (Channel::Sms, ADA_PHONE, MessageKind::LoginCode));
    w.second_factor
        .verify(&w.from, &due.temporary_token, code.code.as_ref().unwrap().as_str(), Some(Method::Sms))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unverified_phone_is_never_offered_nor_sent_a_login_code() {
    let w = World::new();
    let me = with_phone(&w, "ada").await;
    set_2fa(&w, &me, true).await;
    let due = pending(&w, "ada").await;
    assert_eq!(due.methods, [Method::Email]);
    let code = w.last_code().await;
    w.clock.advance(Duration::from_secs(30));
    for m in [Method::Sms, Method::Whatsapp] {
        let resent = w.second_factor.resend(&due.temporary_token, Some(m)).await;
        assert!(matches!(resent, Err(Error::MethodUnavailable)), "{m:?}: {resent:?}");
        let answered = w.second_factor.verify(&w.from, &due.temporary_token, &code, Some(m)).await;
        assert!(matches!(answered, Err(Error::MethodUnavailable)), "{m:?}: {answered:?}");
    }
    assert!(w.messages().await.iter().all(|m| m.channel == Channel::Email));
}

#[tokio::test]
async fn changing_the_number_unverifies_it_and_a_code_sent_to_the_old_number_verifies_nothing() {
    let w = World::new();
    let me = verified(&w, "ada").await;
    let user = set_phone(&w, &me, Some(OTHER_PHONE)).await;
    assert_eq!((user.phone.as_deref(), user.verified_phone()), (Some(OTHER_PHONE), None));
    assert_eq!(pending(&w, "ada").await.methods, [Method::Email], "no SMS to an unproven number");

    // A code sent to one number, then the number changed before confirming.
    w.phones.send_code(&me, None).await.unwrap();
    let for_other = w.last_code().await;
    set_phone(&w, &me, Some(ADA_PHONE)).await;
    assert!(matches!(w.phones.confirm(&me, &for_other).await, Err(Error::PhoneChanged)));
    assert_eq!(w.accounts.me(&me).await.unwrap().verified_phone(), None);

    let cleared = set_phone(&w, &me, None).await;
    assert_eq!((cleared.phone, cleared.phone_verified_at), (None, None));
    assert!(matches!(w.phones.send_code(&me, None).await, Err(Error::NoPhone)));
}

#[tokio::test]
async fn wrong_phone_codes_count_against_the_code_and_the_account_lockout() {
    let w = World::new();
    let me = with_phone(&w, "ada").await;
    w.phones.send_code(&me, None).await.unwrap();
    let right = w.last_code().await;
    let wrong = if right == "000000" { "111111" } else { "000000" };
    assert!(matches!(w.phones.confirm(&me, "12ab").await, Err(Error::InvalidField { .. })), "malformed: no try");
    for left in (0..5).rev() {
        match w.phones.confirm(&me, wrong).await {
            Err(Error::OtpInvalid { remaining }) => assert_eq!(remaining, left),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(w.phones.confirm(&me, &right).await, Err(Error::OtpLocked)), "the code is dead");
    assert_eq!(w.accounts.me(&me).await.unwrap().verified_phone(), None);
    // Five failures are free; the sixth, a wrong password, locks the account.
    let wrong_password = w.login.login(&w.from, "ada", &SecretString::from("not-the-password-1")).await;
    assert!(matches!(wrong_password, Err(Error::InvalidCredentials)));
    assert!(matches!(
        w.login.login(&w.from, "ada", &SecretString::from(GOOD_PASSWORD)).await,
        Err(Error::AccountLocked { .. })
    ));
    assert!(matches!(w.phones.confirm(&me, &right).await, Err(Error::AccountLocked { .. })));
}

#[tokio::test]
async fn phone_codes_wait_for_the_cooldown_and_are_limited_per_user_per_hour() {
    let w = World::new();
    let me = with_phone(&w, "ada").await;
    w.phones.send_code(&me, None).await.unwrap();
    let first = w.last_code().await;
    assert!(matches!(w.phones.send_code(&me, None).await, Err(Error::ResendCooldown { .. })));
    for _ in 0..3 {
        w.clock.advance(Duration::from_secs(30));
        let status = w.phones.send_code(&me, None).await.unwrap();
        assert_eq!(status.resend_after, Duration::from_secs(30));
        w.deliver().await;
    }
    assert_eq!(w.messages().await.len(), 4, "one challenge: the first code and three resends");
    w.clock.advance(Duration::from_secs(30));
    assert!(matches!(w.phones.send_code(&me, None).await, Err(Error::ResendLimit)));
    assert!(
        matches!(w.phones.send_code(&me, None).await, Err(Error::RateLimited { .. })),
        "the 7th request in an hour"
    );
    assert!(matches!(w.phones.confirm(&me, &first).await, Err(Error::OtpInvalid { .. })), "replaced by the resends");
    w.clock.advance(Duration::from_secs(3600));
    w.phones.send_code(&me, None).await.unwrap();
    assert_eq!(w.messages().await.len(), 5, "a new hour, a new challenge");
    w.phones.confirm(&me, &w.last_code().await).await.unwrap();
}

#[tokio::test]
async fn whatsapp_is_offered_and_used_only_when_a_sender_is_configured_for_it() {
    let w = World::with_senders(Policy::default(), &[Channel::Email, Channel::Sms]);
    let me = with_phone(&w, "ada").await;
    assert!(matches!(w.phones.send_code(&me, Some(Channel::Whatsapp)).await, Err(Error::ChannelUnavailable)));
    assert!(matches!(w.phones.send_code(&me, Some(Channel::Email)).await, Err(Error::ChannelUnavailable)));
    w.phones.send_code(&me, None).await.unwrap();
    w.phones.confirm(&me, &w.last_code().await).await.unwrap();
    set_2fa(&w, &me, true).await;
    assert_eq!(pending(&w, "ada").await.methods, [Method::Sms, Method::Email]);

    let w = World::new();
    let me = with_phone(&w, "bob").await;
    w.phones.send_code(&me, Some(Channel::Whatsapp)).await.unwrap();
    assert_eq!(w.messages().await.pop().unwrap().channel, Channel::Whatsapp);
    w.phones.confirm(&me, &w.last_code().await).await.unwrap();
    assert!(matches!(w.phones.send_code(&me, None).await, Err(Error::PhoneVerified)));
    set_2fa(&w, &me, true).await;
    let due = pending(&w, "bob").await;
    w.clock.advance(Duration::from_secs(30));
    w.second_factor.resend(&due.temporary_token, Some(Method::Whatsapp)).await.unwrap();
    let sent = w.messages().await.pop().unwrap();
    assert_eq!((sent.channel, sent.kind), (Channel::Whatsapp, MessageKind::LoginCode));
    w.second_factor
        .verify(&w.from, &due.temporary_token, sent.code.as_ref().unwrap().as_str(), Some(Method::Whatsapp))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_resend_on_another_channel_replaces_the_code_and_becomes_the_default_answer() {
    let w = World::new();
    verified(&w, "ada").await;
    let due = pending(&w, "ada").await;
    let by_sms = w.last_code().await;
    w.clock.advance(Duration::from_secs(30));
    let resent = w.second_factor.resend(&due.temporary_token, Some(Method::Email)).await.unwrap();
    assert_eq!((resent.method, resent.delivery, resent.resends_left), (Method::Email, Some(DeliveryStatus::Queued), 2));
    let by_mail = w.messages().await.pop().unwrap();
    assert_eq!((by_mail.channel, by_mail.to.as_str()), (Channel::Email, "ada@example.com"));
    let status = w.second_factor.status(&due.temporary_token).await.unwrap();
    assert_eq!((status.method, status.delivery, status.resends_left), (Method::Email, Some(DeliveryStatus::Sent), 2));
    assert_ne!(by_sms, by_mail.code.as_ref().unwrap().as_str(), "the fake RNG draws distinct codes");
    let old = w.second_factor.verify(&w.from, &due.temporary_token, &by_sms, None).await;
    assert!(matches!(old, Err(Error::OtpInvalid { .. })), "{old:?}");
    w.second_factor.verify(&w.from, &due.temporary_token, by_mail.code.as_ref().unwrap().as_str(), None).await.unwrap();
}

#[tokio::test]
async fn a_phone_code_never_answers_a_login_and_a_login_code_never_proves_a_phone() {
    let w = World::new();
    let me = with_phone(&w, "ada").await;
    set_2fa(&w, &me, true).await;
    let due = pending(&w, "ada").await;
    let login_code = w.last_code().await;
    w.phones.send_code(&me, None).await.unwrap();
    let phone_code = w.last_code().await;
    assert_ne!(login_code, phone_code, "the fake RNG draws distinct codes");
    assert!(matches!(w.phones.confirm(&me, &login_code).await, Err(Error::OtpInvalid { .. })));
    let answered = w.second_factor.verify(&w.from, &due.temporary_token, &phone_code, None).await;
    assert!(matches!(answered, Err(Error::OtpInvalid { .. })), "{answered:?}");
    w.phones.confirm(&me, &phone_code).await.unwrap();
    w.second_factor.verify(&w.from, &due.temporary_token, &login_code, None).await.unwrap();
}

#[tokio::test]
async fn a_phone_code_is_confirmed_once_and_not_after_it_expires() {
    let w = World::new();
    let me = with_phone(&w, "ada").await;
    assert!(matches!(w.phones.confirm(&me, "123456").await, Err(Error::NoCodePending)), "nothing sent yet");
    w.phones.send_code(&me, None).await.unwrap();
    let code = w.last_code().await;
    w.clock.advance(Duration::from_secs(4 * 60));
    assert!(matches!(w.phones.confirm(&me, &code).await, Err(Error::NoCodePending)), "expired with the code");
    w.phones.send_code(&me, None).await.unwrap();
    let fresh = w.last_code().await;
    w.phones.confirm(&me, &fresh).await.unwrap();
    set_phone(&w, &me, Some(OTHER_PHONE)).await;
    assert!(matches!(w.phones.confirm(&me, &fresh).await, Err(Error::NoCodePending)), "used once");
}

#[tokio::test]
async fn a_failed_phone_message_is_reported_to_the_user_who_asked() {
    let w = World::new();
    let me = with_phone(&w, "ada").await;
    w.notifier.fail_next(1, SendFailure::permanent("provider refused the destination (21211)"));
    w.phones.send_code(&me, None).await.unwrap();
    w.deliver().await;
    assert_eq!(w.phones.code_status(&me).await.unwrap().delivery, Some(DeliveryStatus::Failed));
}

#[tokio::test]
async fn a_temporary_token_naming_a_phone_challenge_answers_no_login() {
    let w = World::new();
    let me = with_phone(&w, "ada").await;
    w.phones.send_code(&me, None).await.unwrap();
    let code = w.last_code().await;
    let phone_challenge =
        w.db.tables().otps.values().find(|c| c.purpose == crate::otp::Purpose::Phone).unwrap().clone();
    let now = w.clock.now();
    let forged =
        w.second_factor.tokens.temporary(me.user_id, phone_challenge.id, now, phone_challenge.expires_at).unwrap();
    let answered = w.second_factor.verify(&w.from, &forged, &code, Some(Method::Sms)).await;
    assert!(matches!(answered, Err(Error::TokenInvalid)), "{answered:?}");
    assert!(matches!(w.second_factor.status(&forged).await, Err(Error::TokenInvalid)));
    w.phones.confirm(&me, &code).await.unwrap();
}

#[tokio::test]
async fn a_request_that_loses_the_race_to_open_a_phone_code_waits_like_a_resend() {
    let w = World::new();
    let me = with_phone(&w, "ada").await;
    w.phones.send_code(&me, None).await.unwrap();
    // What a concurrent request sees: the latest challenge closed, while
    // the one another node just opened for the number is still open.
    let open = w.db.tables().otps.values().next().unwrap().clone();
    let newer_closed = crate::otp::OtpChallenge {
        id: uuid::Uuid::new_v4(),
        created_at: open.created_at + chrono::Duration::seconds(1),
        used_at: Some(open.created_at),
        ..open.clone()
    };
    w.db.tables().otps.insert(newer_closed.id, newer_closed);
    match w.phones.send_code(&me, None).await {
        Err(Error::ResendCooldown { retry_after }) => assert_eq!(retry_after, Duration::from_secs(30)),
        other => panic!("{other:?}"),
    }
    assert_eq!(w.messages().await.len(), 1, "one code for the number");
}

#[test]
fn a_phone_code_is_offered_only_by_the_channels_the_server_sends_on_sms_first() {
    let both = World::with_senders(Policy::default(), &[Channel::Email, Channel::Whatsapp, Channel::Sms]);
    assert_eq!(both.phones.channels(), [Channel::Sms, Channel::Whatsapp]);
    let mail_only = World::with_senders(Policy::default(), &[Channel::Email]);
    assert!(mail_only.phones.channels().is_empty());
}
