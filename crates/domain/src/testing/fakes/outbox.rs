//! [`Outbox`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::*;

#[async_trait]
impl Outbox for MemDb {
    async fn queue(&self, d: &Delivery) -> Result<()> {
        let mut t = self.tables();
        // deliveries' primary key
        if t.deliveries.contains_key(&d.id) {
            return Err(Error::internal("duplicate key"));
        }
        t.deliveries.insert(d.id, d.clone());
        Ok(())
    }
    async fn claim(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: u32) -> Result<Vec<Delivery>> {
        let mut t = self.tables();
        let mut due: Vec<&mut Delivery> = t
            .deliveries
            .values_mut()
            .filter(|d| d.status == DeliveryStatus::Queued && d.next_attempt_at <= now)
            .collect();
        due.sort_by_key(|d| (d.next_attempt_at, d.id));
        Ok(due
            .into_iter()
            .take(limit as usize)
            .map(|d| {
                d.attempts += 1;
                d.next_attempt_at = lease_until;
                d.clone()
            })
            .collect())
    }
    async fn settle(&self, id: Uuid, attempt: u32, outcome: &Settlement, now: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        let Some(d) = t.deliveries.get_mut(&id).filter(|d| d.status == DeliveryStatus::Queued && d.attempts == attempt)
        else {
            return Ok(false);
        };
        match outcome {
            Settlement::Sent { provider_id } => {
                (d.status, d.provider_id, d.sealed_code, d.settled_at) =
                    (DeliveryStatus::Sent, provider_id.clone(), None, Some(now));
            }
            Settlement::Retry { at, error } => (d.next_attempt_at, d.last_error) = (*at, Some(error.clone())),
            Settlement::Failed { error } => {
                (d.status, d.last_error, d.sealed_code, d.settled_at) =
                    (DeliveryStatus::Failed, Some(error.clone()), None, Some(now));
            }
        }
        Ok(true)
    }
    async fn get(&self, id: Uuid) -> Result<Option<Delivery>> {
        Ok(self.tables().deliveries.get(&id).cloned())
    }
}
