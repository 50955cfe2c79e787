//! The contract of [`PasskeyRepo`](crate::ports::PasskeyRepo).

use uuid::Uuid;

use super::{Store, at, nth_id, winners};
use crate::passkey::{Ceremony, CeremonyPurpose, Passkey, PasskeyUse};
use crate::ports::Purgeable;
use crate::user::UserId;

fn passkey(n: i64, user: UserId, credential: u8) -> Passkey {
    Passkey {
        id: nth_id(1000 + n),
        user_id: user,
        credential_id: vec![credential; 16],
        name: format!("Key {n}"),
        created_at: at(n),
        last_used_at: None,
        backup_eligible: true,
        backed_up: false,
        counter: 0,
        data: format!("{{\"key\":{n}}}"),
    }
}

fn ceremony(n: i64, purpose: CeremonyPurpose, owner: Option<Uuid>, lives: i64) -> Ceremony {
    Ceremony { id: nth_id(2000 + n), purpose, owner, state: format!("state {n}"), expires_at: at(lives) }
}

fn used(counter: u32, secs: i64) -> PasskeyUse {
    PasskeyUse { counter, backup_eligible: true, backed_up: true, data: format!("used {counter}"), at: at(secs) }
}

pub async fn a_passkey_round_trips_and_its_credential_id_is_unique_across_users(s: Store) {
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    let first = passkey(1, ada, 7);
    assert!(s.passkeys.add(&first).await.unwrap(), "{n}");
    assert!(s.passkeys.add(&passkey(2, ada, 8)).await.unwrap(), "{n}");
    assert_eq!(s.passkeys.by_credential(&[7; 16]).await.unwrap(), Some(first.clone()), "{n}: round trip");
    assert!(!s.passkeys.add(&passkey(3, bob, 7)).await.unwrap(), "{n}: the credential id is taken");
    assert!(s.passkeys.list(bob).await.unwrap().is_empty(), "{n}");
    assert_eq!((s.passkeys.count(ada).await.unwrap(), s.passkeys.count(bob).await.unwrap()), (2, 0), "{n}");
    let names: Vec<String> = s.passkeys.list(ada).await.unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["Key 2", "Key 1"], "{n}: newest first");
    assert!(s.passkeys.by_credential(&[9; 16]).await.unwrap().is_none(), "{n}");
    let ghost = passkey(4, UserId(Uuid::new_v4()), 9);
    assert!(!s.passkeys.add(&ghost).await.unwrap_or(false), "{n}: a passkey needs its user");
}

pub async fn renaming_and_deleting_touch_only_the_owners_passkey(s: Store) {
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    let key = passkey(1, ada, 7);
    s.passkeys.add(&key).await.unwrap();
    s.passkeys.add(&passkey(2, ada, 8)).await.unwrap();
    assert!(s.passkeys.rename(bob, key.id, "Mine").await.unwrap().is_none(), "{n}: not bob's");
    assert!(!s.passkeys.delete(bob, key.id).await.unwrap(), "{n}: not bob's");
    assert_eq!(s.passkeys.rename(ada, key.id, "Phone").await.unwrap().unwrap().name, "Phone", "{n}");
    assert_eq!(s.passkeys.by_credential(&[7; 16]).await.unwrap().unwrap().name, "Phone", "{n}");
    assert!(s.passkeys.delete(ada, key.id).await.unwrap(), "{n}");
    assert!(!s.passkeys.delete(ada, key.id).await.unwrap(), "{n}: once");
    s.passkeys.add(&passkey(3, bob, 9)).await.unwrap();
    assert_eq!(s.passkeys.delete_all(ada).await.unwrap(), 1, "{n}");
    assert_eq!(s.passkeys.list(bob).await.unwrap().len(), 1, "{n}: bob's stays");
    s.users.delete(bob).await.unwrap();
    assert!(s.passkeys.by_credential(&[9; 16]).await.unwrap().is_none(), "{n}: they go with the user");
}

pub async fn a_use_is_written_only_while_the_counter_advances(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let key = passkey(1, ada, 7);
    s.passkeys.add(&key).await.unwrap();
    assert!(s.passkeys.record_use(key.id, &used(0, 10)).await.unwrap(), "{n}: no counter at all");
    assert!(s.passkeys.record_use(key.id, &used(5, 11)).await.unwrap(), "{n}");
    let stored = s.passkeys.by_credential(&[7; 16]).await.unwrap().unwrap();
    let written = (stored.counter, stored.backed_up, stored.data.as_str(), stored.last_used_at);
    assert_eq!(written, (5, true, "used 5", Some(at(11))), "{n}");
    for stale in [5, 4, 0] {
        assert!(!s.passkeys.record_use(key.id, &used(stale, 12)).await.unwrap(), "{n}: {stale} after 5");
    }
    assert_eq!(s.passkeys.by_credential(&[7; 16]).await.unwrap().unwrap().counter, 5, "{n}");
    assert!(!s.passkeys.record_use(Uuid::new_v4(), &used(9, 12)).await.unwrap(), "{n}: no such passkey");
}

pub async fn one_counter_value_is_accepted_once_among_fifty(s: Store) {
    let ada = s.user(1, "ada").await;
    let key = passkey(1, ada, 7);
    s.passkeys.add(&key).await.unwrap();
    s.passkeys.record_use(key.id, &used(3, 1)).await.unwrap();
    let fourth = used(4, 2);
    let won = winners(50, || s.passkeys.record_use(key.id, &fourth)).await;
    assert_eq!(won, 1, "{}", s.name);
}

pub async fn a_ceremony_is_taken_once_by_its_purpose_and_owner_while_it_lives(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let c = ceremony(1, CeremonyPurpose::Register, Some(ada.0), 300);
    s.passkeys.put_ceremony(&c).await.unwrap();
    let take = |purpose, owner, secs| s.passkeys.take_ceremony(c.id, purpose, owner, at(secs));
    assert_eq!(take(CeremonyPurpose::Login, Some(ada.0), 1).await.unwrap(), None, "{n}: another purpose");
    assert_eq!(take(CeremonyPurpose::Register, Some(Uuid::new_v4()), 1).await.unwrap(), None, "{n}: another owner");
    assert_eq!(take(CeremonyPurpose::Register, None, 1).await.unwrap(), None, "{n}: no owner");
    assert_eq!(take(CeremonyPurpose::Register, Some(ada.0), 300).await.unwrap(), None, "{n}: dead at its end");
    assert_eq!(take(CeremonyPurpose::Register, Some(ada.0), 299).await.unwrap().as_deref(), Some("state 1"), "{n}");
    assert_eq!(take(CeremonyPurpose::Register, Some(ada.0), 2).await.unwrap(), None, "{n}: spent");
    let open = ceremony(2, CeremonyPurpose::SignIn, None, 300);
    s.passkeys.put_ceremony(&open).await.unwrap();
    let took = s.passkeys.take_ceremony(open.id, CeremonyPurpose::SignIn, None, at(1)).await.unwrap();
    assert_eq!(took.as_deref(), Some("state 2"), "{n}: a sign-in has no owner");
}

pub async fn a_new_ceremony_with_the_same_id_replaces_the_old(s: Store) {
    let n = s.name;
    let login = Uuid::new_v4();
    let first = Ceremony { id: login, ..ceremony(1, CeremonyPurpose::Login, Some(login), 300) };
    s.passkeys.put_ceremony(&first).await.unwrap();
    let second = Ceremony { state: "fresh".into(), ..first.clone() };
    s.passkeys.put_ceremony(&second).await.unwrap();
    let took = s.passkeys.take_ceremony(login, CeremonyPurpose::Login, Some(login), at(1)).await.unwrap();
    assert_eq!(took.as_deref(), Some("fresh"), "{n}");
}

pub async fn a_ceremony_has_exactly_one_taker_among_fifty(s: Store) {
    let c = ceremony(1, CeremonyPurpose::SignIn, None, 300);
    s.passkeys.put_ceremony(&c).await.unwrap();
    let won = winners(50, || async {
        Ok(s.passkeys.take_ceremony(c.id, CeremonyPurpose::SignIn, None, at(1)).await?.is_some())
    })
    .await;
    assert_eq!(won, 1, "{}", s.name);
}

pub async fn expired_ceremonies_are_purged_and_live_ones_stay(s: Store) {
    let n = s.name;
    s.passkeys.put_ceremony(&ceremony(1, CeremonyPurpose::SignIn, None, 10)).await.unwrap();
    let live = ceremony(2, CeremonyPurpose::SignIn, None, 100);
    s.passkeys.put_ceremony(&live).await.unwrap();
    assert_eq!(s.purge.purge(Purgeable::Ceremonies, at(50), 100).await.unwrap(), 1, "{n}");
    let took = s.passkeys.take_ceremony(live.id, CeremonyPurpose::SignIn, None, at(60)).await.unwrap();
    assert!(took.is_some(), "{n}");
}
