//! The contract of [`SmsGuardStore`](crate::ports::SmsGuardStore).

use std::time::Duration;

use super::{Store, at, winners};
use crate::ports::{PrefixCount, PrefixWindow, SendLimits};

const HOUR: Duration = Duration::from_secs(3600);

/// An hour's window with `per_prefix` sends a prefix and no deployment cap.
fn per(per_prefix: u32) -> SendLimits {
    SendLimits { window: HOUR, per_prefix, in_all: 0 }
}

fn counted(c: PrefixCount) -> PrefixWindow {
    match c {
        PrefixCount::Counted(w) => w,
        other => panic!("expected a counted send, got {other:?}"),
    }
}

pub async fn fifty_concurrent_sends_to_a_prefix_at_its_limit_count_exactly_the_limit(s: Store) {
    let n = s.name;
    let passed = winners(50, || {
        let store = s.sms_guard.clone();
        async move { Ok(matches!(store.count_send("+2376712", "CM", at(0), per(20)).await?, PrefixCount::Counted(_))) }
    })
    .await;
    assert_eq!(passed, 20, "{n}: exactly the limit passes");
    let refused = s.sms_guard.count_send("+2376712", "CM", at(10), per(20)).await.unwrap();
    assert_eq!(refused, PrefixCount::Throttled { until: at(3600) }, "{n}: until the window ends");
    // Another prefix has a window of its own; a refusal counted nothing.
    assert_eq!(counted(s.sms_guard.count_send("+2376799", "CM", at(10), per(20)).await.unwrap()).sends, 1, "{n}");
    let next = counted(s.sms_guard.count_send("+2376712", "CM", at(3600), per(20)).await.unwrap());
    assert_eq!((next.sends, next.verified, next.started), (1, 0, at(3600)), "{n}: a new window");
    // No limit: 0.
    assert!(matches!(
        s.sms_guard.count_send("+2376712", "CM", at(3601), per(0)).await.unwrap(),
        PrefixCount::Counted(_)
    ));
}

pub async fn a_correct_check_counts_in_the_window_its_code_was_sent_in(s: Store) {
    let n = s.name;
    let g = &s.sms_guard;
    counted(g.count_send("+14155", "US", at(0), per(0)).await.unwrap());
    g.count_verified("+14155", at(0), at(20)).await.unwrap();
    g.count_verified("+19999", at(0), at(20)).await.unwrap();
    let w = counted(g.count_send("+14155", "US", at(30), per(0)).await.unwrap());
    assert_eq!((w.sends, w.verified), (2, 1), "{n}");
    // The window restarted: a late check of a code from the last one counts nowhere.
    counted(g.count_send("+14155", "US", at(4000), per(0)).await.unwrap());
    g.count_verified("+14155", at(30), at(4001)).await.unwrap();
    let w = counted(g.count_send("+14155", "US", at(4002), per(0)).await.unwrap());
    assert_eq!((w.sends, w.verified), (2, 0), "{n}");
}

pub async fn a_block_is_set_once_among_concurrent_deciders_and_refuses_sends_until_it_ends_or_is_lifted(s: Store) {
    let n = s.name;
    let g = s.sms_guard.clone();
    for i in 0..3 {
        counted(g.count_send("+8816123", "", at(i), per(0)).await.unwrap());
    }
    let blocked = winners(10, || {
        let g = g.clone();
        async move { g.block("+8816123", 0, at(5), at(905)).await }
    })
    .await;
    assert_eq!(blocked, 1, "{n}: one decider blocks it");
    assert!(!g.block("+8816123", 1, at(6), at(2000)).await.unwrap(), "{n}: not while blocked");
    assert_eq!(g.count_send("+8816123", "", at(10), per(0)).await.unwrap(), PrefixCount::Blocked { until: at(905) });
    assert_eq!(g.blocked_until("+8816123", at(10)).await.unwrap(), Some(at(905)), "{n}");
    let listed = g.blocks(at(10)).await.unwrap();
    assert_eq!(listed.len(), 1, "{n}");
    assert_eq!((listed[0].prefix.as_str(), listed[0].until, listed[0].strikes), ("+8816123", at(905), 1), "{n}");
    // Over: sends count again in a fresh window; the strike stays.
    assert_eq!(g.blocked_until("+8816123", at(905)).await.unwrap(), None, "{n}");
    let w = counted(g.count_send("+8816123", "", at(905), per(0)).await.unwrap());
    assert_eq!((w.sends, w.strikes), (1, 1), "{n}: the block's window, then this send");
    assert!(!g.unblock("+8816123", at(906)).await.unwrap(), "{n}: nothing to lift");
    assert!(g.block("+8816123", 1, at(907), at(2707)).await.unwrap(), "{n}: the second block");
    assert!(g.unblock("+8816123", at(908)).await.unwrap(), "{n}: an admin lifts it");
    assert!(g.blocks(at(908)).await.unwrap().is_empty(), "{n}");
    assert!(matches!(g.count_send("+8816123", "", at(909), per(0)).await.unwrap(), PrefixCount::Counted(_)), "{n}");
}

pub async fn an_idle_prefix_is_purged_but_not_while_its_block_lasts(s: Store) {
    let n = s.name;
    let g = &s.sms_guard;
    counted(g.count_send("+4915", "DE", at(0), per(0)).await.unwrap());
    counted(g.count_send("+3361", "FR", at(0), per(0)).await.unwrap());
    assert!(g.block("+3361", 0, at(1), at(10_000)).await.unwrap());
    counted(g.count_send("+4916", "DE", at(500), per(0)).await.unwrap());
    let purged = s.purge.purge(crate::ports::Purgeable::SmsPrefixes, at(100), 100).await.unwrap();
    assert_eq!(purged, 1, "{n}: the idle one, not the blocked one nor the recent one");
    assert_eq!(g.blocked_until("+3361", at(100)).await.unwrap(), Some(at(10_000)), "{n}: the block stays");
    let fresh = counted(g.count_send("+4915", "DE", at(101), per(0)).await.unwrap());
    assert_eq!((fresh.sends, fresh.strikes), (1, 0), "{n}: a purged prefix starts afresh");
    assert_eq!(s.purge.purge(crate::ports::Purgeable::SmsPrefixes, at(20_000), 100).await.unwrap(), 3, "{n}");
}

pub async fn fifty_concurrent_sends_over_many_prefixes_at_the_deployment_cap_count_exactly_the_cap(s: Store) {
    let n = s.name;
    let capped = SendLimits { window: HOUR, per_prefix: 0, in_all: 20 };
    let next = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let passed = winners(50, || {
        let (store, next) = (s.sms_guard.clone(), next.clone());
        async move {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 10;
            Ok(matches!(store.count_send(&format!("+4915{i}"), "DE", at(0), capped).await?, PrefixCount::Counted(_)))
        }
    })
    .await;
    assert_eq!(passed, 20, "{n}: exactly the cap passes, whatever the prefix");
    let refused = s.sms_guard.count_send("+49177", "DE", at(10), capped).await.unwrap();
    assert_eq!(refused, PrefixCount::Paused { until: at(3600) }, "{n}: until the deployment's window ends");
    // The prefixes' counts hold the 20 that passed, none of the refused.
    let mut kept = 0;
    for i in 0..10 {
        kept += counted(s.sms_guard.count_send(&format!("+4915{i}"), "DE", at(20), per(0)).await.unwrap()).sends - 1;
    }
    assert_eq!(kept, 20, "{n}: a send the deployment refused is taken back from its prefix");
    assert_eq!(counted(s.sms_guard.count_send("+49177", "DE", at(21), per(0)).await.unwrap()).sends, 1, "{n}");
    // Of concurrent refusals, one marks the pause; the deployment's row is no block.
    let told = winners(10, || {
        let g = s.sms_guard.clone();
        async move { g.pause(at(30), at(3600)).await }
    })
    .await;
    assert_eq!(told, 1, "{n}: one tells");
    assert!(s.sms_guard.blocks(at(30)).await.unwrap().is_empty(), "{n}: the pause is not a prefix block");
    // A new window: sending resumes, and the next pause can be told again.
    assert!(matches!(s.sms_guard.count_send("+49177", "DE", at(3600), capped).await.unwrap(), PrefixCount::Counted(_)));
    assert!(!s.sms_guard.pause(at(3599), at(7200)).await.unwrap(), "{n}: still paused a second before its end");
    assert!(s.sms_guard.pause(at(3600), at(7200)).await.unwrap(), "{n}: the next window's pause, from its start");
}

pub async fn a_full_prefix_is_said_before_a_full_deployment_and_its_refusal_counts_nothing_in_either(s: Store) {
    let n = s.name;
    let g = &s.sms_guard;
    let limits = SendLimits { window: HOUR, per_prefix: 2, in_all: 3 };
    for _ in 0..2 {
        counted(g.count_send("+2376712", "CM", at(0), limits).await.unwrap());
    }
    for _ in 0..5 {
        let refused = g.count_send("+2376712", "CM", at(1), limits).await.unwrap();
        assert_eq!(refused, PrefixCount::Throttled { until: at(3600) }, "{n}");
    }
    // The prefix's refusals took nothing from the deployment: one more fits.
    counted(g.count_send("+2376799", "CM", at(2), limits).await.unwrap());
    let both = g.count_send("+2376712", "CM", at(3), limits).await.unwrap();
    assert_eq!(both, PrefixCount::Throttled { until: at(3600) }, "{n}: both full, the prefix is said");
    assert_eq!(g.count_send("+2376798", "CM", at(4), limits).await.unwrap(), PrefixCount::Paused { until: at(3600) });
}
