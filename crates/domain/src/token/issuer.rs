//! Signing and checking tokens: every token the domain hands out is made
//! here, and every token it is handed is accepted here, as one kind only.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::claims::{BrowserToken, Claims, TokenKind, TokenPair};
use crate::assurance::Assurance;
use crate::clock::{Clock, after};
use crate::error::Result;
use crate::oidc::ClientGrant;
use crate::ports::TokenCodec;
use crate::rng::Rng;
use crate::user::UserId;

#[derive(Clone)]
pub struct Tokens {
    pub(crate) codec: Arc<dyn TokenCodec>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    pub(crate) access_ttl: Duration,
    pub(crate) refresh_ttl: Duration,
}

impl Tokens {
    /// Decodes `token` and accepts it only as a live token of `kind`.
    pub fn check(&self, token: &str, kind: TokenKind) -> Result<Claims> {
        self.codec.decode(token)?.accept(kind, self.clock.now())
    }

    /// Signs an access + refresh pair for a session whose current refresh
    /// token is `refresh_jti`; the access token says `assurance`. The
    /// refresh token does not: a refresh reads it from the session's row.
    /// Both name the client of a session opened for one.
    #[allow(clippy::too_many_arguments)]
    pub fn pair(
        &self,
        user: UserId,
        session: Uuid,
        refresh_jti: Uuid,
        now: DateTime<Utc>,
        refresh_expires: DateTime<Utc>,
        assurance: Assurance,
        client: Option<&ClientGrant>,
    ) -> Result<TokenPair> {
        let access_expires = after(now, self.access_ttl);
        let access = Claims::new(TokenKind::Access, user, session, self.rng.uuid_v4(), now, access_expires)
            .assured(assurance)
            .for_client(client);
        let refresh =
            Claims::new(TokenKind::Refresh, user, session, refresh_jti, now, refresh_expires).for_client(client);
        Ok(TokenPair {
            access_token: self.codec.encode(&access)?,
            refresh_token: self.codec.encode(&refresh)?,
            expires_in: self.access_ttl.as_secs(),
            refresh_expires_in: self.refresh_ttl.as_secs(),
        })
    }

    /// Signs the browser token of a session that ends at `expires`.
    pub fn browser(
        &self,
        user: UserId,
        session: Uuid,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
        assurance: Assurance,
    ) -> Result<BrowserToken> {
        let claims =
            Claims::new(TokenKind::Browser, user, session, self.rng.uuid_v4(), now, expires).assured(assurance);
        let expires_in = u64::try_from((expires - now).num_seconds()).unwrap_or(0);
        Ok(BrowserToken { token: self.codec.encode(&claims)?, expires_in })
    }

    /// Signs a client's access token for itself (`client_credentials`) on
    /// its credentials grant `grant`; it lives as long as an access token.
    pub fn client(&self, client: crate::oidc::ClientId, grant: Uuid, now: DateTime<Utc>) -> Result<String> {
        let expires = after(now, self.access_ttl);
        let claims = Claims::new(TokenKind::Client, Claims::NO_USER, grant, self.rng.uuid_v4(), now, expires)
            .for_client(Some(&ClientGrant::new(client, vec![])));
        self.codec.encode(&claims)
    }

    /// Signs the temporary token of a two-factor login whose challenge is `challenge`.
    pub fn temporary(
        &self,
        user: UserId,
        challenge: Uuid,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<String> {
        self.codec.encode(&Claims::new(TokenKind::Temporary, user, challenge, self.rng.uuid_v4(), now, expires))
    }
}
