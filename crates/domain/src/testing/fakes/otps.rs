//! [`OtpRepo`] in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::*;

#[async_trait]
impl OtpRepo for MemDb {
    async fn create(&self, c: &OtpChallenge, d: Option<&Delivery>) -> Result<()> {
        let mut t = self.tables();
        // fk_otp_challenges_user, fk_otp_challenges_app
        let owner_exists = match c.owner {
            Subject::User(u) => t.users.contains_key(&u),
            Subject::App(a) => t.apps.contains_key(&a),
            // otp_challenges has no client column: such a row cannot be written.
            Subject::Client(_) => false,
        };
        if !owner_exists {
            return Err(Error::internal("challenge for an unknown user or app"));
        }
        // Primary keys; the SQL transaction rolls both back.
        if t.otps.contains_key(&c.id) || d.is_some_and(|d| t.deliveries.contains_key(&d.id)) {
            return Err(Error::internal("duplicate key"));
        }
        // ux_otp_challenges_link_hash
        if c.link_hash.is_some() && t.otps.values().any(|o| o.link_hash == c.link_hash) {
            return Err(Error::internal("duplicate link hash"));
        }
        t.otps.insert(c.id, c.clone());
        if let Some(d) = d {
            t.deliveries.insert(d.id, d.clone());
        }
        Ok(())
    }
    async fn create_unless_open(&self, c: &OtpChallenge, d: &Delivery, now: DateTime<Utc>, max: u32) -> Result<bool> {
        let open = self.tables().otps.values().any(|o| {
            o.owner == c.owner
                && o.purpose == c.purpose
                && o.destination.is_some()
                && o.destination == c.destination
                && o.used_at.is_none()
                && o.canceled_at.is_none()
                && o.attempts < max
                && o.expires_at > now
        });
        if open {
            return Ok(false);
        }
        // No await between the check and the insert: one step, as in SQL.
        OtpRepo::create(self, c, Some(d)).await.map(|()| true)
    }
    async fn create_capped(&self, c: &OtpChallenge, d: &Delivery, now: DateTime<Utc>, max_open: u32) -> Result<Capped> {
        let open: Vec<DateTime<Utc>> = self
            .tables()
            .otps
            .values()
            .filter(|o| {
                o.owner == c.owner
                    && o.purpose == c.purpose
                    && o.destination == c.destination
                    && consumable(o, now, o.rules.max_attempts)
            })
            .map(|o| o.expires_at)
            .collect();
        if open.len() >= max_open as usize {
            let frees_at = open.into_iter().min().unwrap_or(now);
            return Ok(Capped::Full { frees_at });
        }
        // No await between the count and the insert: one step, as in SQL.
        OtpRepo::create(self, c, Some(d)).await.map(|()| Capped::Created)
    }
    async fn cancel(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        let delivery = match t.otps.get_mut(&id) {
            Some(c) if consumable(c, now, c.rules.max_attempts) => {
                c.canceled_at = Some(now);
                c.delivery_id
            }
            _ => return Ok(false),
        };
        if let Some(d) = delivery.and_then(|d| t.deliveries.get_mut(&d)).filter(|d| d.status == DeliveryStatus::Queued)
        {
            d.status = DeliveryStatus::Failed;
            d.last_error = Some(CANCELED.into());
            d.sealed_code = None;
            d.settled_at = Some(now);
        }
        Ok(true)
    }
    async fn get(&self, id: Uuid) -> Result<Option<OtpChallenge>> {
        Ok(self.tables().otps.get(&id).cloned())
    }
    async fn by_link(&self, link_hash: &[u8]) -> Result<Option<OtpChallenge>> {
        Ok(self.tables().otps.values().find(|c| c.link_hash.as_deref() == Some(link_hash)).cloned())
    }
    async fn latest(&self, user: UserId, purpose: Purpose) -> Result<Option<OtpChallenge>> {
        let t = self.tables();
        let mine = t.otps.values().filter(|c| c.owner == Subject::User(user) && c.purpose == purpose);
        Ok(mine.max_by_key(|c| (c.created_at, c.id)).cloned())
    }
    async fn consume(&self, id: Uuid, now: DateTime<Utc>, max: u32) -> Result<bool> {
        match self.tables().otps.get_mut(&id) {
            Some(c) if consumable(c, now, max) => {
                c.used_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn record_failure(&self, id: Uuid, max: u32) -> Result<bool> {
        match self.tables().otps.get_mut(&id) {
            Some(c) if c.used_at.is_none() && c.canceled_at.is_none() && c.attempts < max => {
                c.attempts += 1;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn replace_code(
        &self,
        id: Uuid,
        method: Method,
        hash: &[u8],
        now: DateTime<Utc>,
        before: DateTime<Utc>,
        max_a: u32,
        max_r: u32,
        d: &Delivery,
    ) -> Result<bool> {
        let mut t = self.tables();
        let previous = match t.otps.get_mut(&id) {
            Some(c)
                if c.used_at.is_none()
                    && c.canceled_at.is_none()
                    && c.attempts < max_a
                    && c.resends < max_r
                    && c.last_sent_at <= before
                    && c.expires_at > now =>
            {
                c.code_hash = hash.to_vec();
                c.method = method;
                c.resends += 1;
                c.last_sent_at = now;
                c.delivery_id.replace(d.id)
            }
            _ => return Ok(false),
        };
        if let Some(old) =
            previous.and_then(|p| t.deliveries.get_mut(&p)).filter(|d| d.status == DeliveryStatus::Queued)
        {
            old.status = DeliveryStatus::Failed;
            old.last_error = Some(SUPERSEDED.into());
            old.sealed_code = None;
            old.settled_at = Some(now);
        }
        t.deliveries.insert(d.id, d.clone());
        Ok(true)
    }
}
