//! The verification API's rules, on in-memory ports: an application's codes
//! follow the rules of every sent code, with its own length, tries and
//! lifetime, and the abuse limits.

use std::time::Duration;

use secrecy::SecretString;

use crate::Error;
use crate::app::{App, AppForm};
use crate::login::LoginOutcome;
use crate::notify::{Channel, DeliveryStatus, MessageKind};
use crate::policy::Policy;
use crate::subject::Subject;
use crate::testing::world::{GOOD_PASSWORD, World};
use crate::throttle::RateScope;
use crate::verification::VerificationStatus;

const PHONE: &str = "+14155550100";

/// An app with `form`'s settings, registered by an admin of `w`.
async fn app(w: &World, form: AppForm) -> App {
    let root = w.admin(&format!("root{}", w.db.tables().users.len())).await;
    let caller = match w.login.login(&w.from, &root.username, &SecretString::from(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::Tokens(t) => w.sessions.authenticate(&t.access_token).await.unwrap(),
        other => panic!("{other:?}"),
    };
    w.apps.create(&caller, form).await.unwrap().0
}

fn form(name: &str) -> AppForm {
    AppForm { name: name.into(), channels: vec![Channel::Email, Channel::Sms], ..Default::default() }
}

/// A code the app's verification did not send: same length, one digit off.
fn wrong(code: &str) -> String {
    let last = code.chars().last().unwrap().to_digit(10).unwrap();
    format!("{}{}", &code[..code.len() - 1], (last + 1) % 10)
}

#[tokio::test]
async fn a_code_of_the_apps_length_goes_out_in_its_name_and_approves_once() {
    let w = World::new();
    let acme = app(&w, AppForm { code_length: Some(8), ..form("Acme") }).await;
    let v = w.verifications.send(&acme, "Ada@Example.com", Channel::Email).await.unwrap();
    assert_eq!((v.status, v.channel, v.to.as_str()), (VerificationStatus::Pending, Channel::Email, "a***@example.com"));
    assert_eq!((v.remaining_attempts, v.delivery), (5, Some(DeliveryStatus::Queued)));
    let sent = w.messages().await.last().cloned().unwrap();
    assert_eq!(
        (sent.kind, sent.to.as_str(), sent.sender.as_deref()),
        (MessageKind::Verification, "ada@example.com", Some("Acme"))
    );
    let code = sent.code.as_ref().unwrap().as_str().to_owned();
    assert_eq!(code.len(), 8);
    match w.verifications.check(&acme, v.id, &wrong(&code)).await {
        Err(Error::OtpInvalid { remaining }) => assert_eq!(remaining, 4),
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(w.verifications.check(&acme, v.id, "1234").await, Err(Error::InvalidField { field: "code", .. })),
        "a code of another length costs no try"
    );
    let approved = w.verifications.check(&acme, v.id, &code).await.unwrap();
    assert_eq!((approved.status, approved.attempts), (VerificationStatus::Approved, 1));
    assert!(matches!(
        w.verifications.check(&acme, v.id, &code).await,
        Err(Error::VerificationClosed { status: VerificationStatus::Approved })
    ));
    assert_eq!(w.verifications.status(&acme, v.id).await.unwrap().delivery, Some(DeliveryStatus::Sent));
}

#[tokio::test]
async fn an_app_sees_only_its_own_verifications() {
    let w = World::new();
    let (acme, other) = (app(&w, form("Acme")).await, app(&w, form("Other")).await);
    let v = w.verifications.send(&acme, PHONE, Channel::Sms).await.unwrap();
    let code = w.last_code().await;
    assert!(matches!(w.verifications.status(&other, v.id).await, Err(Error::VerificationNotFound)));
    assert!(matches!(w.verifications.check(&other, v.id, &code).await, Err(Error::VerificationNotFound)));
    assert!(matches!(w.verifications.cancel(&other, v.id).await, Err(Error::VerificationNotFound)));
    assert!(matches!(w.verifications.resend(&other, v.id).await, Err(Error::VerificationNotFound)));
    assert_eq!(w.verifications.status(&acme, v.id).await.unwrap().status, VerificationStatus::Pending, "untouched");
}

#[tokio::test]
async fn a_verification_expires_after_the_apps_lifetime() {
    let w = World::new();
    let acme = app(&w, AppForm { ttl_seconds: Some(60), ..form("Acme") }).await;
    let v = w.verifications.send(&acme, PHONE, Channel::Sms).await.unwrap();
    let code = w.last_code().await;
    w.clock.advance(Duration::from_secs(59));
    assert_eq!(w.verifications.status(&acme, v.id).await.unwrap().status, VerificationStatus::Pending);
    w.clock.advance(Duration::from_secs(1));
    assert_eq!(w.verifications.status(&acme, v.id).await.unwrap().status, VerificationStatus::Expired);
    assert!(matches!(
        w.verifications.check(&acme, v.id, &code).await,
        Err(Error::VerificationClosed { status: VerificationStatus::Expired })
    ));
}

#[tokio::test]
async fn the_apps_number_of_wrong_codes_fails_the_verification() {
    let w = World::new();
    let acme = app(&w, AppForm { max_attempts: Some(2), ..form("Acme") }).await;
    let v = w.verifications.send(&acme, PHONE, Channel::Sms).await.unwrap();
    let code = w.last_code().await;
    assert!(matches!(w.verifications.check(&acme, v.id, &wrong(&code)).await, Err(Error::OtpInvalid { remaining: 1 })));
    assert!(matches!(w.verifications.check(&acme, v.id, &wrong(&code)).await, Err(Error::OtpInvalid { remaining: 0 })));
    assert!(
        matches!(w.verifications.check(&acme, v.id, &code).await, Err(Error::OtpLocked)),
        "the right code is too late"
    );
    let failed = w.verifications.status(&acme, v.id).await.unwrap();
    assert_eq!((failed.status, failed.attempts, failed.remaining_attempts), (VerificationStatus::Failed, 2, 0));
}

#[tokio::test]
async fn wrong_codes_for_one_destination_lock_it_across_verifications() {
    let w = World::new();
    let acme = app(&w, AppForm { max_attempts: Some(10), ..form("Acme") }).await;
    let first = w.verifications.send(&acme, PHONE, Channel::Sms).await.unwrap();
    let code = w.last_code().await;
    for _ in 0..6 {
        assert!(matches!(w.verifications.check(&acme, first.id, &wrong(&code)).await, Err(Error::OtpInvalid { .. })));
    }
    assert!(matches!(w.verifications.check(&acme, first.id, &code).await, Err(Error::AccountLocked { .. })));
    let other = w.verifications.send(&acme, "+14155550101", Channel::Sms).await.unwrap();
    let other_code = w.last_code().await;
    assert!(w.verifications.check(&acme, other.id, &other_code).await.is_ok(), "another destination is not locked");
}

#[tokio::test]
async fn pending_verifications_per_destination_are_capped_with_a_time_to_wait() {
    let w = World::new();
    let acme = app(&w, form("Acme")).await;
    for _ in 0..3 {
        w.verifications.send(&acme, PHONE, Channel::Sms).await.unwrap();
    }
    match w.verifications.send(&acme, PHONE, Channel::Sms).await {
        Err(Error::TooManyPending { retry_after }) => {
            assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(300))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(w.db.tables().otps.len(), 3, "nothing stored for the refused one");
    assert!(w.verifications.send(&acme, "+14155550101", Channel::Sms).await.is_ok(), "another number is not capped");
    let other = app(&w, form("Other")).await;
    assert!(w.verifications.send(&other, PHONE, Channel::Sms).await.is_ok(), "nor another app's");
    w.clock.advance(Duration::from_secs(300));
    assert!(w.verifications.send(&acme, PHONE, Channel::Sms).await.is_ok(), "expired ones no longer count");
}

#[tokio::test]
async fn a_send_refused_after_it_was_counted_is_taken_back_so_nobody_uses_up_a_victims_number() {
    let mut policy = Policy { verification_max_pending: 1, ..Policy::default() };
    policy.rate_limits.verifications_per_destination_per_hour = 2;
    let w = World::with_policy(policy);
    let acme = app(&w, form("Acme")).await;
    let first = w.verifications.send(&acme, PHONE, Channel::Sms).await.unwrap();
    // Refused by the pending cap, after the windows counted them: taken back.
    for _ in 0..5 {
        let again = w.verifications.send(&acme, PHONE, Channel::Sms).await;
        assert!(matches!(again, Err(Error::TooManyPending { .. })), "not a 429 of the windows: {again:?}");
    }
    w.verifications.send(&acme, "+14155550101", Channel::Sms).await.unwrap();
    w.verifications.cancel(&acme, first.id).await.unwrap();
    w.verifications.send(&acme, PHONE, Channel::Sms).await.expect("the destination's second real code");
    let third = w.verifications.send(&acme, PHONE, Channel::Sms).await;
    assert!(matches!(third, Err(Error::RateLimited { scope: RateScope::VerificationDestination, .. })), "{third:?}");
    let counted = w.db.tables().throttles.get(&format!("app:verify:{}", acme.id)).map(|r| r.hits);
    assert_eq!(counted, Some(3), "the app's window: the three codes sent, none of the refused");
}

#[tokio::test]
async fn verifications_are_limited_per_destination_and_hour_and_per_app_and_minute_and_each_429_names_which() {
    let mut policy = Policy { verification_max_pending: 100, ..Policy::default() };
    policy.rate_limits.verifications_per_destination_per_hour = 2;
    policy.rate_limits.verifications_per_app_per_minute = 4;
    let w = World::with_policy(policy);
    let acme = app(&w, form("Acme")).await;
    for _ in 0..2 {
        w.verifications.send(&acme, PHONE, Channel::Sms).await.unwrap();
    }
    // Each 429 names what was limited: this destination, then the app.
    let to_phone = w.verifications.send(&acme, PHONE, Channel::Sms).await;
    assert!(matches!(to_phone, Err(Error::RateLimited { scope: RateScope::VerificationDestination, .. })));
    assert!(to_phone.unwrap_err().to_string().starts_with("this application sent too many codes to this destination"));
    // The refused one is no send: the app has room for two more this minute.
    w.verifications.send(&acme, "+14155550101", Channel::Sms).await.unwrap();
    w.verifications.send(&acme, "+14155550103", Channel::Sms).await.unwrap();
    match w.verifications.send(&acme, "+14155550102", Channel::Sms).await {
        Err(e @ Error::RateLimited { scope: RateScope::AppVerifications, retry_after }) => {
            assert!(retry_after <= Duration::from_secs(60));
            assert!(e.to_string().starts_with("this application started too many verifications this minute"), "{e}");
        }
        other => panic!("the app's fifth this minute: {other:?}"),
    }
    w.clock.advance(Duration::from_secs(60));
    assert!(w.verifications.send(&acme, "+14155550102", Channel::Sms).await.is_ok(), "a new minute");
    assert!(
        matches!(w.verifications.send(&acme, PHONE, Channel::Sms).await, Err(Error::RateLimited { .. })),
        "the hour is not over"
    );
}

#[tokio::test]
async fn a_canceled_verification_sends_nothing_and_accepts_no_code() {
    let w = World::new();
    let acme = app(&w, form("Acme")).await;
    let v = w.verifications.send(&acme, PHONE, Channel::Sms).await.unwrap();
    let canceled = w.verifications.cancel(&acme, v.id).await.unwrap();
    assert_eq!((canceled.status, canceled.delivery), (VerificationStatus::Canceled, Some(DeliveryStatus::Failed)));
    assert!(w.messages().await.is_empty(), "the queued message is not sent");
    assert!(matches!(
        w.verifications.check(&acme, v.id, "000000").await,
        Err(Error::VerificationClosed { status: VerificationStatus::Canceled })
    ));
    assert!(matches!(w.verifications.cancel(&acme, v.id).await, Err(Error::VerificationNotPending)));
    assert!(matches!(
        w.verifications.resend(&acme, v.id).await,
        Err(Error::VerificationClosed { status: VerificationStatus::Canceled })
    ));
}

#[tokio::test]
async fn a_resend_waits_for_the_cooldown_and_replaces_the_code() {
    let w = World::new();
    let acme = app(&w, form("Acme")).await;
    let v = w.verifications.send(&acme, PHONE, Channel::Sms).await.unwrap();
    let old = w.last_code().await;
    assert!(matches!(w.verifications.resend(&acme, v.id).await, Err(Error::ResendCooldown { .. })));
    w.clock.advance(Duration::from_secs(30));
    let resent = w.verifications.resend(&acme, v.id).await.unwrap();
    assert_eq!((resent.resends_left, resent.status), (2, VerificationStatus::Pending));
    let new = w.last_code().await;
    assert_ne!(old, new);
    assert!(
        matches!(w.verifications.check(&acme, v.id, &old).await, Err(Error::OtpInvalid { .. })),
        "the old code stops working"
    );
    assert_eq!(w.verifications.check(&acme, v.id, &new).await.unwrap().status, VerificationStatus::Approved);
}

#[tokio::test]
async fn a_bad_destination_or_a_channel_the_app_did_not_enable_is_refused_and_stores_nothing() {
    let w = World::with_senders(Policy::default(), &[Channel::Email, Channel::Sms]);
    let acme = app(&w, AppForm { channels: vec![Channel::Sms], ..form("Acme") }).await;
    assert!(matches!(
        w.verifications.send(&acme, "ada@example.com", Channel::Email).await,
        Err(Error::ChannelUnavailable)
    ));
    assert!(matches!(w.verifications.send(&acme, PHONE, Channel::Whatsapp).await, Err(Error::ChannelUnavailable)));
    for bad in ["4155550100", "+1", "ada@example.com", "+1415555010012345"] {
        match w.verifications.send(&acme, bad, Channel::Sms).await {
            Err(Error::InvalidField { field, .. }) => assert_eq!(field, "to", "{bad}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    let mail = app(&w, AppForm { channels: vec![Channel::Email], ..form("Mail") }).await;
    assert!(matches!(
        w.verifications.send(&mail, "not-an-address", Channel::Email).await,
        Err(Error::InvalidField { field: "to", .. })
    ));
    assert!(w.db.tables().otps.is_empty() && w.db.tables().deliveries.is_empty());
}

#[tokio::test]
async fn every_state_change_is_an_event_about_the_app_with_the_destination_masked() {
    let w = World::new();
    let acme = app(&w, form("Acme")).await;
    let v = w.verifications.send(&acme, PHONE, Channel::Sms).await.unwrap();
    let code = w.last_code().await;
    w.verifications.check(&acme, v.id, &wrong(&code)).await.unwrap_err();
    w.verifications.check(&acme, v.id, &code).await.unwrap();
    let v2 = w.verifications.send(&acme, PHONE, Channel::Sms).await.unwrap();
    w.verifications.cancel(&acme, v2.id).await.unwrap();
    let events: Vec<_> = w.db.tables().audit.iter().filter(|e| e.subject == Subject::App(acme.id)).cloned().collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["app_created", "otp_sent", "delivery_sent", "otp_failed", "otp_verified", "otp_sent", "verification_canceled"]
    );
    for e in &events[1..] {
        if e.kind.as_str() != "delivery_sent" {
            assert_eq!(e.detail["to"], "+14*****0100", "{e:?}");
            assert!(e.detail["verification"] == v.id.to_string() || e.detail["verification"] == v2.id.to_string());
        }
    }
    assert!(!format!("{events:?}").contains(PHONE), "never the whole number");
    assert!(!format!("{events:?}").contains(&code), "never the code");
}

#[tokio::test]
async fn a_resend_counts_against_the_apps_caps_as_a_first_send_and_a_refused_one_counts_nothing() {
    let mut policy = Policy::default();
    policy.rate_limits.verifications_per_app_per_minute = 2;
    policy.otp_resend_cooldown = Duration::from_secs(10);
    let w = World::with_policy(policy);
    let acme = app(&w, form("Acme")).await;
    let v = w.verifications.send(&acme, PHONE, Channel::Sms).await.unwrap();
    // Within the cooldown: refused before the counters.
    assert!(matches!(w.verifications.resend(&acme, v.id).await, Err(Error::ResendCooldown { .. })));
    w.clock.advance(Duration::from_secs(11));
    w.verifications.resend(&acme, v.id).await.unwrap();
    // Two codes went out: the third, first send or resend, is over the cap.
    assert!(matches!(w.verifications.send(&acme, "+14155550101", Channel::Sms).await, Err(Error::RateLimited { .. })));
    w.clock.advance(Duration::from_secs(11));
    assert!(matches!(w.verifications.resend(&acme, v.id).await, Err(Error::RateLimited { .. })));
}

#[tokio::test]
async fn of_concurrent_resends_read_before_either_one_sends_and_the_other_learns_why() {
    use crate::otp::sent_codes::Destination;
    let policy = Policy { otp_resend_cooldown: Duration::from_secs(10), ..Policy::default() };
    let w = World::with_policy(policy);
    let acme = app(&w, form("Acme")).await;
    let v = w.verifications.send(&acme, PHONE, Channel::Sms).await.unwrap();
    let to =
        Destination { channel: Channel::Sms, to: PHONE, kind: MessageKind::Verification, sender: None, link: None };
    let codes = &w.verifications.codes;
    // Two requests read the verification before either resent: the second's
    // snapshot passes the early checks, and the conditional UPDATE refuses it.
    for resend in 1..=crate::otp::MAX_RESENDS {
        w.clock.advance(Duration::from_secs(11));
        let stale = w.db.tables().otps.get(&v.id).cloned().unwrap();
        codes.resend(&stale, to).await.unwrap();
        match codes.resend(&stale, to).await {
            Err(Error::ResendLimit) => assert_eq!(resend, crate::otp::MAX_RESENDS, "only once the last is spent"),
            Err(Error::ResendCooldown { .. }) => assert!(resend < crate::otp::MAX_RESENDS),
            other => panic!("resend {resend}: {other:?}"),
        }
    }
}
