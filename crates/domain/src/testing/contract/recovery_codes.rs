//! The contract of [`RecoveryCodeRepo`](crate::ports::RecoveryCodeRepo).

use super::{Store, at, winners};
use crate::user::UserId;

fn set(tag: u8) -> Vec<Vec<u8>> {
    (0..10).map(|i| vec![tag, i, 7, 7]).collect()
}

pub async fn each_code_is_spent_once_and_a_new_set_replaces_the_old(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    assert_eq!(s.recovery_codes.remaining(ada).await.unwrap(), 0, "{n}");
    s.recovery_codes.replace_set(ada, &set(1), at(0)).await.unwrap();
    assert_eq!(s.recovery_codes.remaining(ada).await.unwrap(), 10, "{n}");
    assert!(s.recovery_codes.consume(ada, &set(1)[3], at(1)).await.unwrap(), "{n}");
    assert!(!s.recovery_codes.consume(ada, &set(1)[3], at(2)).await.unwrap(), "{n}: spent");
    assert!(!s.recovery_codes.consume(ada, &[9, 9, 9], at(2)).await.unwrap(), "{n}: no such code");
    assert_eq!(s.recovery_codes.remaining(ada).await.unwrap(), 9, "{n}");
    s.recovery_codes.replace_set(ada, &set(2), at(3)).await.unwrap();
    assert_eq!(s.recovery_codes.remaining(ada).await.unwrap(), 10, "{n}: a fresh set");
    assert!(!s.recovery_codes.consume(ada, &set(1)[4], at(4)).await.unwrap(), "{n}: the old set stopped working");
    assert!(s.recovery_codes.consume(ada, &set(2)[4], at(4)).await.unwrap(), "{n}");
    assert_eq!(s.recovery_codes.delete_all(ada).await.unwrap(), 10, "{n}: used ones go too");
    assert_eq!(s.recovery_codes.remaining(ada).await.unwrap(), 0, "{n}");
}

pub async fn a_code_has_exactly_one_winner_among_fifty_concurrent_calls(s: Store) {
    let ada = s.user(1, "ada").await;
    let codes = set(1);
    s.recovery_codes.replace_set(ada, &codes, at(0)).await.unwrap();
    assert_eq!(winners(50, || s.recovery_codes.consume(ada, &codes[0], at(1))).await, 1, "{}", s.name);
}

pub async fn concurrent_replacements_leave_exactly_one_set(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    for round in 0..4u8 {
        let (a, b) = (set(2 * round), set(2 * round + 1));
        let (ra, rb) =
            futures::join!(s.recovery_codes.replace_set(ada, &a, at(1)), s.recovery_codes.replace_set(ada, &b, at(1)));
        ra.unwrap();
        rb.unwrap();
        assert_eq!(s.recovery_codes.remaining(ada).await.unwrap(), 10, "{n} round {round}: one set, not two");
        let from_a = s.recovery_codes.consume(ada, &a[9], at(2)).await.unwrap();
        let from_b = s.recovery_codes.consume(ada, &b[9], at(2)).await.unwrap();
        assert!(from_a != from_b, "{n} round {round}: the set is whole, from one call");
    }
}

pub async fn codes_go_with_the_user_and_belong_to_their_user(s: Store) {
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    s.recovery_codes.replace_set(ada, &set(1), at(0)).await.unwrap();
    s.recovery_codes.replace_set(bob, &set(2), at(0)).await.unwrap();
    assert!(!s.recovery_codes.consume(bob, &set(1)[0], at(1)).await.unwrap(), "{n}: ada's code is not bob's");
    assert!(s.users.delete(ada).await.unwrap(), "{n}");
    assert_eq!(s.recovery_codes.remaining(ada).await.unwrap(), 0, "{n}: cascades with the user");
    assert_eq!(s.recovery_codes.remaining(bob).await.unwrap(), 10, "{n}");
    let ghost = UserId(uuid::Uuid::new_v4());
    assert!(s.recovery_codes.replace_set(ghost, &set(3), at(0)).await.is_err(), "{n}: codes need their user");
}
