//! The contract of [`PurgeStore`](crate::ports::PurgeStore).

use uuid::Uuid;

use super::{Store, at, challenge, delivery, nth_id, session};
use crate::audit::{AuditEvent, EventKind};
use crate::ports::Purgeable;
use crate::subject::Subject;

pub async fn sessions_go_once_expired_or_revoked_and_live_ones_stay(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let live = session(ada);
    let mut expired = session(ada);
    expired.expires_at = at(100);
    let (revoked, revoked_later) = (session(ada), session(ada));
    for x in [&live, &expired, &revoked, &revoked_later] {
        s.sessions.create(x).await.unwrap();
    }
    s.sessions.revoke(revoked.id, at(50)).await.unwrap();
    s.sessions.revoke(revoked_later.id, at(300)).await.unwrap();
    assert_eq!(s.purge.purge(Purgeable::Sessions, at(200), 100).await.unwrap(), 2, "{n}: expired and revoked");
    assert!(s.sessions.get(expired.id).await.unwrap().is_none(), "{n}");
    assert!(s.sessions.get(revoked.id).await.unwrap().is_none(), "{n}");
    assert!(s.sessions.get(live.id).await.unwrap().is_some(), "{n}: live kept");
    assert!(s.sessions.get(revoked_later.id).await.unwrap().is_some(), "{n}: revoked after the cutoff kept");
    assert_eq!(s.purge.purge(Purgeable::Sessions, at(200), 100).await.unwrap(), 0, "{n}: nothing twice");
}

pub async fn challenges_and_messages_go_once_their_code_expired(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let (old, old_message) = (challenge(ada), delivery(ada, 0));
    let mut new = challenge(ada);
    new.expires_at = at(1000);
    let new_message = delivery(ada, 760);
    s.otps.create(&old, Some(&old_message)).await.unwrap();
    s.otps.create(&new, Some(&new_message)).await.unwrap();
    assert_eq!(s.purge.purge(Purgeable::Challenges, at(500), 100).await.unwrap(), 1, "{n}: the expired one");
    assert!(s.otps.get(old.id).await.unwrap().is_none(), "{n}");
    assert!(s.otps.get(new.id).await.unwrap().is_some(), "{n}: open challenge kept");
    assert_eq!(s.purge.purge(Purgeable::Messages, at(500), 100).await.unwrap(), 1, "{n}: the expired code's");
    assert!(s.outbox.get(old_message.id).await.unwrap().is_none(), "{n}");
    assert!(s.outbox.get(new_message.id).await.unwrap().is_some(), "{n}: a live code's message kept");
}

pub async fn events_go_once_older_than_the_cutoff(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    let ids: Vec<Uuid> = (0..3).map(|i| nth_id(10 + i)).collect();
    for (i, id) in (0..3).zip(&ids) {
        let event = AuditEvent {
            id: *id,
            at: at(i * 10),
            subject: Subject::User(ada),
            actor_id: None,
            kind: EventKind::ALL[0],
            detail: Default::default(),
        };
        s.audit.record(&event).await.unwrap();
    }
    assert_eq!(s.purge.purge(Purgeable::Events, at(15), 100).await.unwrap(), 2, "{n}");
    let left: Vec<Uuid> = s.audit.list(Subject::User(ada), None, 10).await.unwrap().iter().map(|e| e.id).collect();
    assert_eq!(left, [ids[2]], "{n}: the newer event kept");
}

pub async fn a_batch_deletes_at_most_its_limit_and_concurrent_purges_delete_each_row_once(s: Store) {
    let n = s.name;
    let ada = s.user(1, "ada").await;
    for _ in 0..60 {
        let mut x = session(ada);
        x.expires_at = at(100);
        s.sessions.create(&x).await.unwrap();
    }
    s.sessions.create(&session(ada)).await.unwrap();
    assert_eq!(s.purge.purge(Purgeable::Sessions, at(200), 25).await.unwrap(), 25, "{n}: one batch");
    // Two nodes purging at once, each until a batch comes back empty.
    let node = || async {
        let mut total = 0;
        loop {
            let batch = s.purge.purge(Purgeable::Sessions, at(200), 10).await.unwrap();
            total += batch;
            if batch == 0 {
                return total;
            }
        }
    };
    let (a, b) = futures::join!(node(), node());
    assert_eq!(a + b, 35, "{n}: every expired row deleted once ({a} + {b})");
    assert_eq!(s.purge.purge(Purgeable::Sessions, at(200), 100).await.unwrap(), 0, "{n}");
}
