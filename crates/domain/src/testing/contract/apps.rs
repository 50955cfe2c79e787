//! The contract of [`AppRepo`](crate::ports::AppRepo).

use std::time::Duration;

use super::{Store, at, nth_id, winners};
use crate::app::{App, AppId, AppKey, AppPatch};
use crate::notify::Channel;

/// An active app, the `n`-th registered, made at [`at(0)`](super::at).
pub fn app(n: i64) -> App {
    App {
        id: AppId(nth_id(n)),
        name: format!("App {n}"),
        channels: vec![Channel::Sms, Channel::Email],
        code_length: 6,
        code_ttl: Duration::from_secs(300),
        max_attempts: 5,
        sms_countries: vec![],
        whatsapp_countries: vec![],
        is_active: true,
        created_at: at(0),
        modified_at: at(0),
    }
}

/// A key of `app` made at `at(secs)`; `tag` tells keys apart.
pub fn key(app: &App, tag: u8, secs: i64) -> AppKey {
    AppKey {
        hash: vec![tag; 32],
        owner: app.id,
        hint: format!("authd_app_{tag:02x}"),
        created_at: at(secs),
        expires_at: None,
    }
}

pub async fn an_app_round_trips_with_its_key_and_lists_in_registration_order(s: Store) {
    let n = s.name;
    let apps: Vec<App> = (0..3).map(app).collect();
    for (i, a) in apps.iter().enumerate() {
        s.apps.create(a, &key(a, i as u8 + 1, 0)).await.unwrap();
    }
    assert_eq!(s.apps.get(apps[1].id).await.unwrap().as_ref(), Some(&apps[1]), "{n}: every setting round-trips");
    assert_eq!(s.apps.get(AppId(nth_id(9))).await.unwrap(), None, "{n}");
    let first = s.apps.list(None, 2).await.unwrap();
    let rest = s.apps.list(Some(first[1].id), 10).await.unwrap();
    let ids: Vec<AppId> = first.iter().chain(&rest).map(|a| a.id).collect();
    assert_eq!(ids, apps.iter().map(|a| a.id).collect::<Vec<_>>(), "{n}: a keyset in id order");
    assert_eq!(s.apps.keys(apps[2].id).await.unwrap(), [key(&apps[2], 3, 0)], "{n}");
    assert!(s.apps.create(&app(5), &key(&app(5), 1, 0)).await.is_err(), "{n}: a key hash is unique");
}

pub async fn a_key_finds_its_app_only_while_unexpired_and_the_app_active(s: Store) {
    let n = s.name;
    let a = app(0);
    s.apps.create(&a, &key(&a, 1, 0)).await.unwrap();
    assert_eq!(s.apps.by_key(&[1; 32], at(10)).await.unwrap().map(|x| x.id), Some(a.id), "{n}");
    assert_eq!(s.apps.by_key(&[2; 32], at(10)).await.unwrap(), None, "{n}: an unknown key");
    let off = AppPatch { is_active: Some(false), ..Default::default() };
    let written = s.apps.update(a.id, &off, at(20)).await.unwrap().unwrap();
    assert_eq!((written.is_active, written.modified_at), (false, at(20)), "{n}");
    assert_eq!(s.apps.by_key(&[1; 32], at(21)).await.unwrap(), None, "{n}: a deactivated app's key fails at once");
    assert_eq!(s.apps.get(a.id).await.unwrap().unwrap().modified_at, at(20), "{n}");
    let on = AppPatch { is_active: Some(true), ..Default::default() };
    assert!(s.apps.update(a.id, &on, at(21)).await.unwrap().is_some(), "{n}");
    assert!(s.apps.by_key(&[1; 32], at(22)).await.unwrap().is_some(), "{n}: and works again once reactivated");
    assert!(s.apps.delete(a.id).await.unwrap(), "{n}");
    assert_eq!(s.apps.by_key(&[1; 32], at(23)).await.unwrap(), None, "{n}: a deleted app's key fails at once");
    assert!(s.apps.keys(a.id).await.unwrap().is_empty(), "{n}: its keys went with it");
    assert!(!s.apps.delete(a.id).await.unwrap(), "{n}");
    assert!(s.apps.update(a.id, &on, at(24)).await.unwrap().is_none(), "{n}: a deleted app cannot be updated");
}

pub async fn a_new_key_ends_the_others_at_the_grace_time_unless_they_end_sooner(s: Store) {
    let n = s.name;
    let a = app(0);
    s.apps.create(&a, &key(&a, 1, 0)).await.unwrap();
    assert!(s.apps.add_key(&key(&a, 2, 10), at(100)).await.unwrap(), "{n}");
    assert!(s.apps.by_key(&[1; 32], at(99)).await.unwrap().is_some(), "{n}: the old key works during the grace period");
    assert!(s.apps.by_key(&[1; 32], at(100)).await.unwrap().is_none(), "{n}: and stops at its end");
    assert!(s.apps.by_key(&[2; 32], at(1000)).await.unwrap().is_some(), "{n}: the new key has no end");
    assert!(s.apps.add_key(&key(&a, 3, 20), at(500)).await.unwrap(), "{n}");
    let ends: Vec<(u8, Option<chrono::DateTime<chrono::Utc>>)> =
        s.apps.keys(a.id).await.unwrap().iter().map(|k| (k.hash[0], k.expires_at)).collect();
    assert_eq!(
        ends,
        [(3, None), (2, Some(at(500))), (1, Some(at(100)))],
        "{n}: newest first; a grace is never extended"
    );
    let gone = app(7);
    assert!(!s.apps.add_key(&key(&gone, 9, 0), at(100)).await.unwrap(), "{n}: no key for a missing app");
    assert!(s.apps.by_key(&[9; 32], at(1)).await.unwrap().is_none(), "{n}");
}

pub async fn concurrent_rotations_leave_exactly_one_key_without_an_end(s: Store) {
    let n = s.name;
    let a = app(0);
    s.apps.create(&a, &key(&a, 0, 0)).await.unwrap();
    let tag = std::sync::atomic::AtomicU8::new(1);
    let added = winners(20, || {
        let k = key(&a, tag.fetch_add(1, std::sync::atomic::Ordering::Relaxed), 1);
        let apps = s.apps.clone();
        async move { apps.add_key(&k, at(100)).await }
    })
    .await;
    assert_eq!(added, 20, "{n}: every rotation stores its key");
    let open = s.apps.keys(a.id).await.unwrap().iter().filter(|k| k.expires_at.is_none()).count();
    assert_eq!(open, 1, "{n}: one current key; every other one has an end");
}

pub async fn each_change_sets_only_its_settings_and_concurrent_changes_all_take_effect(s: Store) {
    let n = s.name;
    let a = app(0);
    s.apps.create(&a, &key(&a, 1, 0)).await.unwrap();
    let all = AppPatch {
        name: Some("Renamed".into()),
        channels: Some(vec![Channel::Whatsapp]),
        code_length: Some(9),
        code_ttl: Some(Duration::from_secs(3600)),
        max_attempts: Some(1),
        sms_countries: Some(vec!["DE".into(), "FR".into()]),
        whatsapp_countries: Some(vec!["BR".into()]),
        is_active: None,
    };
    let written = s.apps.update(a.id, &all, at(5)).await.unwrap().unwrap();
    let expected = App {
        name: "Renamed".into(),
        channels: vec![Channel::Whatsapp],
        code_length: 9,
        code_ttl: Duration::from_secs(3600),
        max_attempts: 1,
        sms_countries: vec!["DE".into(), "FR".into()],
        whatsapp_countries: vec!["BR".into()],
        modified_at: at(5),
        ..a.clone()
    };
    assert_eq!(written, expected, "{n}: every setting, and the rest kept");
    assert_eq!(s.apps.get(a.id).await.unwrap().unwrap(), expected, "{n}: as stored");
    let attempts = AppPatch { max_attempts: Some(7), ..Default::default() };
    let name = AppPatch { name: Some("Both".into()), ..Default::default() };
    let (x, y) = futures::join!(s.apps.update(a.id, &attempts, at(6)), s.apps.update(a.id, &name, at(6)));
    assert!(x.unwrap().is_some() && y.unwrap().is_some(), "{n}");
    let after = s.apps.get(a.id).await.unwrap().unwrap();
    assert_eq!(
        (after.max_attempts, after.name.as_str(), after.code_length),
        (7, "Both", 9),
        "{n}: neither change lost"
    );
    let cleared = AppPatch { sms_countries: Some(vec![]), ..Default::default() };
    let after = s.apps.update(a.id, &cleared, at(7)).await.unwrap().unwrap();
    assert_eq!(
        (after.sms_countries.len(), after.whatsapp_countries.as_slice()),
        (0, ["BR".to_owned()].as_slice()),
        "{n}"
    );
}
