//! The contract of [`TrustedDeviceRepo`](crate::ports::TrustedDeviceRepo).

use uuid::Uuid;

use super::{Store, at};
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

pub async fn a_device_is_found_by_its_token_hash_only_for_its_user_while_it_lives_and_its_use_is_written(s: Store) {
    let n = s.name;
    let (ada, bob) = (s.user(1, "ada").await, s.user(2, "bob").await);
    let d = device(ada, 0);
    s.trusted_devices.add(&d, &[7; 32]).await.unwrap();
    assert!(s.trusted_devices.add(&device(bob, 0), &[7; 32]).await.is_err(), "{n}: one device per token hash");
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
        s.trusted_devices.add(d, &[h; 32]).await.unwrap();
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
        s.trusted_devices.add(d, &[h; 32]).await.unwrap();
    }
    assert_eq!(s.purge.purge(Purgeable::TrustedDevices, at(0), 100).await.unwrap(), 1, "{n}");
    assert_eq!(s.trusted_devices.list(ada, at(0)).await.unwrap(), vec![live], "{n}");
    s.users.delete(bob).await.unwrap();
    assert_eq!(s.trusted_devices.list(bob, at(0)).await.unwrap(), vec![], "{n}: gone with bob");
}
