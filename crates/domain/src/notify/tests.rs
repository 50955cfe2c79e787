//! The courier and the outbox, on the in-memory world: codes are queued with
//! their challenge, sent in the background, retried on a schedule, and
//! never sent stale or twice.

use std::sync::atomic::Ordering;
use std::time::Duration;

use secrecy::SecretString;

use crate::Policy;
use crate::clock::Clock;
use crate::login::LoginOutcome;
use crate::notify::{Channel, DeliveryPolicy, DeliveryStatus, MessageKind, SendFailure};
use crate::testing::world::{GOOD_PASSWORD, World};

/// Logs `name` in with the password; the temporary token.
async fn temporary(w: &World, name: &str) -> String {
    match w.login.login(&w.from, name, &SecretString::from(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::SecondFactor(p) => p.temporary_token,
        other => panic!("{other:?}"),
    }
}

/// The one delivery in the world's outbox.
fn only_delivery(w: &World) -> crate::notify::Delivery {
    let t = w.db.tables();
    assert_eq!(t.deliveries.len(), 1, "{:?}", t.deliveries);
    t.deliveries.values().next().unwrap().clone()
}

#[tokio::test]
async fn a_login_queues_its_code_and_never_calls_the_provider_itself() {
    let w = World::new();
    w.register("bob", true).await;
    temporary(&w, "bob").await;
    assert_eq!(w.notifier.calls.load(Ordering::SeqCst), 0, "the login only queued the message");
    let queued = only_delivery(&w);
    assert_eq!(
        (queued.status, queued.channel, queued.kind),
        (DeliveryStatus::Queued, Channel::Email, MessageKind::LoginCode)
    );
    assert_eq!(queued.to, "bob@example.com");
    let round = w.courier.run_once().await.unwrap();
    assert_eq!((round.claimed, round.sent), (1, 1));
    let sent = only_delivery(&w);
    assert_eq!((sent.status, sent.attempts, sent.provider_id.as_deref()), (DeliveryStatus::Sent, 1, Some("mem-0")));
    assert!(sent.sealed_code.is_none(), "a sent row keeps no code");
    let message = &w.notifier.sent.lock().unwrap()[0];
    assert_eq!((message.channel, message.to.as_str()), (Channel::Email, "bob@example.com"));
}

#[tokio::test]
async fn a_provider_down_for_three_attempts_delays_the_code_without_losing_it() {
    let w = World::new();
    let bob = w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    w.notifier.fail_next(3, SendFailure::retryable("HTTP 503"));
    let mut waits = vec![];
    for _ in 0..3 {
        assert_eq!(w.courier.run_once().await.unwrap().retrying, 1);
        let d = only_delivery(&w);
        assert_eq!((d.status, d.last_error.as_deref()), (DeliveryStatus::Queued, Some("HTTP 503")));
        assert!(d.sealed_code.is_some(), "kept for the next attempt");
        assert_eq!(w.courier.run_once().await.unwrap().claimed, 0, "not before its time");
        let wait = (d.next_attempt_at - w.clock.now()).num_milliseconds() as u64;
        waits.push(wait.div_ceil(1000));
        w.clock.advance(Duration::from_millis(wait + 1));
    }
    assert_eq!(waits, [1, 2, 4], "exponential back-off from 1 s");
    assert_eq!(w.courier.run_once().await.unwrap().sent, 1);
    assert_eq!((only_delivery(&w).status, only_delivery(&w).attempts), (DeliveryStatus::Sent, 4));
    assert_eq!(w.notifier.calls.load(Ordering::SeqCst), 4, "three failures, one success, nothing twice");
    w.second_factor.verify(&w.from, &tmp, &w.last_code().await, None).await.unwrap();
    let sent = w.db.tables().audit.iter().find(|e| e.kind.as_str() == "delivery_sent").cloned().unwrap();
    assert_eq!(
        (
            sent.subject.user(),
            sent.detail["attempts"].to_string().as_str(),
            sent.detail["channel"].to_string().as_str()
        ),
        (Some(bob.id), "4", "email")
    );
}

#[tokio::test]
async fn a_refused_destination_fails_at_once_and_admins_see_why() {
    let w = World::new();
    let bob = w.register("bob", true).await;
    temporary(&w, "bob").await;
    w.notifier.fail_next(1, SendFailure::permanent("550 mailbox unavailable"));
    assert_eq!(w.courier.run_once().await.unwrap().failed, 1);
    let d = only_delivery(&w);
    assert_eq!(
        (d.status, d.last_error.as_deref(), d.sealed_code),
        (DeliveryStatus::Failed, Some("550 mailbox unavailable"), None)
    );
    w.clock.advance(Duration::from_secs(120));
    assert_eq!(w.courier.run_once().await.unwrap().claimed, 0, "never retried");
    let failed = w.db.tables().audit.iter().find(|e| e.kind.as_str() == "delivery_failed").cloned().unwrap();
    assert_eq!(
        (failed.subject.user(), failed.detail["error"].to_string().as_str()),
        (Some(bob.id), "550 mailbox unavailable")
    );
}

#[tokio::test]
async fn retries_stop_at_the_attempt_cap_or_when_the_code_would_expire_first() {
    let policy =
        Policy { delivery: DeliveryPolicy { max_attempts: 2, ..DeliveryPolicy::default() }, ..Policy::default() };
    let w = World::with_policy(policy);
    w.register("bob", true).await;
    temporary(&w, "bob").await;
    w.notifier.fail_next(5, SendFailure::retryable("timeout"));
    assert_eq!(w.courier.run_once().await.unwrap().retrying, 1);
    w.clock.advance(Duration::from_secs(2));
    assert_eq!(w.courier.run_once().await.unwrap().failed, 1);
    let d = only_delivery(&w);
    assert_eq!(
        (d.status, d.attempts, d.last_error.as_deref()),
        (DeliveryStatus::Failed, 2, Some("timeout (gave up after 2 attempts)"))
    );

    // The default policy would wait a minute; a code with less left fails now.
    let w = World::new();
    w.register("eve", true).await;
    temporary(&w, "eve").await;
    w.clock.advance(Duration::from_secs(200));
    w.notifier
        .fail_next(1, SendFailure { retry_after: Some(Duration::from_secs(60)), ..SendFailure::retryable("HTTP 429") });
    assert_eq!(w.courier.run_once().await.unwrap().failed, 1);
    assert!(only_delivery(&w).last_error.unwrap().contains("expires before the next attempt"));
}

#[tokio::test]
async fn a_message_whose_code_expired_while_queued_is_never_sent() {
    let w = World::new();
    w.register("bob", true).await;
    temporary(&w, "bob").await;
    w.clock.advance(Duration::from_secs(240));
    assert_eq!(w.courier.run_once().await.unwrap().failed, 1);
    assert_eq!(w.notifier.calls.load(Ordering::SeqCst), 0);
    assert!(only_delivery(&w).last_error.unwrap().contains("expired"));
}

#[tokio::test]
async fn a_resend_before_delivery_sends_only_the_newest_code() {
    let w = World::new();
    w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    w.clock.advance(Duration::from_secs(30));
    w.second_factor.resend(&tmp, None).await.unwrap();
    let messages = w.messages().await;
    assert_eq!(messages.len(), 1, "the first message was superseded before it went out");
    w.second_factor.verify(&w.from, &tmp, messages[0].code.as_ref().unwrap().as_str(), None).await.unwrap();
    let statuses: Vec<DeliveryStatus> = w.db.tables().deliveries.values().map(|d| d.status).collect();
    assert!(statuses.contains(&DeliveryStatus::Failed) && statuses.contains(&DeliveryStatus::Sent));
}

#[tokio::test]
async fn a_sealed_code_opens_only_in_its_own_row() {
    let w = World::new();
    w.register("bob", true).await;
    w.register("eve", true).await;
    temporary(&w, "bob").await;
    temporary(&w, "eve").await;
    {
        // Swap the two sealed codes, as a tampered database would.
        let mut t = w.db.tables();
        let mut rows: Vec<_> = t.deliveries.values_mut().collect();
        let (a, b) = (rows[0].sealed_code.take(), rows[1].sealed_code.take());
        (rows[0].sealed_code, rows[1].sealed_code) = (b, a);
    }
    assert_eq!(w.courier.run_once().await.unwrap().failed, 2);
    assert_eq!(w.notifier.calls.load(Ordering::SeqCst), 0, "a code sealed for another row is not sent");
}

#[tokio::test]
async fn a_round_claims_at_most_one_batch_and_says_how_large_it_is() {
    let policy = Policy { delivery: DeliveryPolicy { batch: 2, ..DeliveryPolicy::default() }, ..Policy::default() };
    let w = World::with_policy(policy);
    for name in ["ann", "bob", "cyd"] {
        w.register(name, true).await;
        temporary(&w, name).await;
    }
    assert_eq!(w.courier.batch(), 2, "the worker keeps going while rounds come back full");
    assert_eq!(w.courier.run_once().await.unwrap().sent, 2);
    assert_eq!(w.courier.run_once().await.unwrap().sent, 1);
    assert_eq!(w.courier.run_once().await.unwrap().claimed, 0);
}
