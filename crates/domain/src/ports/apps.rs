//! Where applications of the verification API and their keys are kept.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::app::{App, AppId, AppKey, AppPatch};
use crate::error::Result;

/// Registered applications and their API keys (as keyed hashes).
#[async_trait]
pub trait AppRepo: Send + Sync {
    /// Stores a new application with its first key, in one transaction.
    async fn create(&self, app: &App, key: &AppKey) -> Result<()>;
    async fn get(&self, id: AppId) -> Result<Option<App>>;
    /// A keyset page of applications in id (registration) order.
    async fn list(&self, after: Option<AppId>, limit: u32) -> Result<Vec<App>>;
    /// Applies the set settings of `patch` to the row as it is, in one
    /// UPDATE (`SET name = COALESCE($2, name), …`), so concurrent changes of
    /// different settings on any node all take effect; the app as written,
    /// or `None` when it no longer exists.
    async fn update(&self, id: AppId, patch: &AppPatch, now: DateTime<Utc>) -> Result<Option<App>>;
    /// Deletes the application and, by the foreign key's `ON DELETE
    /// CASCADE`, its keys. Whether it existed.
    async fn delete(&self, id: AppId) -> Result<bool>;
    /// Stores `key` for its application and, in the same transaction, ends
    /// every other key of it at `others_until` unless it ends sooner.
    /// `false`, and nothing stored, when the application no longer exists.
    async fn add_key(&self, key: &AppKey, others_until: DateTime<Utc>) -> Result<bool>;
    /// The application holding the key with this hash, if the key is
    /// unexpired at `now` and the application active: one statement, both
    /// conditions in its WHERE.
    async fn by_key(&self, hash: &[u8], now: DateTime<Utc>) -> Result<Option<App>>;
    /// The application's keys, newest first, expired ones included.
    async fn keys(&self, id: AppId) -> Result<Vec<AppKey>>;
}
