//! The contract of [`OtpRepo`](crate::ports::OtpRepo).

use chrono::Duration;
use uuid::Uuid;

use super::{Store, at, challenge, delivery, winners};
use crate::otp::{Method, OtpChallenge, Purpose};
use crate::user::UserId;

const MAX_ATTEMPTS: u32 = crate::otp::MAX_ATTEMPTS;
const MAX_RESENDS: u32 = crate::otp::MAX_RESENDS;

pub async fn a_challenge_round_trips_and_needs_an_existing_user(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let c = challenge(ada);
    s.otps.create(&c, None).await.unwrap();
    let stored = s.otps.get(c.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.owner, stored.method, &stored.code_hash, stored.attempts, stored.resends, stored.rules),
        (c.owner, c.method, &c.code_hash, 0, 0, c.rules),
        "{n}"
    );
    assert_eq!(
        (stored.created_at, stored.last_sent_at, stored.expires_at, stored.used_at),
        (at(0), at(0), at(240), None)
    );
    assert!(s.otps.get(Uuid::new_v4()).await.unwrap().is_none(), "{n}");
    assert!(s.otps.create(&challenge(UserId(Uuid::new_v4())), None).await.is_err(), "{n}: a challenge needs its user");
}

pub async fn consume_needs_an_unused_unexpired_challenge_under_the_attempt_limit(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let fresh = challenge(ada);
    s.otps.create(&fresh, None).await.unwrap();
    assert!(!s.otps.consume(fresh.id, fresh.expires_at, MAX_ATTEMPTS).await.unwrap(), "{n}: expired at expires_at");
    assert!(s.otps.consume(fresh.id, at(239), MAX_ATTEMPTS).await.unwrap(), "{n}: open");
    assert_eq!(s.otps.get(fresh.id).await.unwrap().unwrap().used_at, Some(at(239)), "{n}");
    assert!(!s.otps.consume(fresh.id, at(239), MAX_ATTEMPTS).await.unwrap(), "{n}: used");

    let guessed = challenge(ada);
    s.otps.create(&guessed, None).await.unwrap();
    for _ in 0..MAX_ATTEMPTS - 1 {
        assert!(s.otps.record_failure(guessed.id, MAX_ATTEMPTS).await.unwrap(), "{n}");
    }
    assert!(s.otps.consume(guessed.id, at(1), MAX_ATTEMPTS).await.unwrap(), "{n}: four wrong tries still leave one");
    let locked = challenge(ada);
    s.otps.create(&locked, None).await.unwrap();
    for _ in 0..MAX_ATTEMPTS {
        s.otps.record_failure(locked.id, MAX_ATTEMPTS).await.unwrap();
    }
    assert!(!s.otps.consume(locked.id, at(1), MAX_ATTEMPTS).await.unwrap(), "{n}: five wrong tries kill it");
    assert!(!s.otps.consume(Uuid::new_v4(), at(1), MAX_ATTEMPTS).await.unwrap(), "{n}: missing");
}

pub async fn consume_has_exactly_one_winner_among_fifty_concurrent_calls(s: Store) {
    let ada = s.user(1, "ada").await;
    let c = challenge(ada);
    s.otps.create(&c, None).await.unwrap();
    assert_eq!(winners(50, || s.otps.consume(c.id, at(1), MAX_ATTEMPTS)).await, 1, "{}", s.name);
}

pub async fn failures_stop_counting_at_the_limit_even_under_concurrency(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let c = challenge(ada);
    s.otps.create(&c, None).await.unwrap();
    assert_eq!(winners(30, || s.otps.record_failure(c.id, MAX_ATTEMPTS)).await, MAX_ATTEMPTS as usize, "{n}");
    assert_eq!(s.otps.get(c.id).await.unwrap().unwrap().attempts, MAX_ATTEMPTS, "{n}");
    let used = challenge(ada);
    s.otps.create(&used, None).await.unwrap();
    s.otps.consume(used.id, at(1), MAX_ATTEMPTS).await.unwrap();
    assert!(!s.otps.record_failure(used.id, MAX_ATTEMPTS).await.unwrap(), "{n}: a used challenge counts no more");
    assert_eq!(s.otps.get(used.id).await.unwrap().unwrap().attempts, 0, "{n}");
}

pub async fn a_code_is_replaced_only_after_the_cooldown_within_the_limits_of_an_open_challenge(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let c = challenge(ada);
    s.otps.create(&c, None).await.unwrap();
    let cooldown = Duration::seconds(30);
    let resend = |id, hash: u8, now: chrono::DateTime<chrono::Utc>| {
        let otps = s.otps.clone();
        let d = delivery(ada, 0);
        async move {
            otps.replace_code(id, Method::Sms, &[hash; 32], now, now - cooldown, MAX_ATTEMPTS, MAX_RESENDS, &d)
                .await
                .unwrap()
        }
    };
    assert!(!resend(c.id, 1, at(10)).await, "{n}: within the cooldown");
    for i in 1..=MAX_RESENDS {
        assert!(resend(c.id, i as u8, at(30 * i as i64)).await, "{n}: resend {i}");
    }
    assert!(!resend(c.id, 9, at(150)).await, "{n}: past the resend limit");
    let stored = s.otps.get(c.id).await.unwrap().unwrap();
    assert_eq!((stored.resends, stored.code_hash, stored.last_sent_at), (3, vec![3; 32], at(90)), "{n}");
    assert_eq!(stored.method, Method::Sms, "{n}: the method the new code is sent by");

    let expired = challenge(ada);
    s.otps.create(&expired, None).await.unwrap();
    assert!(!resend(expired.id, 1, expired.expires_at).await, "{n}: expired");
    let used = challenge(ada);
    s.otps.create(&used, None).await.unwrap();
    s.otps.consume(used.id, at(1), MAX_ATTEMPTS).await.unwrap();
    assert!(!resend(used.id, 1, at(60)).await, "{n}: used");
    let locked = challenge(ada);
    s.otps.create(&locked, None).await.unwrap();
    for _ in 0..MAX_ATTEMPTS {
        s.otps.record_failure(locked.id, MAX_ATTEMPTS).await.unwrap();
    }
    assert!(!resend(locked.id, 1, at(60)).await, "{n}: out of attempts");
    assert_eq!(s.otps.get(locked.id).await.unwrap().unwrap().code_hash, vec![7; 32], "{n}: code untouched");
}

pub async fn the_latest_challenge_of_a_purpose_is_the_users_newest_and_keeps_its_destination(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let bob = s.user(2, "bob").await;
    assert!(s.otps.latest(ada, Purpose::Phone).await.unwrap().is_none(), "{n}: none yet");
    let phone = |user, secs| OtpChallenge {
        id: Uuid::new_v4(),
        purpose: Purpose::Phone,
        method: Method::Whatsapp,
        destination: Some("+14155550132".into()),
        created_at: at(secs),
        ..challenge(user)
    };
    let (old, new, bobs) = (phone(ada, 0), phone(ada, 10), phone(bob, 20));
    for c in [&new, &old, &bobs] {
        s.otps.create(c, None).await.unwrap();
    }
    s.otps.create(&OtpChallenge { created_at: at(30), ..challenge(ada) }, None).await.unwrap();
    let latest = s.otps.latest(ada, Purpose::Phone).await.unwrap().unwrap();
    assert_eq!(latest.id, new.id, "{n}: newest of ada's phone challenges, not bob's or a login's");
    assert_eq!(
        (latest.purpose, latest.method, latest.destination.as_deref()),
        (Purpose::Phone, Method::Whatsapp, Some("+14155550132")),
        "{n}"
    );
    let login = s.otps.latest(ada, Purpose::Login).await.unwrap().unwrap();
    assert_eq!((login.purpose, login.created_at, login.destination), (Purpose::Login, at(30), None), "{n}");
}

pub async fn a_phone_challenge_is_created_only_while_none_is_open_for_the_number_once_among_fifty(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let phone = |user, number: &str| OtpChallenge {
        id: Uuid::new_v4(),
        purpose: Purpose::Phone,
        method: Method::Sms,
        destination: Some(number.into()),
        ..challenge(user)
    };
    let create = |c: OtpChallenge, now| {
        let (otps, d) = (s.otps.clone(), delivery(c.owner.user().unwrap(), 0));
        async move {
            let stored = otps.create_unless_open(&c, &d, now, MAX_ATTEMPTS).await.unwrap();
            assert_eq!(otps.get(c.id).await.unwrap().is_some(), stored, "stored exactly when it says so");
            stored
        }
    };
    // A login's challenge is another purpose: it holds no phone code back.
    s.otps.create(&challenge(ada), None).await.unwrap();
    let first = phone(ada, "+14155550132");
    assert!(create(first.clone(), at(1)).await, "{n}: none open");
    assert!(!create(phone(ada, "+14155550132"), at(2)).await, "{n}: one is open for the number");
    assert!(create(phone(ada, "+442079460958"), at(2)).await, "{n}: another number");
    assert!(create(phone(ada, "+14155550132"), first.expires_at).await, "{n}: the open one expired");
    let used = phone(ada, "+14155550133");
    assert!(create(used.clone(), at(1)).await, "{n}");
    s.otps.consume(used.id, at(2), MAX_ATTEMPTS).await.unwrap();
    assert!(create(phone(ada, "+14155550133"), at(3)).await, "{n}: the open one was used");
    let locked = phone(ada, "+14155550134");
    assert!(create(locked.clone(), at(1)).await, "{n}");
    for _ in 0..MAX_ATTEMPTS {
        s.otps.record_failure(locked.id, MAX_ATTEMPTS).await.unwrap();
    }
    assert!(create(phone(ada, "+14155550134"), at(3)).await, "{n}: the open one is out of attempts");

    let bob = s.user(2, "bob").await;
    let race = winners(50, || {
        let (otps, c, d) = (s.otps.clone(), phone(bob, "+14155550135"), delivery(bob, 0));
        async move { otps.create_unless_open(&c, &d, at(1), MAX_ATTEMPTS).await }
    })
    .await;
    assert_eq!(race, 1, "{n}: one phone challenge among concurrent requests");
}

pub async fn a_challenge_is_found_by_its_links_hash_and_two_challenges_never_share_one(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let mut c = challenge(ada);
    c.purpose = Purpose::Email;
    c.destination = Some("ada@example.com".into());
    c.link_hash = Some(vec![7; 32]);
    s.otps.create(&c, None).await.unwrap();
    let found = s.otps.by_link(&[7; 32]).await.unwrap().expect("found by its link");
    assert_eq!((found.id, found.purpose, found.link_hash.clone()), (c.id, Purpose::Email, Some(vec![7; 32])), "{n}");
    assert!(s.otps.by_link(&[8; 32]).await.unwrap().is_none(), "{n}: another link");
    let login = challenge(ada);
    s.otps.create(&login, None).await.unwrap();
    assert_eq!(s.otps.get(login.id).await.unwrap().unwrap().link_hash, None, "{n}: a login has no link");
    let mut twin = challenge(ada);
    twin.id = uuid::Uuid::new_v4();
    twin.link_hash = Some(vec![7; 32]);
    assert!(s.otps.create(&twin, None).await.is_err(), "{n}: the link's hash is unique");
}
