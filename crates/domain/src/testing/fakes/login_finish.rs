//! [`LoginFinisher`] in memory.

use async_trait::async_trait;

use super::*;

#[async_trait]
impl LoginFinisher for MemDb {
    async fn finish(&self, l: &FinishedLogin) -> Result<Finished> {
        // One lock for the whole transaction; every condition and key is
        // checked before anything is written, so a refusal writes nothing.
        let mut t = self.tables();
        if !t.otps.get(&l.challenge).is_some_and(|c| consumable(c, l.now, l.max_attempts)) {
            return Ok(Finished::ChallengeClosed);
        }
        if !t.users.get(&l.session.user_id).is_some_and(|u| u.user.is_active) {
            return Ok(Finished::UserInactive);
        }
        if t.sessions.contains_key(&l.session.id) || l.events.iter().any(|e| t.audit.iter().any(|a| a.id == e.id)) {
            return Err(Error::internal("duplicate key"));
        }
        if let Some(c) = t.otps.get_mut(&l.challenge) {
            c.used_at = Some(l.now);
        }
        t.sessions.insert(l.session.id, l.session.clone());
        t.throttles.remove(&l.throttle_key);
        t.audit.extend(l.events.iter().cloned());
        Ok(Finished::Done)
    }
}
