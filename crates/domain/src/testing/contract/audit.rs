//! The contract of [`AuditLog`](crate::ports::AuditLog).

use uuid::Uuid;

use super::{Store, at, nth_id};
use crate::audit::{AuditEvent, EventKind};
use crate::user::UserId;

pub async fn events_come_back_newest_first_in_keyset_pages(s: Store) {
    let n = s.name;
    let (who, admin) = (UserId(Uuid::new_v4()), UserId(Uuid::new_v4()));
    let mut ids = Vec::new();
    for (i, kind) in EventKind::ALL.iter().take(7).enumerate() {
        let id = nth_id(i as i64);
        ids.push(id);
        let detail = [("n".to_owned(), i.to_string())].into_iter().collect();
        let actor = (i % 2 == 0).then_some(admin);
        let event = AuditEvent { id, at: at(i as i64), user_id: who, actor_id: actor, kind: *kind, detail };
        s.audit.record(&event).await.unwrap();
    }
    ids.reverse();
    let page = s.audit.list(who, None, 4).await.unwrap();
    let rest = s.audit.list(who, Some(page[3].id), 10).await.unwrap();
    let walked: Vec<Uuid> = page.iter().chain(&rest).map(|e| e.id).collect();
    assert_eq!(walked, ids, "{n}: every event once, newest first");
    let newest = &page[0];
    assert_eq!((newest.kind, newest.at, newest.actor_id), (EventKind::ALL[6], at(6), Some(admin)), "{n}");
    assert_eq!(newest.detail["n"], "6", "{n}: details round-trip");
    assert_eq!(page[1].actor_id, None, "{n}");
    assert!(s.audit.list(admin, None, 10).await.unwrap().is_empty(), "{n}: only the user's own events");
    assert!(s.audit.list(who, Some(ids[6]), 10).await.unwrap().is_empty(), "{n}: nothing before the oldest");
}
