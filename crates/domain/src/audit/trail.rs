//! Recording and reading security events.

use std::sync::Arc;

use uuid::Uuid;

use super::event::{AuditEvent, EventKind};
use crate::clock::Clock;
use crate::error::Result;
use crate::ports::AuditLog;
use crate::rng::Rng;
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
        detail: &[(&str, String)],
    ) -> Result<()> {
        self.log.record(&self.event(user, actor, kind, detail)).await
    }

    /// The event [`record`](Self::record) would write, for a use case that
    /// writes it in a transaction of its own.
    pub fn event(&self, user: UserId, actor: Option<UserId>, kind: EventKind, detail: &[(&str, String)]) -> AuditEvent {
        let now = self.clock.now();
        AuditEvent {
            id: self.rng.uuid_v7(now),
            at: now,
            user_id: user,
            actor_id: actor,
            kind,
            detail: detail.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
        }
    }

    /// A user's events, newest first, strictly before the event `before`.
    pub async fn list(&self, user: UserId, before: Option<Uuid>, limit: u32) -> Result<Vec<AuditEvent>> {
        self.log.list(user, before, limit).await
    }
}
