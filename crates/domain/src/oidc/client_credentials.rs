//! `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client
//! gets an access token for itself, with no user behind it
//! ([`TokenKind::Client`]). Its tokens name the client's credentials grant
//! (`sid`), one per client, which the first such token opens and a
//! revocation ends; a token is live while its client exists and still has
//! that grant. No refresh token (RFC 6749 §4.4.3) and no user scope: every
//! scope authd knows speaks of a user, so a `scope` naming one is refused.

use super::client::{Client, ClientKind, Scope};
use super::token_grants::{GrantRefusal, Granted, TokenAnswer, TokenGrants};
use crate::audit::EventKind;
use crate::error::Result;
use crate::subject::Subject;
use crate::token::Claims;

impl TokenGrants {
    /// Issues `client` an access token for itself; `scope` is the request's.
    #[tracing::instrument(skip_all, fields(client_id = %client.id))]
    pub async fn client_credentials(&self, client: &Client, scope: Option<&str>) -> Result<Granted> {
        if client.kind != ClientKind::Confidential {
            return Ok(Err(GrantRefusal::UnauthorizedClient("client_credentials is for confidential clients")));
        }
        if let Some(word) = scope.unwrap_or("").split(' ').find(|w| !w.is_empty()) {
            return Ok(Err(match Scope::parse(word) {
                Some(_) => GrantRefusal::InvalidScope("a client_credentials token has no user: no user scope applies"),
                None => GrantRefusal::InvalidScope("the scope is unknown"),
            }));
        }
        let tokens = &self.sessions.tokens;
        let now = self.clock.now();
        let Some(grant) = self.clients.open_credentials_grant(client.id, tokens.rng.uuid_v4()).await? else {
            return Ok(Err(GrantRefusal::InvalidGrant("the client no longer exists")));
        };
        let access_token = tokens.client(client.id, grant, now)?;
        let detail = [("grant_type", "client_credentials".to_owned().into()), ("grant", grant.to_string().into())];
        self.audit.record_about(Subject::Client(client.id), None, EventKind::OidcTokensIssued, &detail).await?;
        Ok(Ok(TokenAnswer {
            access_token,
            expires_in: tokens.access_ttl.as_secs(),
            id_token: None,
            refresh_token: None,
            scope: String::new(),
        }))
    }

    /// Whether the client-credentials token `claims` is live: its client
    /// exists and still has the grant it names.
    pub(crate) async fn client_token_live(&self, claims: &Claims) -> Result<bool> {
        let Some(grant) = &claims.client else { return Ok(false) };
        Ok(self.clients.credentials_grant(grant.client_id).await? == Some(claims.sid))
    }
}
