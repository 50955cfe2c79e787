//! The contract of [`Outbox`](crate::ports::Outbox), and of the messages
//! [`OtpRepo`](crate::ports::OtpRepo) queues with its challenges.

use std::collections::HashSet;

use uuid::Uuid;

use super::{Store, at, challenge, delivery};
use crate::notify::delivery::SUPERSEDED;
use crate::notify::{DeliveryStatus, Settlement};
use crate::otp::Method;

const MAX_ATTEMPTS: u32 = crate::otp::MAX_ATTEMPTS;
const MAX_RESENDS: u32 = crate::otp::MAX_RESENDS;

pub async fn a_challenge_and_its_message_are_stored_together(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let d = delivery(ada, 0);
    let c = crate::otp::OtpChallenge { delivery_id: Some(d.id), ..challenge(ada) };
    s.otps.create(&c, Some(&d)).await.unwrap();
    assert_eq!(s.otps.get(c.id).await.unwrap().unwrap().delivery_id, Some(d.id), "{n}");
    assert_eq!(s.outbox.get(d.id).await.unwrap().as_ref(), Some(&d), "{n}: every field round-trips");
    assert!(s.outbox.get(Uuid::new_v4()).await.unwrap().is_none(), "{n}");

    // A message that cannot be queued takes its challenge with it.
    let other = challenge(ada);
    assert!(s.otps.create(&other, Some(&d)).await.is_err(), "{n}: the delivery id is taken");
    assert!(s.otps.get(other.id).await.unwrap().is_none(), "{n}: one transaction: no challenge without its message");
}

pub async fn a_claim_takes_the_longest_due_rows_and_hides_them_until_the_lease_lapses(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let rows = [delivery(ada, 20), delivery(ada, 0), delivery(ada, 10), delivery(ada, 100)];
    for d in &rows {
        s.otps.create(&challenge(ada), Some(d)).await.unwrap();
    }
    let claimed = s.outbox.claim(at(50), at(110), 2).await.unwrap();
    let ids: HashSet<Uuid> = claimed.iter().map(|d| d.id).collect();
    assert_eq!(ids, HashSet::from([rows[1].id, rows[2].id]), "{n}: the two due longest");
    assert!(claimed.iter().all(|d| d.attempts == 1 && d.sealed_code == rows[0].sealed_code), "{n}");
    let rest = s.outbox.claim(at(50), at(110), 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|d| d.id).collect::<Vec<_>>(),
        [rows[0].id],
        "{n}: the claimed are hidden, the future not due"
    );
    assert!(s.outbox.claim(at(60), at(120), 10).await.unwrap().is_empty(), "{n}");
    let retaken = s.outbox.claim(at(110), at(170), 10).await.unwrap();
    let mut got: Vec<(Uuid, u32)> = retaken.iter().map(|d| (d.id, d.attempts)).collect();
    got.sort();
    let mut want = vec![(rows[0].id, 2), (rows[1].id, 2), (rows[2].id, 2), (rows[3].id, 1)];
    want.sort();
    assert_eq!(got, want, "{n}: a lapsed lease makes the row due again, counting a new attempt");
}

pub async fn concurrent_claims_never_share_a_row(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let mut queued = HashSet::new();
    for i in 0..30 {
        let d = delivery(ada, i);
        queued.insert(d.id);
        s.otps.create(&challenge(ada), Some(&d)).await.unwrap();
    }
    let claims = futures::future::join_all((0..8).map(|_| s.outbox.claim(at(100), at(200), 6))).await;
    let mut seen = HashSet::new();
    for claim in claims {
        for d in claim.unwrap() {
            assert!(seen.insert(d.id), "{n}: row {} claimed twice", d.id);
        }
    }
    assert_eq!(seen, queued, "{n}: every row claimed once");
}

pub async fn only_the_current_attempt_settles_and_settling_drops_the_code(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let (sent, failed, retried) = (delivery(ada, 0), delivery(ada, 0), delivery(ada, 0));
    for d in [&sent, &failed, &retried] {
        s.otps.create(&challenge(ada), Some(d)).await.unwrap();
    }
    s.outbox.claim(at(1), at(61), 10).await.unwrap();
    let ok = Settlement::Sent { provider_id: Some("SM123".into()) };
    assert!(!s.outbox.settle(sent.id, 2, &ok, at(2)).await.unwrap(), "{n}: not the current attempt");
    assert!(!s.outbox.settle(Uuid::new_v4(), 1, &ok, at(2)).await.unwrap(), "{n}: missing");
    assert!(s.outbox.settle(sent.id, 1, &ok, at(2)).await.unwrap(), "{n}");
    assert!(!s.outbox.settle(sent.id, 1, &ok, at(3)).await.unwrap(), "{n}: settled once");
    let row = s.outbox.get(sent.id).await.unwrap().unwrap();
    assert_eq!(
        (row.status, row.provider_id.as_deref(), row.sealed_code, row.settled_at),
        (DeliveryStatus::Sent, Some("SM123"), None, Some(at(2))),
        "{n}: a sent row keeps no code"
    );

    let gone = Settlement::Failed { error: "HTTP 400 (21211)".into() };
    assert!(s.outbox.settle(failed.id, 1, &gone, at(2)).await.unwrap(), "{n}");
    let row = s.outbox.get(failed.id).await.unwrap().unwrap();
    assert_eq!(
        (row.status, row.last_error.as_deref(), row.sealed_code, row.settled_at),
        (DeliveryStatus::Failed, Some("HTTP 400 (21211)"), None, Some(at(2))),
        "{n}: a failed row keeps no code"
    );

    let later = Settlement::Retry { at: at(5), error: "HTTP 503".into() };
    assert!(s.outbox.settle(retried.id, 1, &later, at(2)).await.unwrap(), "{n}");
    let row = s.outbox.get(retried.id).await.unwrap().unwrap();
    assert_eq!(
        (row.status, row.next_attempt_at, row.last_error.as_deref(), row.sealed_code.is_some()),
        (DeliveryStatus::Queued, at(5), Some("HTTP 503"), true),
        "{n}: a retry keeps the code for the next attempt"
    );
    assert!(s.outbox.claim(at(4), at(64), 10).await.unwrap().is_empty(), "{n}: not before its time");
    let again = s.outbox.claim(at(5), at(65), 10).await.unwrap();
    assert_eq!(again.iter().map(|d| (d.id, d.attempts)).collect::<Vec<_>>(), [(retried.id, 2)], "{n}");
}

pub async fn a_resend_fails_the_queued_message_of_the_code_it_replaces(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let first = delivery(ada, 0);
    let c = crate::otp::OtpChallenge { delivery_id: Some(first.id), ..challenge(ada) };
    s.otps.create(&c, Some(&first)).await.unwrap();
    let second = delivery(ada, 30);
    assert!(
        s.otps
            .replace_code(c.id, Method::Email, &[1; 32], at(30), at(0), MAX_ATTEMPTS, MAX_RESENDS, &second)
            .await
            .unwrap()
    );
    assert_eq!(s.otps.get(c.id).await.unwrap().unwrap().delivery_id, Some(second.id), "{n}");
    let old = s.outbox.get(first.id).await.unwrap().unwrap();
    assert_eq!(
        (old.status, old.last_error.as_deref(), old.sealed_code, old.settled_at),
        (DeliveryStatus::Failed, Some(SUPERSEDED), None, Some(at(30))),
        "{n}: the outdated code is never sent"
    );
    assert_eq!(s.outbox.get(second.id).await.unwrap().unwrap().status, DeliveryStatus::Queued, "{n}");

    // Once sent, a message stays sent whatever replaces its code.
    let claimed = s.outbox.claim(at(31), at(91), 10).await.unwrap();
    assert_eq!(claimed.len(), 1, "{n}");
    s.outbox.settle(second.id, 1, &Settlement::Sent { provider_id: None }, at(32)).await.unwrap();
    let third = delivery(ada, 60);
    assert!(
        s.otps
            .replace_code(c.id, Method::Email, &[2; 32], at(60), at(30), MAX_ATTEMPTS, MAX_RESENDS, &third)
            .await
            .unwrap()
    );
    assert_eq!(s.outbox.get(second.id).await.unwrap().unwrap().status, DeliveryStatus::Sent, "{n}");

    // A refused resend queues nothing.
    let refused = delivery(ada, 61);
    assert!(
        !s.otps
            .replace_code(c.id, Method::Email, &[3; 32], at(61), at(31), MAX_ATTEMPTS, MAX_RESENDS, &refused)
            .await
            .unwrap()
    );
    assert!(s.outbox.get(refused.id).await.unwrap().is_none(), "{n}: no message for a refused resend");
}

pub async fn a_users_messages_go_with_the_user(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let d = delivery(ada, 0);
    s.otps.create(&challenge(ada), Some(&d)).await.unwrap();
    assert!(s.users.delete(ada).await.unwrap());
    assert!(s.outbox.get(d.id).await.unwrap().is_none(), "{n}: fk_deliveries_user cascades");
    assert!(s.outbox.claim(at(1), at(61), 10).await.unwrap().is_empty(), "{n}: nothing left to send");
}

pub async fn a_notice_is_queued_alone_and_claimed_like_any_message(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let mut notice = delivery(ada, 0);
    notice.kind = crate::notify::MessageKind::EmailChanged;
    s.outbox.queue(&notice).await.unwrap();
    assert_eq!(s.outbox.get(notice.id).await.unwrap(), Some(notice.clone()), "{n}");
    let claimed = s.outbox.claim(at(1), at(31), 10).await.unwrap();
    assert_eq!(claimed.iter().map(|d| (d.id, d.kind)).collect::<Vec<_>>(), [(notice.id, notice.kind)], "{n}");
    assert!(s.outbox.queue(&notice).await.is_err(), "{n}: one row per id");
}
