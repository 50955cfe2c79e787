//! The contract of [`ThrottleStore`](crate::ports::ThrottleStore).

use std::time::Duration;

use super::{Store, at};

pub async fn concurrent_failures_are_each_counted_once_and_clear_forgets_them(s: Store) {
    let n = s.name;
    let calls = (0..40).map(|_| s.throttle.add_failure("acct:x", at(0)));
    let mut counts: Vec<u32> = futures::future::join_all(calls).await.into_iter().map(Result::unwrap).collect();
    counts.sort();
    assert_eq!(counts, (1..=40).collect::<Vec<u32>>(), "{n}");
    assert_eq!(s.throttle.add_failure("acct:y", at(0)).await.unwrap(), 1, "{n}: keys count apart");
    s.throttle.lock("acct:x", at(60)).await.unwrap();
    s.throttle.clear("acct:x").await.unwrap();
    assert!(s.throttle.locked_until("acct:x", at(1)).await.unwrap().is_none(), "{n}: the lock goes too");
    assert_eq!(s.throttle.add_failure("acct:x", at(2)).await.unwrap(), 1, "{n}: cleared");
    assert_eq!(s.throttle.add_failure("acct:y", at(2)).await.unwrap(), 2, "{n}: the other key untouched");
}

pub async fn locks_only_grow_and_expire_by_time(s: Store) {
    let n = s.name;
    assert!(s.throttle.locked_until("k", at(0)).await.unwrap().is_none(), "{n}: unknown key");
    s.throttle.lock("k", at(60)).await.unwrap();
    assert!(s.throttle.locked_until("k", at(0)).await.unwrap().is_none(), "{n}: no counter, no lock");
    s.throttle.add_failure("k", at(0)).await.unwrap();
    assert!(s.throttle.locked_until("k", at(0)).await.unwrap().is_none(), "{n}: a failure alone locks nothing");
    s.throttle.lock("k", at(60)).await.unwrap();
    s.throttle.lock("k", at(15)).await.unwrap();
    assert_eq!(s.throttle.locked_until("k", at(0)).await.unwrap(), Some(at(60)), "{n}: the longer lock stays");
    assert_eq!(s.throttle.locked_until("k", at(59)).await.unwrap(), Some(at(60)), "{n}");
    assert!(s.throttle.locked_until("k", at(60)).await.unwrap().is_none(), "{n}: over at its end");
    s.throttle.lock("k", at(120)).await.unwrap();
    assert_eq!(s.throttle.locked_until("k", at(61)).await.unwrap(), Some(at(120)), "{n}: a longer lock replaces it");
}

pub async fn rate_windows_count_concurrent_hits_and_restart_when_over(s: Store) {
    let n = s.name;
    let window = Duration::from_secs(60);
    let calls = (0..30).map(|_| s.throttle.hit("ip:token:192.0.2.1", at(0), window));
    let mut hits: Vec<u32> = futures::future::join_all(calls).await.into_iter().map(|w| w.unwrap().hits).collect();
    hits.sort();
    assert_eq!(hits, (1..=30).collect::<Vec<u32>>(), "{n}");
    let same = s.throttle.hit("ip:token:192.0.2.1", at(59), window).await.unwrap();
    assert_eq!((same.hits, same.started), (31, at(0)), "{n}: same window");
    let next = s.throttle.hit("ip:token:192.0.2.1", at(60), window).await.unwrap();
    assert_eq!((next.hits, next.started), (1, at(60)), "{n}: a new window at its end");
    let other = s.throttle.hit("ip:token:192.0.2.2", at(61), window).await.unwrap();
    assert_eq!((other.hits, other.started), (1, at(61)), "{n}: addresses count apart");
}

pub async fn a_request_taken_back_leaves_its_window_as_if_it_never_came(s: Store) {
    let n = s.name;
    let window = Duration::from_secs(3600);
    let key = "app:verify_to:acme:+14155550100";
    for _ in 0..3 {
        s.throttle.hit(key, at(0), window).await.unwrap();
    }
    s.throttle.unhit(key, at(0), 5).await.unwrap();
    assert_eq!(s.throttle.hit(key, at(1), window).await.unwrap().hits, 3, "{n}: 3 - 1 + 1");
    // Past the limit (refused requests counted): taken back to the limit's last place.
    for _ in 0..4 {
        s.throttle.hit(key, at(2), window).await.unwrap();
    }
    s.throttle.unhit(key, at(0), 5).await.unwrap();
    assert_eq!(s.throttle.hit(key, at(3), window).await.unwrap().hits, 5, "{n}: room for one");
    // A window that restarted is not touched by a take-back meant for the old one.
    assert_eq!(s.throttle.hit(key, at(3600), window).await.unwrap().hits, 1, "{n}");
    s.throttle.unhit(key, at(0), 5).await.unwrap();
    assert_eq!(s.throttle.hit(key, at(3601), window).await.unwrap().hits, 2, "{n}: the new window kept its count");
    s.throttle.unhit("never-counted", at(0), 5).await.unwrap();
    // Taken back more often than counted: never below nothing.
    s.throttle.hit("once", at(0), window).await.unwrap();
    s.throttle.unhit("once", at(0), 5).await.unwrap();
    s.throttle.unhit("once", at(0), 5).await.unwrap();
    assert_eq!(s.throttle.hit("once", at(1), window).await.unwrap().hits, 1, "{n}");
}

pub async fn purge_drops_only_idle_counters_whose_lock_is_over(s: Store) {
    let n = s.name;
    let window = Duration::from_secs(60);
    s.throttle.add_failure("idle", at(0)).await.unwrap();
    s.throttle.hit("idle-hits", at(0), window).await.unwrap();
    s.throttle.add_failure("locked", at(0)).await.unwrap();
    s.throttle.lock("locked", at(1000)).await.unwrap();
    s.throttle.add_failure("recent", at(0)).await.unwrap();
    s.throttle.add_failure("recent", at(500)).await.unwrap();
    assert_eq!(s.throttle.purge(at(100), at(200)).await.unwrap(), 2, "{n}: idle and idle-hits");
    assert_eq!(s.throttle.add_failure("idle", at(201)).await.unwrap(), 1, "{n}: purged");
    assert_eq!(s.throttle.locked_until("locked", at(200)).await.unwrap(), Some(at(1000)), "{n}: lock kept");
    assert_eq!(s.throttle.add_failure("recent", at(201)).await.unwrap(), 3, "{n}: recently used kept");
    assert_eq!(s.throttle.purge(at(100), at(1001)).await.unwrap(), 1, "{n}: the lock is over now");
}
