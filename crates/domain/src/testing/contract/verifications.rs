//! The contract of [`OtpRepo`](crate::ports::OtpRepo) for an application's
//! verifications: the cap on open ones per destination, canceling, and
//! going with the app.

use uuid::Uuid;

use super::apps::{app, key};
use super::{Store, at, challenge, winners};
use crate::app::App;
use crate::notify::delivery::CANCELED;
use crate::notify::{Channel, Delivery, DeliveryStatus, MessageKind};
use crate::otp::{Capped, CodeRules, Method, OtpChallenge, Purpose};
use crate::subject::Subject;

/// An open verification of `app` to `to`, sent at `at(0)`, expiring at
/// `at(expires)`; [`message`] is the message carrying its code.
fn verification(app: &App, to: &str, expires: i64) -> OtpChallenge {
    let mut c = challenge(crate::user::UserId(Uuid::nil()));
    c.id = Uuid::new_v4();
    c.owner = Subject::App(app.id);
    c.purpose = Purpose::Verification;
    c.method = Method::Sms;
    c.destination = Some(to.into());
    c.rules = CodeRules { digits: 8, max_attempts: 3 };
    c.expires_at = at(expires);
    c.delivery_id = Some(Uuid::new_v4());
    c
}

fn message(c: &OtpChallenge) -> Delivery {
    let to = c.destination.clone().unwrap();
    let id = c.delivery_id.unwrap();
    let mut d =
        Delivery::queued(id, None, Channel::Sms, to, MessageKind::Verification, vec![5; 40], c.expires_at, at(0));
    d.app_id = c.owner.app();
    d.sender = Some("Acme".into());
    d
}

async fn registered(s: &Store, n: i64) -> App {
    let a = app(n);
    s.apps.create(&a, &key(&a, n as u8 + 1, 0)).await.unwrap();
    a
}

pub async fn a_verification_round_trips_with_its_app_rules_and_message(s: Store) {
    let n = s.name;
    let acme = registered(&s, 0).await;
    let c = verification(&acme, "+14155550100", 300);
    let d = message(&c);
    assert_eq!(s.otps.create_capped(&c, &d, at(1), 3).await.unwrap(), Capped::Created, "{n}");
    let stored = s.otps.get(c.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.owner, stored.purpose, stored.rules, stored.destination.as_deref()),
        (c.owner, Purpose::Verification, c.rules, Some("+14155550100")),
        "{n}"
    );
    let sent = s.outbox.get(d.id).await.unwrap().unwrap();
    assert_eq!((sent.app_id, sent.sender.as_deref(), sent.user_id), (Some(acme.id), Some("Acme"), None), "{n}");
}

pub async fn open_verifications_per_destination_are_capped_once_among_fifty(s: Store) {
    let n = s.name;
    let acme = registered(&s, 0).await;
    let other = registered(&s, 1).await;
    let made = winners(50, || {
        let (otps, c) = (s.otps.clone(), verification(&acme, "+14155550100", 300 + rand_secs()));
        async move { Ok(otps.create_capped(&c, &message(&c), at(1), 3).await? == Capped::Created) }
    })
    .await;
    assert_eq!(made, 3, "{n}: three open, however many ask at once");
    let fourth = verification(&acme, "+14155550100", 900);
    match s.otps.create_capped(&fourth, &message(&fourth), at(1), 3).await.unwrap() {
        Capped::Full { frees_at } => {
            assert!(frees_at >= at(300) && frees_at < at(320), "{n}: the first to expire: {frees_at}")
        }
        Capped::Created => panic!("{n}: a fourth was stored"),
    }
    assert!(s.otps.get(fourth.id).await.unwrap().is_none(), "{n}: nothing stored");
    let elsewhere = verification(&acme, "+14155550101", 300);
    assert_eq!(
        s.otps.create_capped(&elsewhere, &message(&elsewhere), at(1), 3).await.unwrap(),
        Capped::Created,
        "{n}: another destination"
    );
    let theirs = verification(&other, "+14155550100", 300);
    assert_eq!(
        s.otps.create_capped(&theirs, &message(&theirs), at(1), 3).await.unwrap(),
        Capped::Created,
        "{n}: another app"
    );
    let later = verification(&acme, "+14155550100", 900);
    assert_eq!(
        s.otps.create_capped(&later, &message(&later), at(320), 3).await.unwrap(),
        Capped::Created,
        "{n}: expired ones do not count"
    );
}

/// A few seconds more for each call, so the open ones expire at different times.
fn rand_secs() -> i64 {
    i64::from(Uuid::new_v4().as_bytes()[0] % 16)
}

pub async fn closed_verifications_do_not_count_against_the_cap(s: Store) {
    let n = s.name;
    let acme = registered(&s, 0).await;
    let to = "+14155550100";
    let (used, failed, canceled) =
        (verification(&acme, to, 300), verification(&acme, to, 300), verification(&acme, to, 300));
    for c in [&used, &failed, &canceled] {
        assert_eq!(s.otps.create_capped(c, &message(c), at(1), 3).await.unwrap(), Capped::Created, "{n}");
    }
    assert!(s.otps.consume(used.id, at(2), 3).await.unwrap(), "{n}");
    for _ in 0..3 {
        s.otps.record_failure(failed.id, 3).await.unwrap();
    }
    assert!(s.otps.cancel(canceled.id, at(2)).await.unwrap(), "{n}");
    let fresh = verification(&acme, to, 300);
    assert_eq!(
        s.otps.create_capped(&fresh, &message(&fresh), at(3), 1).await.unwrap(),
        Capped::Created,
        "{n}: none is open"
    );
}

pub async fn a_cancel_closes_only_an_open_verification_and_fails_its_queued_message(s: Store) {
    let n = s.name;
    let acme = registered(&s, 0).await;
    let c = verification(&acme, "+14155550100", 300);
    let d = message(&c);
    s.otps.create_capped(&c, &d, at(1), 3).await.unwrap();
    assert!(s.otps.cancel(c.id, at(2)).await.unwrap(), "{n}");
    let stored = s.otps.get(c.id).await.unwrap().unwrap();
    assert_eq!(stored.canceled_at, Some(at(2)), "{n}");
    let gone = s.outbox.get(d.id).await.unwrap().unwrap();
    assert_eq!(
        (gone.status, gone.last_error.as_deref(), gone.sealed_code),
        (DeliveryStatus::Failed, Some(CANCELED), None),
        "{n}"
    );
    assert!(!s.otps.cancel(c.id, at(3)).await.unwrap(), "{n}: once");
    assert!(!s.otps.consume(c.id, at(3), 3).await.unwrap(), "{n}: a canceled code is never approved");
    assert!(!s.otps.record_failure(c.id, 3).await.unwrap(), "{n}: nor counts a try");
    let replaced =
        s.otps.replace_code(c.id, Method::Sms, &[1; 32], at(100), at(100), 3, 3, &message(&c)).await.unwrap();
    assert!(!replaced, "{n}: nor gets a new code");
    let used = verification(&acme, "+14155550101", 300);
    s.otps.create_capped(&used, &message(&used), at(1), 3).await.unwrap();
    s.otps.consume(used.id, at(2), 3).await.unwrap();
    assert!(!s.otps.cancel(used.id, at(3)).await.unwrap(), "{n}: an approved one stays approved");
    let expired = verification(&acme, "+14155550102", 10);
    s.otps.create_capped(&expired, &message(&expired), at(1), 3).await.unwrap();
    assert!(!s.otps.cancel(expired.id, at(10)).await.unwrap(), "{n}: an expired one cannot be canceled");
    let raced = verification(&acme, "+14155550103", 300);
    s.otps.create_capped(&raced, &message(&raced), at(1), 3).await.unwrap();
    let cancels = winners(20, || {
        let otps = s.otps.clone();
        async move { otps.cancel(raced.id, at(2)).await }
    })
    .await;
    assert_eq!(cancels, 1, "{n}: one of concurrent cancels");
}

pub async fn an_apps_verifications_and_messages_go_with_the_app(s: Store) {
    let n = s.name;
    let acme = registered(&s, 0).await;
    let c = verification(&acme, "+14155550100", 300);
    let d = message(&c);
    s.otps.create_capped(&c, &d, at(1), 3).await.unwrap();
    assert!(s.apps.delete(acme.id).await.unwrap(), "{n}");
    assert!(s.otps.get(c.id).await.unwrap().is_none(), "{n}: its verifications");
    assert!(s.outbox.get(d.id).await.unwrap().is_none(), "{n}: its messages, never sent after it is gone");
    let orphan = verification(&acme, "+14155550100", 300);
    assert!(s.otps.create_capped(&orphan, &message(&orphan), at(2), 3).await.is_err(), "{n}: none for a missing app");
}
