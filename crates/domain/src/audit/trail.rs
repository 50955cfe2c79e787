//! Recording and reading security events.

use std::sync::Arc;

use uuid::Uuid;

use super::event::{AuditEvent, Detail, EventKind};
use crate::clock::Clock;
use crate::error::Result;
use crate::ports::AuditLog;
use crate::rng::Rng;
use crate::subject::Subject;
use crate::user::UserId;

#[derive(Clone)]
pub struct Audit {
    pub(crate) log: Arc<dyn AuditLog>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
}

impl Audit {
    /// Records a security event about `user`, done by `actor` when it was an admin.
    pub async fn record(
        &self,
        user: UserId,
        actor: Option<UserId>,
        kind: EventKind,
        detail: &[(&str, Detail)],
    ) -> Result<()> {
        self.record_about(Subject::User(user), actor, kind, detail).await
    }

    /// Records a security event about `subject` (a user or an application).
    pub async fn record_about(
        &self,
        subject: Subject,
        actor: Option<UserId>,
        kind: EventKind,
        detail: &[(&str, Detail)],
    ) -> Result<()> {
        self.log.record(&self.event_about(subject, actor, kind, detail)).await
    }

    /// The event [`record`](Self::record) would write, for a use case that
    /// writes it in a transaction of its own.
    pub fn event(&self, user: UserId, actor: Option<UserId>, kind: EventKind, detail: &[(&str, Detail)]) -> AuditEvent {
        self.event_about(Subject::User(user), actor, kind, detail)
    }

    fn event_about(
        &self,
        subject: Subject,
        actor: Option<UserId>,
        kind: EventKind,
        detail: &[(&str, Detail)],
    ) -> AuditEvent {
        let now = self.clock.now();
        AuditEvent {
            id: self.rng.uuid_v7(now),
            at: now,
            subject,
            actor_id: actor,
            kind,
            detail: detail.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
        }
    }

    /// Events about `subject`, newest first, strictly before the event `before`.
    pub async fn list(&self, subject: Subject, before: Option<Uuid>, limit: u32) -> Result<Vec<AuditEvent>> {
        self.log.list(subject, before, limit).await
    }
}
