//! Where the OpenID Connect flows keep their state between requests: the
//! authorization requests waiting for a login or a consent, the consents
//! given, and the codes issued.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::Result;
use crate::oidc::code::{CodeGrant, Redemption};
use crate::oidc::id_token::{IdTokenClaims, IdTokenHint};
use crate::oidc::{AuthorizeRequest, ClientId, Consent, IdTokenAlg, Scope};
use crate::user::UserId;

/// The state of authorization flows. Deleting a client deletes its
/// requests, consents and codes (`ON DELETE CASCADE`); deleting a user, its
/// consents and codes.
#[async_trait]
pub trait AuthorizationRepo: Send + Sync {
    /// Keeps a checked request under `id` until `expires_at`.
    async fn save_request(&self, id: Uuid, request: &AuthorizeRequest, expires_at: DateTime<Utc>) -> Result<()>;
    /// The request kept under `id`, unless it expired by `now`.
    async fn request(&self, id: Uuid, now: DateTime<Utc>) -> Result<Option<AuthorizeRequest>>;
    /// Forgets the request (answered). Whether it was there.
    async fn drop_request(&self, id: Uuid) -> Result<bool>;
    /// The user's consent to the client, if any.
    async fn consent(&self, user: UserId, client: ClientId) -> Result<Option<Consent>>;
    /// Records the user's consent to the client for `scopes` at `now`,
    /// replacing the one before (`INSERT … ON CONFLICT DO UPDATE`).
    async fn grant_consent(&self, user: UserId, client: ClientId, scopes: &[Scope], now: DateTime<Utc>) -> Result<()>;
    /// Stores an issued code.
    async fn insert_code(&self, code: &CodeGrant) -> Result<()>;
    /// Marks the code with this hash used at `now` if it is live and
    /// unused, with `session` as the session its redemption opens (what a
    /// replay revokes), in one conditional statement (`UPDATE … SET used_at
    /// = $now, issued_session = $session WHERE code_hash = $1 AND used_at IS
    /// NULL AND expires_at > $now RETURNING …`): of any number of concurrent
    /// redemptions, one wins.
    async fn redeem_code(&self, hash: &[u8], now: DateTime<Utc>, session: Uuid) -> Result<Redemption>;
}

/// Signs ID tokens with the keys the JWKS publishes (RS256 or EdDSA, the
/// client's choice; `iss` is the provider's issuer) and reads an
/// `id_token_hint` back.
#[async_trait]
pub trait IdTokenSigner: Send + Sync {
    async fn sign(&self, alg: IdTokenAlg, claims: &IdTokenClaims) -> Result<String>;
    /// The hint's claims if it is an ID token this provider signed (its
    /// signature and issuer checked, its lifetime not); else `TokenInvalid`.
    fn read_hint(&self, token: &str) -> Result<IdTokenHint>;
}
