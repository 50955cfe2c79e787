//! `AuditLog` over SeaORM.

use async_trait::async_trait;
use domain::Result;
use domain::app::AppId;
use domain::audit::{AuditEvent, EventKind};
use domain::oidc::ClientId;
use domain::ports::AuditLog;
use domain::subject::Subject;
use domain::user::UserId;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::db::{Database, internal};
use crate::entity::audit_events::{self, Column, Entity};

#[derive(Clone)]
pub struct SqlAuditLog {
    db: Database,
}

impl SqlAuditLog {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn to_domain(m: audit_events::Model) -> Result<AuditEvent> {
    let kind =
        EventKind::parse(&m.kind).ok_or_else(|| domain::Error::internal(format!("unknown event kind {:?}", m.kind)))?;
    let subject = match (m.user_id, m.app_id, m.client_id) {
        (Some(u), _, _) => Subject::User(UserId(u)),
        (None, Some(a), _) => Subject::App(AppId(a)),
        (None, None, Some(c)) => Subject::Client(ClientId(c)),
        (None, None, None) => return Err(domain::Error::internal("an event about no one")),
    };
    Ok(AuditEvent {
        id: m.id,
        at: m.at,
        subject,
        actor_id: m.actor_id.map(UserId),
        kind,
        detail: serde_json::from_str(&m.detail).map_err(domain::Error::internal)?,
    })
}

/// Writes one event, on the pool or inside a caller's transaction.
pub(crate) async fn insert_event(conn: &impl ConnectionTrait, e: &AuditEvent) -> Result<()> {
    let model = audit_events::ActiveModel {
        id: Set(e.id),
        user_id: Set(e.subject.user().map(|u| u.0)),
        app_id: Set(e.subject.app().map(|a| a.0)),
        client_id: Set(e.subject.client().map(|c| c.0)),
        actor_id: Set(e.actor_id.map(|a| a.0)),
        kind: Set(e.kind.as_str().to_owned()),
        at: Set(e.at),
        detail: Set(serde_json::to_string(&e.detail).map_err(domain::Error::internal)?),
    };
    Entity::insert(model).exec_without_returning(conn).await.map_err(internal)?;
    Ok(())
}

/// Counts committed events for `/metrics` (`authd_events_total`), by kind and
/// by the method or channel they name: logins by outcome, codes sent,
/// verified and failed, lockouts, deliveries. Call it once the events'
/// writes have committed, so a rolled-back event is never counted.
pub(crate) fn count_committed(events: &[AuditEvent]) {
    for e in events {
        let via = e.detail.get("method").or_else(|| e.detail.get("channel")).and_then(|d| d.text()).unwrap_or("");
        // Both labels are stable words (event kinds, methods, channels): few values.
        metrics::counter!("authd_events_total", "kind" => e.kind.as_str(), "method" => via.to_owned()).increment(1);
    }
}

#[async_trait]
impl AuditLog for SqlAuditLog {
    async fn record(&self, e: &AuditEvent) -> Result<()> {
        insert_event(&self.db, e).await?;
        count_committed(std::slice::from_ref(e));
        Ok(())
    }

    async fn list(&self, subject: Subject, before: Option<Uuid>, limit: u32) -> Result<Vec<AuditEvent>> {
        let of = match subject {
            Subject::User(u) => Column::UserId.eq(u.0),
            Subject::App(a) => Column::AppId.eq(a.0),
            Subject::Client(c) => Column::ClientId.eq(c.0),
        };
        let mut q = Entity::find().filter(of).order_by_desc(Column::Id).limit(u64::from(limit));
        if let Some(b) = before {
            q = q.filter(Column::Id.lt(b));
        }
        q.all(&self.db).await.map_err(internal)?.into_iter().map(to_domain).collect()
    }
}
