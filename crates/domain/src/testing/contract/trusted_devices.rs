//! The contract of [`TrustedDeviceRepo`](crate::ports::TrustedDeviceRepo).

use uuid::Uuid;

use super::{Store, at, session};
use crate::ports::Purgeable;
use crate::trusted_device::TrustedDevice;
use crate::user::UserId;

/// A device of `user` trusted at `secs`, for 30 days.
fn device(user: UserId, secs: i64) -> TrustedDevice {
    TrustedDevice {
        id: Uuid::new_v4(),
        user_id: user,
        label: "Firefox on Linux".into(),
        created_at: at(secs),
        last_used_at: None,
        expires_at: at(secs + 30 * 24 * 3600),
    }
}

/// Stores `d` under `hash`, trusted by a live session of its user made for it.
async fn add(s: &Store, d: &TrustedDevice, hash: u8) -> crate::Result<bool> {
    let opened = session(d.user_id);
    s.sessions.create(&opened).await.unwrap();
    s.trusted_devices.add(d, &[hash; 32], opened.id).await
}

pub async fn a_device_is_stored_only_while_the_session_that_trusted_it_is_its_users_and_live(s: Store) {
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    let (adas, bobs) = (session(ada), session(bob));
    s.sessions.create(&adas).await.unwrap();
    s.sessions.create(&bobs).await.unwrap();
    let t = &s.trusted_devices;
    assert!(!t.add(&device(ada, 0), &[1; 32], bobs.id).await.unwrap(), "{n}: another user's session");
    assert!(!t.add(&device(ada, 0), &[2; 32], Uuid::new_v4()).await.unwrap(), "{n}: no such session");
    s.sessions.revoke_all(ada, None, at(1)).await.unwrap();
    assert!(!t.add(&device(ada, 0), &[3; 32], adas.id).await.unwrap(), "{n}: ended everywhere meanwhile");
    assert_eq!(t.list(ada, at(2)).await.unwrap(), vec![], "{n}: nothing stored");
    assert!(t.add(&device(bob, 0), &[4; 32], bobs.id).await.unwrap(), "{n}: a live session of bob's");
}

pub async fn a_device_is_found_by_its_token_hash_only_for_its_user_while_it_lives_and_its_use_is_written(s: Store) {
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    let d = device(ada, 0);
    assert!(add(&s, &d, 7).await.unwrap());
    assert!(add(&s, &device(bob, 0), 7).await.is_err(), "{n}: one device per token hash");
    let t = &s.trusted_devices;
    assert_eq!(t.use_token(bob, &[7; 32], at(10)).await.unwrap(), None, "{n}: another user's");
    assert_eq!(t.use_token(ada, &[8; 32], at(10)).await.unwrap(), None, "{n}: another token");
    let used = t.use_token(ada, &[7; 32], at(10)).await.unwrap().expect("live");
    assert_eq!(used, TrustedDevice { last_used_at: Some(at(10)), ..d.clone() }, "{n}: its use written");
    assert_eq!(t.list(ada, at(11)).await.unwrap(), vec![used], "{n}: and stored");
    assert_eq!(t.use_token(ada, &[7; 32], d.expires_at).await.unwrap(), None, "{n}: expired at expires_at");
}

pub async fn listing_and_deleting_touch_only_the_owners_live_devices(s: Store) {
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    let (old, new, bobs) = (device(ada, 0), device(ada, 60), device(bob, 0));
    for (d, h) in [(&old, 1u8), (&new, 2), (&bobs, 3)] {
        assert!(add(&s, d, h).await.unwrap());
    }
    let t = &s.trusted_devices;
    assert_eq!(t.list(ada, at(100)).await.unwrap(), vec![new.clone(), old.clone()], "{n}: newest first, hers only");
    assert_eq!(t.list(ada, old.expires_at).await.unwrap(), vec![new.clone()], "{n}: the expired one is not listed");
    assert!(!t.delete_owned(bob, old.id).await.unwrap(), "{n}: not bob's");
    assert!(t.delete_owned(ada, old.id).await.unwrap(), "{n}");
    assert!(!t.delete_owned(ada, old.id).await.unwrap(), "{n}: once");
    assert_eq!(t.delete_all(ada).await.unwrap(), 1, "{n}");
    assert_eq!(t.list(bob, at(100)).await.unwrap(), vec![bobs], "{n}: bob's stays");
}

pub async fn expired_devices_are_purged_and_go_with_their_user(s: Store) {
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    let (old, live, bobs) = (device(ada, -40 * 24 * 3600), device(ada, 0), device(bob, 0));
    for (d, h) in [(&old, 1u8), (&live, 2), (&bobs, 3)] {
        assert!(add(&s, d, h).await.unwrap());
    }
    assert_eq!(s.purge.purge(Purgeable::TrustedDevices, at(0), 100).await.unwrap(), 1, "{n}");
    assert_eq!(s.trusted_devices.list(ada, at(0)).await.unwrap(), vec![live], "{n}");
    s.users.delete(bob).await.unwrap();
    assert_eq!(s.trusted_devices.list(bob, at(0)).await.unwrap(), vec![], "{n}: gone with bob");
}
