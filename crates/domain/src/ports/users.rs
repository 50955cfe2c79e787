//! The users' rows.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::user::{LoginName, NewUser, ProfilePatch, StoredUser, User, UserId, UserQuery};

#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Inserts a user; `EmailTaken`/`UsernameTaken` when a unique index refuses it.
    async fn insert(&self, user: &NewUser) -> Result<User>;
    /// The row with its password hash (for a password check: always read).
    async fn by_id(&self, id: UserId) -> Result<Option<StoredUser>>;
    /// The row without its password hash: what every other reader needs,
    /// and what a node may answer from its memory (`infra::pushed_users`).
    async fn user(&self, id: UserId) -> Result<Option<User>> {
        Ok(self.by_id(id).await?.map(|stored| stored.user))
    }
    async fn by_login(&self, login: &LoginName) -> Result<Option<StoredUser>>;
    /// Applies the set fields; `None` when the user no longer exists.
    /// `LastAdmin` when the patch would leave no active administrator: the
    /// check and the write are one atomic step across all nodes.
    async fn update_profile(&self, id: UserId, patch: &ProfilePatch, now: DateTime<Utc>) -> Result<Option<User>>;
    /// A keyset page of users in id order.
    async fn list(&self, query: &UserQuery) -> Result<Vec<User>>;
    /// Whether any active administrator exists.
    async fn any_active_admin(&self) -> Result<bool>;
    /// Marks the phone verified if it is still `phone`: a number changed
    /// since its code was sent is never marked. `false` otherwise.
    async fn confirm_phone(&self, id: UserId, phone: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Marks `email` the user's proved address if it is still their email:
    /// an address changed since its link was mailed is never marked. Any
    /// other user who had proved the same address before loses it (they
    /// moved to another). `false` when the email changed or the user is gone.
    async fn confirm_email(&self, id: UserId, email: &str, now: DateTime<Utc>) -> Result<bool>;
    /// `false` when the user no longer exists.
    async fn set_password_hash(&self, id: UserId, hash: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Deletes the user and, through foreign keys, their sessions and
    /// challenges. `LastAdmin` (and nothing deleted) when they are the last
    /// active administrator.
    async fn delete(&self, id: UserId) -> Result<bool>;
}
