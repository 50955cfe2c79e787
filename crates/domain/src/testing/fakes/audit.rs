//! [`AuditLog`] in memory.

use async_trait::async_trait;
use uuid::Uuid;

use super::*;

#[async_trait]
impl AuditLog for MemDb {
    async fn record(&self, e: &AuditEvent) -> Result<()> {
        let mut t = self.tables();
        if t.audit.iter().any(|a| a.id == e.id) {
            return Err(Error::internal("duplicate event id")); // the primary key
        }
        t.audit.push(e.clone());
        Ok(())
    }
    async fn list(&self, subject: Subject, before: Option<Uuid>, limit: u32) -> Result<Vec<AuditEvent>> {
        let mut events: Vec<AuditEvent> = self
            .tables()
            .audit
            .iter()
            .filter(|e| e.subject == subject && before.is_none_or(|b| e.id < b))
            .cloned()
            .collect();
        events.sort_by_key(|e| std::cmp::Reverse(e.id));
        events.truncate(limit as usize);
        Ok(events)
    }
}
