//! A session from login to its end: opening it with its first token pair,
//! checking its access tokens, rotating its refresh token with reuse
//! detection, and revoking it (logout, password change, deactivation).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::family::{Caller, Session};
use crate::assurance::{Amr, Assurance};
use crate::audit::{Audit, EventKind};
use crate::clock::{Clock, after};
use crate::error::{Error, Result};
use crate::oidc::{ClientGrant, ClientId};
use crate::ports::SessionRepo;
use crate::rng::Rng;
use crate::token::{BrowserToken, TokenKind, TokenPair, Tokens};
use crate::trusted_device::TrustedDevices;
use crate::user::UserId;

/// What a session hands its client: a token pair to an API client, a
/// browser token to the web pages (which keep it in a cookie). Every login,
/// by password alone or with a second factor, ends in one of them, and so
/// does a step-up.
pub trait SessionKeys: Sized + std::fmt::Debug {
    /// The keys of `session` as it stands, signed at `now`.
    fn keys(sessions: &Sessions, session: &Session, now: DateTime<Utc>) -> Result<Self>;

    /// The keys a session hands out when it opens.
    fn first(sessions: &Sessions, session: &Session) -> Result<Self> {
        Self::keys(sessions, session, session.created_at)
    }
}

impl SessionKeys for TokenPair {
    fn keys(sessions: &Sessions, s: &Session, now: DateTime<Utc>) -> Result<Self> {
        sessions.tokens.pair(s.user_id, s.id, s.refresh_jti, now, s.expires_at, s.assurance, s.client.as_ref())
    }
}

impl SessionKeys for BrowserToken {
    fn keys(sessions: &Sessions, s: &Session, now: DateTime<Utc>) -> Result<Self> {
        sessions.tokens.browser(s.user_id, s.id, now, s.expires_at, s.assurance)
    }
}

/// The most live sessions [`Sessions::list`] shows.
pub const MAX_LISTED_SESSIONS: u32 = 50;

#[derive(Clone)]
pub struct Sessions {
    pub(crate) repo: Arc<dyn SessionRepo>,
    pub(crate) tokens: Tokens,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    pub(crate) refresh_ttl: Duration,
    /// Forgotten with the sessions when all of a user's end.
    pub(crate) trusted_devices: TrustedDevices,
}

impl Sessions {
    /// Opens a new session (refresh-token family) of a user who just proved
    /// `amr`, and hands out its first keys; `refused` when the user is no
    /// longer active (decided by the insert). With `second_factor_due`, the
    /// session may only enrol a second factor.
    pub async fn open<K: SessionKeys>(
        &self,
        user: UserId,
        amr: Amr,
        second_factor_due: bool,
        refused: Error,
    ) -> Result<K> {
        let mut session = self.new_session(user, amr);
        session.assurance.second_factor_due = second_factor_due;
        if !self.repo.create(&session).await? {
            return Err(refused);
        }
        K::first(self, &session)
    }

    /// The id of a session about to open, made the way [`new_session`](Self::new_session) makes one.
    pub(crate) fn next_session_id(&self) -> uuid::Uuid {
        self.rng.uuid_v7(self.clock.now())
    }

    /// Opens the session `id` for an OpenID Connect client (a code
    /// exchange) from the browser session `browser`: its user proved who
    /// they are as `assurance` says (the browser session's proof,
    /// `auth_time` included); its tokens are the client's. `None` when the
    /// user is no longer active, the browser session has ended or the client
    /// is gone (decided by the insert, [`SessionRepo::create_from`]).
    pub(crate) async fn open_for_client(
        &self,
        id: uuid::Uuid,
        browser: uuid::Uuid,
        user: UserId,
        assurance: Assurance,
        grant: ClientGrant,
    ) -> Result<Option<TokenPair>> {
        let mut session = self.new_session(user, assurance.amr);
        session.id = id;
        session.assurance = Assurance { second_factor_due: false, ..assurance };
        session.client = Some(grant);
        if !self.repo.create_from(&session, browser, self.clock.now()).await? {
            return Ok(None);
        }
        Ok(Some(TokenPair::first(self, &session)?))
    }

    /// Whether the session `id` is `user`'s and live now.
    pub(crate) async fn is_live(&self, id: uuid::Uuid, user: UserId) -> Result<bool> {
        self.repo.is_active(id, user, self.clock.now()).await
    }

    /// Ends every session opened for the client `client` (it is deleted).
    pub(crate) async fn end_client(&self, client: ClientId) -> Result<usize> {
        Ok(self.repo.revoke_client(client, self.clock.now()).await?.len())
    }

    /// Ends the session `id` (a replayed code's), whoever's it is.
    pub(crate) async fn end_any(&self, id: uuid::Uuid) -> Result<()> {
        self.repo.revoke(id, self.clock.now()).await
    }

    /// A session for `user`, who proved `amr` just now, starting now, not
    /// yet stored: [`open`](Self::open) stores it alone, a two-factor login
    /// with the rest of what it writes.
    pub(crate) fn new_session(&self, user: UserId, amr: Amr) -> Session {
        let now = self.clock.now();
        Session {
            id: self.rng.uuid_v7(now),
            user_id: user,
            refresh_jti: self.rng.uuid_v4(),
            created_at: now,
            expires_at: after(now, self.refresh_ttl),
            revoked_at: None,
            assurance: Assurance::proved(amr, now),
            client: None,
        }
    }

    /// Says that the caller's user proved `amr` just now: the session's
    /// assurance is replaced (so a step-up can lower it as well as raise
    /// it; [`Assurance::renewed`]) and its refresh token rotates in the same
    /// statement, and fresh keys are handed out. The session's end does not
    /// move. A session ended meanwhile is refused.
    pub(crate) async fn reassure<K: SessionKeys>(&self, caller: &Caller, amr: Amr) -> Result<K> {
        let now = self.clock.now();
        let assurance = caller.assurance.renewed(amr, now);
        let jti = self.rng.uuid_v4();
        let renewed = self.repo.reassure(caller.session_id, caller.user_id, assurance, jti, now).await?;
        K::keys(self, &renewed.ok_or(Error::SessionRevoked)?, now)
    }

    /// Checks an access token and that its session is still live: a revoked
    /// session's access tokens stop working at the next request. No span of
    /// its own: it runs on every authenticated request, has no field to
    /// record, and what is logged under it is in the request's span.
    pub async fn authenticate(&self, access_token: &str) -> Result<Caller> {
        self.authenticate_as(access_token, TokenKind::Access).await
    }

    /// Checks a browser token (the web pages' cookie) the same way: a
    /// logout anywhere ends the browser's session at its next page.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate_browser(&self, browser_token: &str) -> Result<Caller> {
        self.authenticate_as(browser_token, TokenKind::Browser).await
    }

    /// authd's own routes: a token issued to an OpenID Connect client (its
    /// audience is that client) is refused here.
    async fn authenticate_as(&self, token: &str, kind: TokenKind) -> Result<Caller> {
        match self.check_live(token, kind).await? {
            (caller, None) => Ok(caller),
            (_, Some(_)) => Err(Error::TokenInvalid),
        }
    }

    /// Checks an access token of authd's own or of a session opened for an
    /// OpenID Connect client, and that its session is live: what a resource
    /// server asks (`verify-token`), and userinfo. The grant says which
    /// client and scopes, for a client's token.
    pub async fn authenticate_resource(&self, access_token: &str) -> Result<(Caller, Option<ClientGrant>)> {
        self.check_live(access_token, TokenKind::Access).await
    }

    async fn check_live(&self, token: &str, kind: TokenKind) -> Result<(Caller, Option<ClientGrant>)> {
        let claims = self.tokens.check(token, kind)?;
        if !self.repo.is_active(claims.sid, claims.sub, self.clock.now()).await? {
            return Err(Error::SessionRevoked);
        }
        let assurance = claims.assurance.unwrap_or(Assurance::UNKNOWN);
        let caller = Caller { user_id: claims.sub, session_id: claims.sid, expires_at: claims.exp, assurance };
        Ok((caller, claims.client))
    }

    /// Exchanges a refresh token for a new pair. Each refresh token works
    /// once; presenting one that was already exchanged revokes the whole
    /// session, since either the user or a thief holds a stolen copy. The
    /// new access token says what the session's row says of how its user
    /// proved who they are: a refresh never changes it.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair> {
        Ok(self.refresh_for(refresh_token, None).await?.0)
    }

    /// [`refresh`](Self::refresh) for the OpenID Connect client `client`:
    /// only a refresh token issued to it is exchanged (RFC 6749 §6), and
    /// authd's own refresh route exchanges none issued to a client.
    /// The pair comes with the client's grant the token carried (its scopes).
    pub async fn refresh_for(
        &self,
        refresh_token: &str,
        client: Option<ClientId>,
    ) -> Result<(TokenPair, Option<ClientGrant>)> {
        let claims = self.tokens.check(refresh_token, TokenKind::Refresh)?;
        if claims.client.as_ref().map(|c| c.client_id) != client {
            return Err(Error::TokenInvalid);
        }
        let now = self.clock.now();
        let next_jti = self.rng.uuid_v4();
        let expires = after(now, self.refresh_ttl);
        if let Some(assurance) = self.repo.rotate(claims.sid, claims.jti, next_jti, now, expires).await? {
            let pair =
                self.tokens.pair(claims.sub, claims.sid, next_jti, now, expires, assurance, claims.client.as_ref())?;
            return Ok((pair, claims.client));
        }
        let session = self.repo.get(claims.sid).await?.ok_or(Error::TokenInvalid)?;
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
        self.repo.revoke(session.id, now).await?;
        self.audit
            .record(session.user_id, None, EventKind::RefreshReused, &[("session", session.id.to_string().into())])
            .await?;
        Err(Error::RefreshReused)
    }

    /// Ends the caller's session, or every session of theirs with `all`.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn logout(&self, caller: &Caller, all: bool) -> Result<()> {
        if all {
            self.revoke_all(caller.user_id, None).await?;
        } else {
            self.repo.revoke(caller.session_id, self.clock.now()).await?;
        }
        self.audit.record(caller.user_id, None, EventKind::LoggedOut, &[("all", all.into())]).await
    }

    /// The caller's live sessions, newest first (at most [`MAX_LISTED_SESSIONS`]).
    pub async fn list(&self, caller: &Caller) -> Result<Vec<Session>> {
        self.repo.list_live(caller.user_id, self.clock.now(), MAX_LISTED_SESSIONS).await
    }

    /// Ends one of the caller's own sessions ("log out that device"). A
    /// session of anyone else is not found, as an unknown one.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id, session_id = %caller.session_id))]
    pub async fn end(&self, caller: &Caller, session: uuid::Uuid) -> Result<()> {
        if !self.repo.revoke_owned(session, caller.user_id, self.clock.now()).await? {
            return Err(Error::SessionNotFound);
        }
        let detail = [("session", session.to_string().into())];
        self.audit.record(caller.user_id, None, EventKind::SessionEnded, &detail).await
    }

    /// Revokes every live session of `user` but `keep`; returns how many.
    /// Every ending of many sessions goes through here (log out everywhere,
    /// a new or reset password, a second factor removed, a deactivation),
    /// so a node's session cache forgets them at once, and so do the
    /// user's trusted devices.
    pub async fn revoke_all(&self, user: UserId, keep: Option<uuid::Uuid>) -> Result<u64> {
        let revoked = self.repo.revoke_all(user, keep, self.clock.now()).await?;
        self.trusted_devices.forget_all(user).await?;
        Ok(revoked)
    }
}
