//! An optional per-node cache in front of `SessionRepo::is_active`, for
//! deployments that trade a bounded revocation delay for token-check speed
//! (`AUTHD_SESSION_CACHE_MS`). A live answer is reused for `ttl`; every
//! revocation made through this node evicts at once, so the delay applies
//! only to revocations made on other nodes, and never exceeds `ttl`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ports::SessionRepo;
use domain::session::Session;
use domain::user::UserId;
use uuid::Uuid;

/// Entries kept before stale ones are swept; bounds memory under any load.
const MAX_ENTRIES: usize = 100_000;

pub struct CachedSessions {
    inner: Arc<dyn SessionRepo>,
    ttl: Duration,
    live: Mutex<HashMap<Uuid, (UserId, Instant)>>,
}

impl CachedSessions {
    pub fn new(inner: Arc<dyn SessionRepo>, ttl: Duration) -> Self {
        Self { inner, ttl, live: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (UserId, Instant)>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl SessionRepo for CachedSessions {
    async fn create(&self, session: &Session) -> Result<bool> {
        self.inner.create(session).await
    }

    async fn get(&self, id: Uuid) -> Result<Option<Session>> {
        self.inner.get(id).await
    }

    async fn rotate(&self, id: Uuid, old: Uuid, new: Uuid, now: DateTime<Utc>, expires: DateTime<Utc>) -> Result<bool> {
        self.inner.rotate(id, old, new, now, expires).await
    }

    async fn is_active(&self, id: Uuid, user: UserId, now: DateTime<Utc>) -> Result<bool> {
        if let Some((owner, at)) = self.lock().get(&id)
            && *owner == user
            && at.elapsed() < self.ttl
        {
            return Ok(true);
        }
        let active = self.inner.is_active(id, user, now).await?;
        let mut live = self.lock();
        if active {
            if live.len() >= MAX_ENTRIES {
                let ttl = self.ttl;
                live.retain(|_, (_, at)| at.elapsed() < ttl);
                if live.len() >= MAX_ENTRIES {
                    live.clear();
                }
            }
            live.insert(id, (user, Instant::now()));
        } else {
            live.remove(&id);
        }
        Ok(active)
    }

    async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        self.lock().remove(&id);
        self.inner.revoke(id, now).await
    }

    async fn revoke_owned(&self, id: Uuid, user: UserId, now: DateTime<Utc>) -> Result<bool> {
        self.lock().remove(&id);
        self.inner.revoke_owned(id, user, now).await
    }

    async fn list_live(&self, user: UserId, now: DateTime<Utc>, limit: u32) -> Result<Vec<Session>> {
        self.inner.list_live(user, now, limit).await
    }

    async fn revoke_all(&self, user: UserId, keep: Option<Uuid>, now: DateTime<Utc>) -> Result<u64> {
        self.lock().retain(|id, (owner, _)| *owner != user || Some(*id) == keep);
        self.inner.revoke_all(user, keep, now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Every session is live until revoked; counts the checks that reach it.
    #[derive(Default)]
    struct Counting {
        checks: AtomicUsize,
        revoked: Mutex<Vec<Uuid>>,
    }

    #[async_trait]
    impl SessionRepo for Counting {
        async fn create(&self, _: &Session) -> Result<bool> {
            Ok(true)
        }
        async fn get(&self, _: Uuid) -> Result<Option<Session>> {
            Ok(None)
        }
        async fn rotate(&self, _: Uuid, _: Uuid, _: Uuid, _: DateTime<Utc>, _: DateTime<Utc>) -> Result<bool> {
            Ok(true)
        }
        async fn is_active(&self, id: Uuid, _: UserId, _: DateTime<Utc>) -> Result<bool> {
            self.checks.fetch_add(1, Ordering::SeqCst);
            Ok(!self.revoked.lock().unwrap().contains(&id))
        }
        async fn revoke(&self, id: Uuid, _: DateTime<Utc>) -> Result<()> {
            self.revoked.lock().unwrap().push(id);
            Ok(())
        }
        async fn revoke_owned(&self, id: Uuid, _: UserId, _: DateTime<Utc>) -> Result<bool> {
            self.revoked.lock().unwrap().push(id);
            Ok(true)
        }
        async fn list_live(&self, _: UserId, _: DateTime<Utc>, _: u32) -> Result<Vec<Session>> {
            Ok(vec![])
        }
        async fn revoke_all(&self, _: UserId, _: Option<Uuid>, _: DateTime<Utc>) -> Result<u64> {
            Ok(0)
        }
    }

    fn setup(ttl_ms: u64) -> (Arc<Counting>, CachedSessions) {
        let inner = Arc::new(Counting::default());
        (inner.clone(), CachedSessions::new(inner, Duration::from_millis(ttl_ms)))
    }

    #[tokio::test]
    async fn a_live_session_is_checked_once_per_ttl() {
        let (inner, cache) = setup(60_000);
        let (id, user) = (Uuid::new_v4(), UserId(Uuid::new_v4()));
        for _ in 0..5 {
            assert!(cache.is_active(id, user, Utc::now()).await.unwrap());
        }
        assert_eq!(inner.checks.load(Ordering::SeqCst), 1);
        assert!(
            cache.is_active(id, UserId(Uuid::new_v4()), Utc::now()).await.unwrap(),
            "another user is checked, not served"
        );
        assert_eq!(inner.checks.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn revoking_through_this_node_takes_effect_at_once() {
        let (_, cache) = setup(60_000);
        let (a, b, user) = (Uuid::new_v4(), Uuid::new_v4(), UserId(Uuid::new_v4()));
        assert!(cache.is_active(a, user, Utc::now()).await.unwrap());
        cache.revoke(a, Utc::now()).await.unwrap();
        assert!(!cache.is_active(a, user, Utc::now()).await.unwrap());
        assert!(cache.is_active(b, user, Utc::now()).await.unwrap());
        cache.revoke_all(user, None, Utc::now()).await.unwrap();
        assert!(cache.lock().is_empty(), "revoke_all evicts every session of the user");
    }

    #[tokio::test]
    async fn a_revocation_elsewhere_is_seen_within_the_ttl() {
        let (inner, cache) = setup(50);
        let (id, user) = (Uuid::new_v4(), UserId(Uuid::new_v4()));
        assert!(cache.is_active(id, user, Utc::now()).await.unwrap());
        inner.revoked.lock().unwrap().push(id); // another node revoked it
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(!cache.is_active(id, user, Utc::now()).await.unwrap());
    }
}
