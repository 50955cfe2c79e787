//! The use-case service: one value holding the ports and the policy, with the
//! use cases spread over `login`, `session` and `account`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit::{AuditEvent, EventKind};
use crate::error::{Error, Result};
use crate::ports::{
    AuditLog, Clock, Mailer, OtpHasher, OtpRepo, PasswordHasher, Rng, Session, SessionRepo, ThrottleStore, TokenCodec,
    UserRepo,
};
use crate::throttle::{self, RateLimits, RateScope};
use crate::token::{Claims, TokenKind, TokenPair};
use crate::user::UserId;

/// Lifetimes and limits an operator may tune.
#[derive(Debug, Clone)]
pub struct Policy {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub temporary_ttl: Duration,
    pub otp_resend_cooldown: Duration,
    pub rate_limits: RateLimits,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            temporary_ttl: Duration::from_secs(240),
            otp_resend_cooldown: Duration::from_secs(30),
            rate_limits: RateLimits::default(),
        }
    }
}

/// The adapters a service runs on.
#[derive(Clone)]
pub struct Ports {
    pub users: Arc<dyn UserRepo>,
    pub sessions: Arc<dyn SessionRepo>,
    pub otps: Arc<dyn OtpRepo>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenCodec>,
    pub otp_hasher: Arc<dyn OtpHasher>,
    pub mailer: Arc<dyn Mailer>,
    pub audit: Arc<dyn AuditLog>,
    pub throttle: Arc<dyn ThrottleStore>,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn Rng>,
}

#[derive(Clone)]
pub struct AuthService {
    pub(crate) p: Ports,
    pub(crate) policy: Policy,
}

/// Who is calling, as proven by a live access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    pub session_id: Uuid,
    /// When the presented access token expires (unix seconds).
    pub expires_at: i64,
}

/// Whole seconds from `now` to `until`, rounded up and at least 1: a
/// Retry-After that never invites an early retry.
pub(crate) fn retry_after(now: DateTime<Utc>, until: DateTime<Utc>) -> Duration {
    let wait = (until - now).to_std().unwrap_or_default();
    Duration::from_secs((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
}

pub(crate) fn after(now: DateTime<Utc>, ttl: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX)
}

impl AuthService {
    pub fn new(ports: Ports, policy: Policy) -> Self {
        Self { p: ports, policy }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Decodes `token` and accepts it only as a live token of `kind`.
    pub(crate) fn claims(&self, token: &str, kind: TokenKind) -> Result<Claims> {
        self.p.tokens.decode(token)?.accept(kind, self.p.clock.now())
    }

    /// Checks an access token and that its session is still live: a revoked
    /// session's access tokens stop working at the next request.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate(&self, access_token: &str) -> Result<Caller> {
        let claims = self.claims(access_token, TokenKind::Access)?;
        if !self.p.sessions.is_active(claims.sid, claims.sub, self.p.clock.now()).await? {
            return Err(Error::SessionRevoked);
        }
        Ok(Caller { user_id: claims.sub, session_id: claims.sid, expires_at: claims.exp })
    }

    /// Deletes a user (their sessions go with them, by foreign key), then
    /// revokes their sessions through the one path every session ending
    /// takes, so this node's session cache forgets them at once. A refused
    /// delete (the last admin) leaves the sessions alone.
    pub(crate) async fn end_sessions_and_delete(&self, id: UserId) -> Result<bool> {
        if !self.p.users.delete(id).await? {
            return Ok(false);
        }
        self.p.sessions.revoke_all(id, None, self.p.clock.now()).await?;
        Ok(true)
    }

    /// Refuses the attempt while `key` (an account or unknown name) is locked.
    pub(crate) async fn ensure_unlocked(&self, key: &str) -> Result<()> {
        let now = self.p.clock.now();
        match self.p.throttle.locked_until(key, now).await? {
            Some(until) => Err(Error::AccountLocked { retry_after: retry_after(now, until) }),
            None => Ok(()),
        }
    }

    /// Counts a failed password or code against `key` and locks it when the
    /// schedule says so. Returns the consecutive failure count.
    pub(crate) async fn count_failure(&self, key: &str, user: Option<UserId>) -> Result<u32> {
        let now = self.p.clock.now();
        let failures = self.p.throttle.add_failure(key, now).await?;
        if let Some(lock) = throttle::lock_after(failures) {
            self.p.throttle.lock(key, after(now, lock)).await?;
            if let Some(user) = user {
                let detail = [("failures", failures.to_string()), ("seconds", lock.as_secs().to_string())];
                self.audit(user, None, EventKind::AccountLocked, &detail).await?;
            }
        }
        Ok(failures)
    }

    /// Drops throttle counters idle for a day whose lock is over.
    pub async fn purge_throttles(&self) -> Result<u64> {
        let now = self.p.clock.now();
        self.p.throttle.purge(now - chrono::Duration::days(1), now).await
    }

    /// Counts a request from `client` on a limited route; refuses it past the limit.
    pub async fn check_rate(&self, scope: RateScope, client: &str) -> Result<()> {
        let (limit, window) = self.policy.rate_limits.for_scope(scope);
        if limit == 0 {
            return Ok(());
        }
        let now = self.p.clock.now();
        let w = self.p.throttle.hit(&format!("ip:{}:{client}", scope.as_str()), now, window).await?;
        if w.hits > limit {
            return Err(Error::RateLimited { retry_after: retry_after(now, after(w.started, window)) });
        }
        Ok(())
    }

    /// Records a security event about `user`, done by `actor` when it was an admin.
    pub(crate) async fn audit(
        &self,
        user: UserId,
        actor: Option<UserId>,
        kind: EventKind,
        detail: &[(&str, String)],
    ) -> Result<()> {
        let now = self.p.clock.now();
        let event = AuditEvent {
            id: self.p.rng.uuid_v7(now),
            at: now,
            user_id: user,
            actor_id: actor,
            kind,
            detail: detail.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
        };
        self.p.audit.record(&event).await
    }

    /// Signs an access + refresh pair for a session whose current refresh
    /// token is `refresh_jti`.
    pub(crate) fn pair(
        &self,
        user: UserId,
        session: Uuid,
        refresh_jti: Uuid,
        now: DateTime<Utc>,
        refresh_expires: DateTime<Utc>,
    ) -> Result<TokenPair> {
        let access = Claims::new(
            TokenKind::Access,
            user,
            session,
            self.p.rng.uuid_v4(),
            now,
            after(now, self.policy.access_ttl),
        );
        let refresh = Claims::new(TokenKind::Refresh, user, session, refresh_jti, now, refresh_expires);
        Ok(TokenPair {
            access_token: self.p.tokens.encode(&access)?,
            refresh_token: self.p.tokens.encode(&refresh)?,
            expires_in: self.policy.access_ttl.as_secs(),
            refresh_expires_in: self.policy.refresh_ttl.as_secs(),
        })
    }

    /// Opens a new session (refresh-token family) and hands out its first
    /// pair; `refused` when the user is no longer active (decided by the insert).
    pub(crate) async fn open_session(&self, user: UserId, refused: Error) -> Result<TokenPair> {
        let now = self.p.clock.now();
        let session = Session {
            id: self.p.rng.uuid_v7(now),
            user_id: user,
            refresh_jti: self.p.rng.uuid_v4(),
            created_at: now,
            expires_at: after(now, self.policy.refresh_ttl),
            revoked_at: None,
        };
        if !self.p.sessions.create(&session).await? {
            return Err(refused);
        }
        self.pair(user, session.id, session.refresh_jti, now, session.expires_at)
    }
}
