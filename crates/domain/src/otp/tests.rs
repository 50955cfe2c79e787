//! Codes of a two-factor login: single use, five tries, bound to their
//! login, expiring with it, resent under a cooldown.

use std::time::Duration;

use crate::Error;
use crate::testing::world::{World, temporary};

#[tokio::test]
async fn two_factor_login_mails_a_code_and_the_code_opens_a_session() {
    let w = World::new();
    let u = w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    assert_eq!(w.messages().await.last().unwrap().to.as_str(), "bob@example.com");
    let pair = w.second_factor.verify(&w.from, &tmp, &w.last_code().await, None).await.unwrap().pair;
    assert_eq!(w.sessions.authenticate(&pair.access_token).await.unwrap().user_id, u.id);
}

#[tokio::test]
async fn otp_is_single_use() {
    let w = World::new();
    w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    let code = w.last_code().await;
    w.second_factor.verify(&w.from, &tmp, &code, None).await.unwrap();
    assert!(matches!(w.second_factor.verify(&w.from, &tmp, &code, None).await, Err(Error::OtpUsed)));
}

#[tokio::test]
async fn otp_is_rejected_after_five_wrong_tries_even_when_the_sixth_is_right() {
    let w = World::new();
    w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    let code = w.last_code().await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for remaining in (0..5).rev() {
        match w.second_factor.verify(&w.from, &tmp, wrong, None).await {
            Err(Error::OtpInvalid { remaining: r }) => assert_eq!(r, remaining),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(w.second_factor.verify(&w.from, &tmp, &code, None).await, Err(Error::OtpLocked)));
}

#[tokio::test]
async fn malformed_otp_is_refused_without_costing_a_try() {
    let w = World::new();
    w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    for _ in 0..10 {
        assert!(matches!(
            w.second_factor.verify(&w.from, &tmp, "12ab", None).await,
            Err(Error::InvalidField { field: "otp", .. })
        ));
    }
    w.second_factor.verify(&w.from, &tmp, &w.last_code().await, None).await.unwrap();
}

#[tokio::test]
async fn otp_expires_with_the_temporary_token() {
    let w = World::new();
    w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    let code = w.last_code().await;
    w.clock.advance(Duration::from_secs(240));
    assert!(matches!(w.second_factor.verify(&w.from, &tmp, &code, None).await, Err(Error::TokenExpired)));
}

#[tokio::test]
async fn otp_is_bound_to_the_login_attempt_that_created_it() {
    let w = World::new();
    w.register("bob", true).await;
    let first = temporary(&w, "bob").await;
    let first_code = w.last_code().await;
    let second = temporary(&w, "bob").await;
    let second_code = w.last_code().await;
    assert_ne!(first_code, second_code);
    assert!(w.second_factor.verify(&w.from, &second, &first_code, None).await.is_err());
    w.second_factor.verify(&w.from, &first, &first_code, None).await.unwrap();
    w.second_factor.verify(&w.from, &second, &second_code, None).await.unwrap();
}

#[tokio::test]
async fn resend_replaces_the_code_after_the_cooldown_at_most_three_times() {
    let w = World::new();
    w.register("bob", true).await;
    let tmp = temporary(&w, "bob").await;
    let first = w.last_code().await;
    match w.second_factor.resend(&tmp, None).await {
        Err(Error::ResendCooldown { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(30))
        }
        other => panic!("{other:?}"),
    }
    for left in (0..3).rev() {
        w.clock.advance(Duration::from_secs(30));
        let sent = w.second_factor.resend(&tmp, None).await.unwrap();
        assert_eq!(sent.resend_after, Duration::from_secs(30), "what the API tells clients to wait");
        assert_eq!(sent.resends_left, left);
        w.deliver().await;
    }
    w.clock.advance(Duration::from_secs(30));
    assert!(matches!(w.second_factor.resend(&tmp, None).await, Err(Error::ResendLimit)));
    let latest = w.last_code().await;
    assert_ne!(latest, first, "each resend draws a new code");
    assert!(matches!(w.second_factor.verify(&w.from, &tmp, &first, None).await, Err(Error::OtpInvalid { .. })));
    w.second_factor.verify(&w.from, &tmp, &latest, None).await.unwrap();
    assert_eq!(w.messages().await.len(), 4);
}
