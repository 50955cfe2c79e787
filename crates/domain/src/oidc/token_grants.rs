//! `TokenGrants`: the token endpoint's use case (RFC 6749 §4.1.3, §6;
//! OpenID Connect Core §3.1.3). A client that proved itself
//! ([`Clients::authenticate`](super::Clients::authenticate)) exchanges a
//! code for a new session of its own, or a refresh token of that session
//! for the next pair. What is refused is said the way RFC 6749 §5.2 words it.

use std::sync::Arc;

use super::client::{Client, Scope};
use super::code::{AuthorizationCode, Redemption};
use super::grant::ClientGrant;
use super::id_token::{IdTokenClaims, UserClaims, at_hash};
use crate::audit::{Audit, EventKind};
use crate::clock::{Clock, after};
use crate::error::{Error, Result};
use crate::ports::{AuthorizationRepo, ClientRepo, IdTokenSigner, KeyedHasher, UserRepo};
use crate::session::Sessions;

/// How long an ID token may be presented (the access token's lifetime).
pub type IdTokenLifetime = std::time::Duration;

/// The answer of a grant (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAnswer {
    pub access_token: String,
    pub expires_in: u64,
    /// For `openid` (a code exchange).
    pub id_token: Option<String>,
    /// For `offline_access`.
    pub refresh_token: Option<String>,
    /// The scopes granted, space-separated.
    pub scope: String,
}

/// An error of the token endpoint (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantRefusal {
    InvalidRequest(&'static str),
    /// The code or refresh token is not one this client may redeem now.
    InvalidGrant(&'static str),
    /// The client may not use this grant type.
    UnauthorizedClient(&'static str),
    InvalidScope(&'static str),
    UnsupportedGrantType,
}

impl GrantRefusal {
    pub fn error(&self) -> &'static str {
        match self {
            GrantRefusal::InvalidRequest(_) => "invalid_request",
            GrantRefusal::InvalidGrant(_) => "invalid_grant",
            GrantRefusal::UnauthorizedClient(_) => "unauthorized_client",
            GrantRefusal::InvalidScope(_) => "invalid_scope",
            GrantRefusal::UnsupportedGrantType => "unsupported_grant_type",
        }
    }

    pub fn description(&self) -> &'static str {
        match self {
            GrantRefusal::InvalidRequest(d)
            | GrantRefusal::InvalidGrant(d)
            | GrantRefusal::UnauthorizedClient(d)
            | GrantRefusal::InvalidScope(d) => d,
            GrantRefusal::UnsupportedGrantType => {
                "grant_type must be authorization_code, refresh_token or client_credentials"
            }
        }
    }
}

/// A grant's outcome: tokens, or what RFC 6749 §5.2 says is wrong.
pub type Granted = std::result::Result<TokenAnswer, GrantRefusal>;

#[derive(Clone)]
pub struct TokenGrants {
    pub(crate) repo: Arc<dyn AuthorizationRepo>,
    pub(crate) users: Arc<dyn UserRepo>,
    pub(crate) clients: Arc<dyn ClientRepo>,
    pub(crate) sessions: Sessions,
    pub(crate) id_tokens: Arc<dyn IdTokenSigner>,
    pub(crate) keyed_hasher: Arc<dyn KeyedHasher>,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) id_token_ttl: IdTokenLifetime,
}

const CODE_UNKNOWN: &str = "the code is unknown, expired or already used";

impl TokenGrants {
    /// `grant_type=authorization_code`: the code, issued to `client` for
    /// `redirect_uri`, whose PKCE challenge `verifier` answers, becomes a
    /// new session of the client's with the browser session's proof. A
    /// code redeemed before ends the session its first redemption opened.
    #[tracing::instrument(skip_all, fields(client_id = %client.id))]
    pub async fn exchange_code(
        &self,
        client: &Client,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<Granted> {
        let Some(code) = AuthorizationCode::parse(code) else {
            return Ok(Err(GrantRefusal::InvalidGrant(CODE_UNKNOWN)));
        };
        let hash = code.hashed(&*self.keyed_hasher);
        // The session this redemption opens is named by the redemption
        // itself, so a replay finds it without a second write.
        let session = self.sessions.next_session_id();
        let grant = match self.repo.redeem_code(&hash, self.clock.now(), session).await? {
            Redemption::Redeemed(grant) => grant,
            Redemption::Unknown => return Ok(Err(GrantRefusal::InvalidGrant(CODE_UNKNOWN))),
            Redemption::Replayed { client_id, user_id, issued_session } => {
                if let Some(session) = issued_session {
                    self.sessions.end_any(session).await?;
                }
                let detail = [
                    ("client_id", client_id.to_string().into()),
                    ("session", issued_session.map(|s| s.to_string()).unwrap_or_default().into()),
                ];
                self.audit.record(user_id, None, EventKind::OidcCodeReplayed, &detail).await?;
                return Ok(Err(GrantRefusal::InvalidGrant(CODE_UNKNOWN)));
            }
        };
        if grant.client_id != client.id {
            return Ok(Err(GrantRefusal::InvalidGrant("the code was issued to another client")));
        }
        if redirect_uri != Some(grant.redirect_uri.as_str()) {
            return Ok(Err(GrantRefusal::InvalidGrant("redirect_uri must be the authorization request's")));
        }
        if !verifier.is_some_and(|v| grant.challenge.verified_by(v)) {
            return Ok(Err(GrantRefusal::InvalidGrant("code_verifier does not match the code_challenge")));
        }
        let Some(user) = self.users.user(grant.user_id).await? else {
            return Ok(Err(GrantRefusal::InvalidGrant(CODE_UNKNOWN)));
        };
        let scopes = ClientGrant::new(client.id, grant.scopes.clone());
        let opened =
            self.sessions.open_for_client(session, grant.browser_session, user.id, grant.assurance, scopes.clone());
        let Some(pair) = opened.await? else {
            return Ok(Err(GrantRefusal::InvalidGrant("the sign-in this code came from has ended")));
        };
        let id_token = if scopes.has(Scope::Openid) {
            let now = self.clock.now();
            let claims = IdTokenClaims {
                sub: user.id,
                client_id: client.id,
                iat: now.timestamp(),
                exp: after(now, self.id_token_ttl).timestamp(),
                nonce: grant.nonce.clone(),
                assurance: grant.assurance,
                sid: grant.browser_session,
                at_hash: Some(at_hash(client.id_token_alg, &pair.access_token)),
                user: UserClaims::of(&user, &scopes.scopes),
            };
            Some(self.id_tokens.sign(client.id_token_alg, &claims).await?)
        } else {
            None
        };
        let detail = [
            ("client_id", client.id.to_string().into()),
            ("grant_type", "authorization_code".to_owned().into()),
            ("scope", scopes.scope_words().into()),
            ("session", session.to_string().into()),
        ];
        self.audit.record(user.id, None, EventKind::OidcTokensIssued, &detail).await?;
        Ok(Ok(TokenAnswer {
            access_token: pair.access_token,
            expires_in: pair.expires_in,
            id_token,
            refresh_token: scopes.has(Scope::OfflineAccess).then_some(pair.refresh_token),
            scope: scopes.scope_words(),
        }))
    }

    /// `grant_type=refresh_token`: the next pair of the client's session,
    /// by the rotation and reuse detection every refresh has; only a
    /// refresh token issued to `client` is taken.
    #[tracing::instrument(skip_all, fields(client_id = %client.id))]
    pub async fn refresh(&self, client: &Client, refresh_token: &str) -> Result<Granted> {
        match self.sessions.refresh_for(refresh_token, Some(client.id)).await {
            Ok((pair, grant)) => Ok(Ok(TokenAnswer {
                access_token: pair.access_token,
                expires_in: pair.expires_in,
                id_token: None,
                refresh_token: Some(pair.refresh_token),
                scope: grant.map(|g| g.scope_words()).unwrap_or_default(),
            })),
            Err(Error::TokenInvalid | Error::TokenExpired | Error::SessionRevoked | Error::RefreshReused) => {
                Ok(Err(GrantRefusal::InvalidGrant("the refresh token is not valid for this client")))
            }
            Err(e) => Err(e),
        }
    }
}

/// What introspection says of a token (RFC 7662 §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Introspection {
    Inactive,
    Active {
        claims: crate::token::Claims,
        /// `access_token` or `refresh_token`.
        token_type: &'static str,
    },
}

impl TokenGrants {
    /// RFC 7009: ends the session of `token` (an access or refresh token)
    /// if it was issued to `client`, or, for one of its client-credentials
    /// tokens, its credentials grant (so every token of that grant, as RFC
    /// 7009 §2.1 allows); any other token, valid or not, is left as it is,
    /// and the answer is the same.
    #[tracing::instrument(skip_all, fields(client_id = %client.id))]
    pub async fn revoke(&self, client: &Client, token: &str) -> Result<()> {
        use crate::token::TokenKind;
        if let Ok(claims) = self.sessions.tokens.check(token, TokenKind::Client) {
            if claims.client.as_ref().is_some_and(|g| g.client_id == client.id) {
                self.clients.end_credentials_grant(client.id).await?;
                let detail = [("grant", claims.sid.to_string().into())];
                let about = crate::subject::Subject::Client(client.id);
                self.audit.record_about(about, None, EventKind::OidcTokenRevoked, &detail).await?;
            }
            return Ok(());
        }
        let claims = [TokenKind::Refresh, TokenKind::Access]
            .into_iter()
            .find_map(|kind| self.sessions.tokens.check(token, kind).ok());
        let Some(claims) = claims.filter(|c| c.client.as_ref().is_some_and(|g| g.client_id == client.id)) else {
            return Ok(());
        };
        self.sessions.end_any(claims.sid).await?;
        let detail = [("client_id", client.id.to_string().into()), ("session", claims.sid.to_string().into())];
        self.audit.record(claims.sub, None, EventKind::OidcTokenRevoked, &detail).await
    }

    /// RFC 7662: whether `token` is live, for a confidential client: an
    /// access token of authd's own or of any client's session while its
    /// session is live, or any client's own token while its credentials
    /// grant is; a refresh token only of the asking client's own.
    pub async fn introspect(&self, client: &Client, token: &str) -> Result<Introspection> {
        use crate::token::TokenKind;
        if let Ok(claims) = self.sessions.tokens.check(token, TokenKind::Client) {
            return Ok(match self.client_token_live(&claims).await? {
                true => Introspection::Active { claims, token_type: "access_token" },
                false => Introspection::Inactive,
            });
        }
        if let Ok(claims) = self.sessions.tokens.check(token, TokenKind::Access) {
            return Ok(match self.sessions.is_live(claims.sid, claims.sub).await? {
                true => Introspection::Active { claims, token_type: "access_token" },
                false => Introspection::Inactive,
            });
        }
        if let Ok(claims) = self.sessions.tokens.check(token, TokenKind::Refresh) {
            let own = claims.client.as_ref().is_some_and(|g| g.client_id == client.id);
            if own && self.sessions.is_live(claims.sid, claims.sub).await? {
                return Ok(Introspection::Active { claims, token_type: "refresh_token" });
            }
        }
        Ok(Introspection::Inactive)
    }
}
