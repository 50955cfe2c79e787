//! The contract of [`AuditLog`](crate::ports::AuditLog).

use uuid::Uuid;

use super::{Store, at, nth_id};
use crate::app::AppId;
use crate::audit::{AuditEvent, EventKind};
use crate::subject::Subject;
use crate::user::UserId;

pub async fn events_come_back_newest_first_in_keyset_pages(s: Store) {
    let n = s.name;
    let (ada, admin) = (UserId(Uuid::new_v4()), UserId(Uuid::new_v4()));
    let who = Subject::User(ada);
    let mut ids = Vec::new();
    for (i, kind) in EventKind::ALL.iter().take(7).enumerate() {
        let id = nth_id(i as i64);
        ids.push(id);
        let detail = [("n".to_owned(), i.to_string().into())].into_iter().collect();
        let actor = (i % 2 == 0).then_some(admin);
        let event = AuditEvent { id, at: at(i as i64), subject: who, actor_id: actor, kind: *kind, detail };
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
    assert!(s.audit.list(Subject::User(admin), None, 10).await.unwrap().is_empty(), "{n}: only the user's own events");
    assert!(s.audit.list(who, Some(ids[6]), 10).await.unwrap().is_empty(), "{n}: nothing before the oldest");
}

pub async fn an_apps_events_are_kept_apart_from_users_events(s: Store) {
    let n = s.name;
    let (app, user) = (Subject::App(AppId(Uuid::new_v4())), Subject::User(UserId(Uuid::new_v4())));
    let admin = UserId(Uuid::new_v4());
    let ids: Vec<Uuid> = (0..3).map(nth_id).collect();
    for (i, subject) in [app, user, app].into_iter().enumerate() {
        let event = AuditEvent {
            id: ids[i],
            at: at(i as i64),
            subject,
            actor_id: Some(admin),
            kind: EventKind::AppCreated,
            detail: Default::default(),
        };
        s.audit.record(&event).await.unwrap();
    }
    let of_app = s.audit.list(app, None, 10).await.unwrap();
    assert_eq!(of_app.iter().map(|e| e.id).collect::<Vec<_>>(), [ids[2], ids[0]], "{n}");
    assert!(of_app.iter().all(|e| e.subject == app && e.actor_id == Some(admin)), "{n}: the subject round-trips");
    assert_eq!(s.audit.list(user, None, 10).await.unwrap().len(), 1, "{n}");
    let same_id_as_user = Subject::User(UserId(app.app().unwrap().0));
    assert!(
        s.audit.list(same_id_as_user, None, 10).await.unwrap().is_empty(),
        "{n}: an app id never reads as a user's"
    );
}

pub async fn a_clients_events_are_kept_apart_from_users_and_apps_events(s: Store) {
    let n = s.name;
    let id = Uuid::new_v4();
    // One id under three subjects: each reads only its own.
    let (client, app, user) =
        (Subject::Client(crate::oidc::ClientId(id)), Subject::App(AppId(id)), Subject::User(UserId(id)));
    let ids: Vec<Uuid> = (0..4).map(nth_id).collect();
    for (i, subject) in [client, app, user, client].into_iter().enumerate() {
        let detail = [("grant_type".to_owned(), "client_credentials".into())].into_iter().collect();
        let kind = EventKind::OidcTokensIssued;
        let event = AuditEvent { id: ids[i], at: at(i as i64), subject, actor_id: None, kind, detail };
        s.audit.record(&event).await.unwrap();
    }
    let of_client = s.audit.list(client, None, 10).await.unwrap();
    assert_eq!(of_client.iter().map(|e| e.id).collect::<Vec<_>>(), [ids[3], ids[0]], "{n}");
    assert!(of_client.iter().all(|e| e.subject == client), "{n}: the subject round-trips");
    assert_eq!(of_client[0].detail["grant_type"], "client_credentials", "{n}");
    for other in [app, user] {
        assert_eq!(s.audit.list(other, None, 10).await.unwrap().len(), 1, "{n}: {other:?}");
    }
}
