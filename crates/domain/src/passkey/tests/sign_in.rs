//! Signing in with a passkey alone.

use super::*;

#[tokio::test]
async fn signing_in_with_a_passkey_alone_opens_a_session() {
    let w = World::new();
    let (ada, mut key, _) = with_passkey(&w, "ada").await;
    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let pair = w.passkey_sign_in.finish(&w.from, started.ceremony_id, &key.get(&started.options)).await.unwrap();
    assert_eq!(w.sessions.authenticate(&pair.access_token).await.unwrap().user_id, ada.id);
    let events = w.events(ada.id);
    assert!(events.ends_with(&["passkey_used", "login_succeeded"]), "{events:?}");
    let again = w.passkey_sign_in.finish(&w.from, started.ceremony_id, &key.get(&started.options)).await;
    assert!(matches!(again, Err(Error::PasskeyInvalid { remaining: None })), "spent");
}

#[tokio::test]
async fn a_sign_in_gives_one_answer_for_an_unknown_credential_a_bad_signature_and_a_spent_ceremony() {
    let w = World::new();
    let (ada, key, _) = with_passkey(&w, "ada").await;
    let mut unknown = TextKey::new(0xee, ada.id);
    let mut forged = TextKey { key: "forged".into(), ..key.clone() };
    let mut other_user = TextKey { user: w.register("bob", false).await.id, ..key };
    let mut answers = vec![];
    for device in [&mut unknown, &mut forged, &mut other_user] {
        let started = w.passkey_sign_in.start(&w.from).await.unwrap();
        answers.push(w.passkey_sign_in.finish(&w.from, started.ceremony_id, &device.get(&started.options)).await);
    }
    answers.push(w.passkey_sign_in.finish(&w.from, uuid::Uuid::nil(), "id=0101").await);
    for a in answers {
        assert!(matches!(a, Err(Error::PasskeyInvalid { remaining: None })), "{a:?}");
    }
}

#[tokio::test]
async fn a_bad_sign_in_with_a_known_passkey_counts_against_its_account() {
    let w = World::new();
    let (ada, key, _) = with_passkey(&w, "ada").await;
    // The free failures of the lockout schedule, then one more.
    for _ in 0..=crate::throttle::schedule::FREE_FAILURES {
        let started = w.passkey_sign_in.start(&w.from).await.unwrap();
        let forged = TextKey { key: "forged".into(), ..key.clone() }.get(&started.options);
        w.passkey_sign_in.finish(&w.from, started.ceremony_id, &forged).await.unwrap_err();
    }
    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let right = key.clone().get(&started.options);
    assert!(matches!(
        w.passkey_sign_in.finish(&w.from, started.ceremony_id, &right).await,
        Err(Error::AccountLocked { .. })
    ));
    assert!(w.events(ada.id).contains(&"account_locked"));
}

#[tokio::test]
async fn a_deactivated_account_cannot_sign_in_with_its_passkey() {
    let w = World::new();
    let (ada, mut key, _) = with_passkey(&w, "ada").await;
    w.deactivate(ada.id);
    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let refused = w.passkey_sign_in.finish(&w.from, started.ceremony_id, &key.get(&started.options)).await;
    assert!(matches!(refused, Err(Error::AccountInactive)));
}

#[tokio::test]
async fn starting_a_sign_in_counts_against_the_per_address_login_limit() {
    let w = World::new();
    let limit = Policy::default().rate_limits.token_per_minute;
    for _ in 0..limit {
        w.passkey_sign_in.start(&w.from).await.unwrap();
    }
    assert!(matches!(w.passkey_sign_in.start(&w.from).await, Err(Error::RateLimited { .. })));
}

#[tokio::test]
async fn a_sign_in_ceremony_finished_by_50_concurrent_calls_has_one_winner() {
    let w = World::new();
    let (_, mut key, _) = with_passkey(&w, "ada").await;
    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let assertion = key.get(&started.options);
    let tries = (0..50).map(|_| w.passkey_sign_in.finish(&w.from, started.ceremony_id, &assertion));
    let won = futures::future::join_all(tries).await.into_iter().filter(Result::is_ok).count();
    assert_eq!(won, 1);
}

#[tokio::test]
async fn a_passkey_sign_in_lets_in_only_a_proved_address_when_the_server_asks_for_one() {
    let w = World::with_policy(Policy { require_verified_email: true, ..Policy::default() });
    let (ada, mut key, _) = with_passkey(&w, "ada").await;
    w.db.tables().users.get_mut(&ada.id).unwrap().user.verified_email = None;
    let started = w.passkey_sign_in.start(&w.from).await.unwrap();
    let refused = w.passkey_sign_in.finish(&w.from, started.ceremony_id, &key.get(&started.options)).await;
    assert!(matches!(refused, Err(Error::EmailUnverified)), "{refused:?}");
    assert!(w.messages().await.iter().any(|m| m.kind == crate::notify::MessageKind::EmailVerification), "a fresh link");
}
