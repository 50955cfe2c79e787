//! Sessions after login: refresh with rotation and reuse detection, token
//! verification for other services, logout.

use crate::audit::EventKind;
use crate::error::{Error, Result};
use crate::service::{AuthService, Caller, after};
use crate::token::{TokenKind, TokenPair};

impl AuthService {
    /// Exchanges a refresh token for a new pair. Each refresh token works
    /// once; presenting one that was already exchanged revokes the whole
    /// session, since either the user or a thief holds a stolen copy.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair> {
        let claims = self.claims(refresh_token, TokenKind::Refresh)?;
        let now = self.p.clock.now();
        let next_jti = self.p.rng.uuid_v4();
        let expires = after(now, self.policy.refresh_ttl);
        if self.p.sessions.rotate(claims.sid, claims.jti, next_jti, now, expires).await? {
            return self.pair(claims.sub, claims.sid, next_jti, now, expires);
        }
        let session = self.p.sessions.get(claims.sid).await?.ok_or(Error::TokenInvalid)?;
        if session.user_id != claims.sub {
            return Err(Error::TokenInvalid);
        }
        if session.revoked_at.is_some() {
            return Err(Error::SessionRevoked);
        }
        if now >= session.expires_at {
            return Err(Error::TokenExpired);
        }
        tracing::warn!(session = %session.id, user = %session.user_id, "refresh token reuse; revoking the session");
        self.p.sessions.revoke(session.id, now).await?;
        self.audit(session.user_id, None, EventKind::RefreshReused, &[("session", session.id.to_string())]).await?;
        Err(Error::RefreshReused)
    }

    /// Ends the caller's session, or every session of theirs with `all`.
    #[tracing::instrument(skip_all)]
    pub async fn logout(&self, caller: &Caller, all: bool) -> Result<()> {
        let now = self.p.clock.now();
        if all {
            self.p.sessions.revoke_all(caller.user_id, None, now).await?;
        } else {
            self.p.sessions.revoke(caller.session_id, now).await?;
        }
        self.audit(caller.user_id, None, EventKind::LoggedOut, &[("all", all.to_string())]).await
    }
}
