//! Where OpenID Connect clients and their secrets are kept.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::Result;
use crate::oidc::{Client, ClientId, ClientPatch, StoredSecret};

/// Registered clients and their secrets' keyed hashes.
#[async_trait]
pub trait ClientRepo: Send + Sync {
    /// Stores a new client with its first secret (a confidential one's),
    /// in one transaction.
    async fn create(&self, client: &Client, secret: Option<&StoredSecret>) -> Result<()>;
    async fn get(&self, id: ClientId) -> Result<Option<Client>>;
    /// A keyset page of clients in id (registration) order.
    async fn list(&self, after: Option<ClientId>, limit: u32) -> Result<Vec<Client>>;
    /// Applies the set settings of `patch` to the row as it is, in one
    /// UPDATE (`SET name = COALESCE($2, name), …`), so concurrent changes of
    /// different settings on any node all take effect; the client as
    /// written, or `None` when it no longer exists.
    async fn update(&self, id: ClientId, patch: &ClientPatch, now: DateTime<Utc>) -> Result<Option<Client>>;
    /// Deletes the client and, by the foreign key's `ON DELETE CASCADE`,
    /// its secrets. Whether it existed.
    async fn delete(&self, id: ClientId) -> Result<bool>;
    /// Stores `secret` for its client and, in the same transaction, ends
    /// every other secret of it at `others_until` unless it ends sooner.
    /// `false`, and nothing stored, when the client no longer exists.
    async fn add_secret(&self, secret: &StoredSecret, others_until: DateTime<Utc>) -> Result<bool>;
    /// The client with its secrets, newest first, expired ones included, in
    /// one statement (what a client proving itself reads on every token
    /// request); `None` when there is no such client.
    async fn with_secrets(&self, id: ClientId) -> Result<Option<(Client, Vec<StoredSecret>)>>;
    /// The client's credentials grant (`client_credentials`): the one it
    /// has, or `fresh` when it has none, in one statement (`UPDATE … SET
    /// credentials_grant = COALESCE(credentials_grant, $2) … RETURNING`), so
    /// concurrent first grants on any node agree; `None` when the client no
    /// longer exists.
    async fn open_credentials_grant(&self, id: ClientId, fresh: Uuid) -> Result<Option<Uuid>>;
    /// The client's credentials grant, if it has one (and exists).
    async fn credentials_grant(&self, id: ClientId) -> Result<Option<Uuid>>;
    /// Ends the client's credentials grant: every token issued on it is
    /// refused from now on, and the next grant opens a new one.
    async fn end_credentials_grant(&self, id: ClientId) -> Result<()>;
}
