//! The use-case service: one value holding the ports and the policy, with the
//! use cases spread over `login`, `session` and `account`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit::{AuditEvent, EventKind};
use crate::error::{Error, Result};
use crate::ports::{
    AuditLog, Clock, Mailer, OtpHasher, OtpRepo, PasswordHasher, Rng, Session, SessionRepo, TokenCodec, UserRepo,
};
use crate::token::{Claims, TokenKind, TokenPair};
use crate::user::UserId;

/// Lifetimes and limits an operator may tune.
#[derive(Debug, Clone)]
pub struct Policy {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub temporary_ttl: Duration,
    pub otp_resend_cooldown: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            temporary_ttl: Duration::from_secs(240),
            otp_resend_cooldown: Duration::from_secs(30),
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

    /// Opens a new session (refresh-token family) and hands out its first pair.
    pub(crate) async fn open_session(&self, user: UserId) -> Result<TokenPair> {
        let now = self.p.clock.now();
        let session = Session {
            id: self.p.rng.uuid_v7(now),
            user_id: user,
            refresh_jti: self.p.rng.uuid_v4(),
            created_at: now,
            expires_at: after(now, self.policy.refresh_ttl),
            revoked_at: None,
        };
        self.p.sessions.create(&session).await?;
        self.pair(user, session.id, session.refresh_jti, now, session.expires_at)
    }
}
