//! `AuditLog` over SeaORM.

use async_trait::async_trait;
use domain::Result;
use domain::audit::{AuditEvent, EventKind};
use domain::ports::AuditLog;
use domain::user::UserId;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::db::{Database, internal};
use crate::entity::audit_events::{self, Column, Entity};

#[derive(Clone)]
pub struct SeaAuditLog {
    db: Database,
}

impl SeaAuditLog {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn to_domain(m: audit_events::Model) -> Result<AuditEvent> {
    let kind =
        EventKind::parse(&m.kind).ok_or_else(|| domain::Error::internal(format!("unknown event kind {:?}", m.kind)))?;
    Ok(AuditEvent {
        id: m.id,
        at: m.at,
        user_id: UserId(m.user_id),
        actor_id: m.actor_id.map(UserId),
        kind,
        detail: serde_json::from_str(&m.detail).map_err(domain::Error::internal)?,
    })
}

/// Writes one event, on the pool or inside a caller's transaction.
pub(crate) async fn insert_event(conn: &impl ConnectionTrait, e: &AuditEvent) -> Result<()> {
    let model = audit_events::ActiveModel {
        id: Set(e.id),
        user_id: Set(e.user_id.0),
        actor_id: Set(e.actor_id.map(|a| a.0)),
        kind: Set(e.kind.as_str().to_owned()),
        at: Set(e.at),
        detail: Set(serde_json::to_string(&e.detail).map_err(domain::Error::internal)?),
    };
    Entity::insert(model).exec_without_returning(conn).await.map_err(internal)?;
    Ok(())
}

#[async_trait]
impl AuditLog for SeaAuditLog {
    async fn record(&self, e: &AuditEvent) -> Result<()> {
        insert_event(&self.db, e).await
    }

    async fn list(&self, user: UserId, before: Option<Uuid>, limit: u32) -> Result<Vec<AuditEvent>> {
        let mut q = Entity::find().filter(Column::UserId.eq(user.0)).order_by_desc(Column::Id).limit(u64::from(limit));
        if let Some(b) = before {
            q = q.filter(Column::Id.lt(b));
        }
        q.all(&self.db).await.map_err(internal)?.into_iter().map(to_domain).collect()
    }
}
