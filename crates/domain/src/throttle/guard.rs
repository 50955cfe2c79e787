//! Counting failures and requests against the schedule and the limits.

use std::sync::Arc;

use super::rate::RateScope;
use super::schedule::lock_after;
use crate::audit::{Audit, EventKind};
use crate::clock::{Clock, after, retry_after};
use crate::error::{Error, Result};
use crate::ports::ThrottleStore;
use crate::throttle::rate::RateLimits;
use crate::user::UserId;

/// Idle counters older than this are purged (their lock being over).
const IDLE_PURGE_AFTER: chrono::Duration = chrono::Duration::days(1);

/// A request counted in a rate window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    key: String,
    started: chrono::DateTime<chrono::Utc>,
    limit: u32,
}

#[derive(Clone)]
pub struct Throttle {
    pub(crate) store: Arc<dyn ThrottleStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) audit: Audit,
    pub(crate) limits: RateLimits,
}

impl Throttle {
    /// Refuses the attempt while `key` (an account or unknown name) is locked.
    pub async fn ensure_unlocked(&self, key: &str) -> Result<()> {
        let now = self.clock.now();
        match self.store.locked_until(key, now).await? {
            Some(until) => Err(Error::AccountLocked { retry_after: retry_after(now, until) }),
            None => Ok(()),
        }
    }

    /// Counts a failed password or code against `key` and locks it when the
    /// schedule says so. Returns the consecutive failure count.
    pub async fn count_failure(&self, key: &str, user: Option<UserId>) -> Result<u32> {
        let now = self.clock.now();
        let failures = self.store.add_failure(key, now).await?;
        if let Some(lock) = lock_after(failures) {
            self.store.lock(key, after(now, lock)).await?;
            if let Some(user) = user {
                let detail = [("failures", failures.into()), ("seconds", lock.as_secs().into())];
                self.audit.record(user, None, EventKind::AccountLocked, &detail).await?;
            }
        }
        Ok(failures)
    }

    /// Forgets `key`'s failures and lock: after a complete login, or when an
    /// administrator reactivates the account.
    pub async fn reset(&self, key: &str) -> Result<()> {
        self.store.clear(key).await
    }

    /// Counts a request of `scope` from `subject` (a client address, or a
    /// user id for per-user scopes); refuses it past the limit.
    pub async fn check_rate(&self, scope: RateScope, subject: &str) -> Result<()> {
        self.count_rate(scope, subject).await.map(|_| ())
    }

    /// [`check_rate`](Self::check_rate), answering the request as counted
    /// (none when the scope has no limit), for [`uncount`](Self::uncount)
    /// to take back if what it was counted for does not happen.
    pub async fn count_rate(&self, scope: RateScope, subject: &str) -> Result<Option<Counted>> {
        let (limit, window) = scope.limit_in(&self.limits);
        if limit == 0 {
            return Ok(None);
        }
        let now = self.clock.now();
        let key = scope.key(subject);
        let w = self.store.hit(&key, now, window).await?;
        if w.hits > limit {
            return Err(Error::RateLimited { retry_after: retry_after(now, after(w.started, window)), scope });
        }
        Ok(Some(Counted { key, started: w.started, limit }))
    }

    /// Takes back requests counted by [`count_rate`](Self::count_rate)
    /// whose sends were refused after all: a refusal is never a send.
    pub async fn uncount(&self, counted: impl IntoIterator<Item = Counted>) -> Result<()> {
        for c in counted {
            self.store.unhit(&c.key, c.started, c.limit).await?;
        }
        Ok(())
    }

    /// Drops counters idle for a day whose lock is over.
    pub async fn purge(&self) -> Result<u64> {
        let now = self.clock.now();
        self.store.purge(now - IDLE_PURGE_AFTER, now).await
    }
}
