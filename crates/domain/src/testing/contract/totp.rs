//! The contract of [`TotpRepo`](crate::ports::TotpRepo).

use super::{Store, at, enrolment, winners};
use crate::user::UserId;

pub async fn a_pending_enrolment_is_replaced_until_confirmed_and_an_active_one_is_kept(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    assert!(s.totp.get(ada).await.unwrap().is_none(), "{n}");
    assert!(s.totp.put_pending(&enrolment(ada, 1)).await.unwrap(), "{n}");
    assert_eq!(s.totp.get(ada).await.unwrap(), Some(enrolment(ada, 1)), "{n}: round trip");
    assert!(s.totp.put_pending(&enrolment(ada, 2)).await.unwrap(), "{n}: a new pending one replaces it");
    assert_eq!(s.totp.get(ada).await.unwrap().unwrap().sealed_secret, vec![2; 48], "{n}");
    s.totp.confirm(ada, &enrolment(ada, 2).sealed_secret, 100, at(1)).await.unwrap();
    assert!(!s.totp.put_pending(&enrolment(ada, 3)).await.unwrap(), "{n}: an active one is not replaced");
    let kept = s.totp.get(ada).await.unwrap().unwrap();
    assert_eq!((kept.sealed_secret, kept.confirmed_at, kept.last_step), (vec![2; 48], Some(at(1)), Some(100)), "{n}");
    let ghost = enrolment(UserId(uuid::Uuid::new_v4()), 1);
    assert!(s.totp.put_pending(&ghost).await.is_err(), "{n}: an enrolment needs its user");
}

pub async fn confirmation_activates_only_a_pending_enrolment(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    assert!(!s.totp.confirm(ada, &enrolment(ada, 1).sealed_secret, 100, at(1)).await.unwrap(), "{n}: nothing pending");
    s.totp.put_pending(&enrolment(ada, 1)).await.unwrap();
    assert!(!s.totp.get(ada).await.unwrap().unwrap().is_active(), "{n}: pending is not active");
    assert!(!s.totp.accept_step(ada, 100).await.unwrap(), "{n}: a pending enrolment accepts no login code");
    assert!(s.totp.confirm(ada, &enrolment(ada, 1).sealed_secret, 100, at(1)).await.unwrap(), "{n}");
    assert!(s.totp.get(ada).await.unwrap().unwrap().is_active(), "{n}");
    assert!(!s.totp.confirm(ada, &enrolment(ada, 1).sealed_secret, 101, at(2)).await.unwrap(), "{n}: only once");
}

pub async fn confirmation_activates_only_the_enrolment_whose_code_was_checked(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    s.totp.put_pending(&enrolment(ada, 1)).await.unwrap();
    // Another enrolment (another tab, another node) replaces it before the
    // code checked against the first secret arrives.
    s.totp.put_pending(&enrolment(ada, 2)).await.unwrap();
    assert!(
        !s.totp.confirm(ada, &enrolment(ada, 1).sealed_secret, 100, at(1)).await.unwrap(),
        "{n}: a replaced secret"
    );
    assert!(!s.totp.get(ada).await.unwrap().unwrap().is_active(), "{n}: still pending");
    assert!(s.totp.confirm(ada, &enrolment(ada, 2).sealed_secret, 100, at(1)).await.unwrap(), "{n}: the shown secret");
}

pub async fn each_step_is_accepted_once_and_only_forward(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    s.totp.put_pending(&enrolment(ada, 1)).await.unwrap();
    s.totp.confirm(ada, &enrolment(ada, 1).sealed_secret, 100, at(1)).await.unwrap();
    assert!(!s.totp.accept_step(ada, 100).await.unwrap(), "{n}: the confirming step is spent");
    assert!(s.totp.accept_step(ada, 101).await.unwrap(), "{n}");
    assert!(!s.totp.accept_step(ada, 101).await.unwrap(), "{n}: replayed");
    assert!(!s.totp.accept_step(ada, 99).await.unwrap(), "{n}: an older step");
    assert!(s.totp.accept_step(ada, 200).await.unwrap(), "{n}");
    assert_eq!(s.totp.get(ada).await.unwrap().unwrap().last_step, Some(200), "{n}");
    let bob = s.user(2, "bob").await;
    assert!(!s.totp.accept_step(bob, 300).await.unwrap(), "{n}: no enrolment");
}

pub async fn a_step_has_exactly_one_winner_among_fifty_concurrent_calls(s: Store) {
    let ada = s.user(1, "ada").await;
    s.totp.put_pending(&enrolment(ada, 1)).await.unwrap();
    s.totp.confirm(ada, &enrolment(ada, 1).sealed_secret, 100, at(1)).await.unwrap();
    assert_eq!(winners(50, || s.totp.accept_step(ada, 101)).await, 1, "{}", s.name);
}

pub async fn deletion_and_the_users_deletion_remove_the_enrolment(s: Store) {
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    s.totp.put_pending(&enrolment(ada, 1)).await.unwrap();
    s.totp.put_pending(&enrolment(bob, 2)).await.unwrap();
    assert!(s.totp.delete(ada).await.unwrap(), "{n}");
    assert!(!s.totp.delete(ada).await.unwrap(), "{n}: already gone");
    assert!(s.totp.get(ada).await.unwrap().is_none(), "{n}");
    assert!(s.users.delete(bob).await.unwrap(), "{n}");
    assert!(s.totp.get(bob).await.unwrap().is_none(), "{n}: cascades with the user");
}
