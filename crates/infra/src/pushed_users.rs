//! User rows a node has read, kept in memory and told of every change as it
//! commits, so that a request carrying an access token (`GET /users/me`, an
//! admin's own-row check) costs no database round trip for the user either.
//!
//! The rows live under the same proof as the sessions' memory
//! (`revocation.rs`): a `users` trigger (migration `m20261201_000015`)
//! announces every change or deletion of a row as `user:<id>` on the
//! channel the revocation listener hears, in commit order with the pings,
//! and the memory answers only while [`Revocations::trusted`] says every
//! change committed up to a recent moment has been heard. Losing the
//! listener forgets every row.
//!
//! A read races a change the same way a session check races a revocation,
//! and the same rule closes it: every change heard (or made by this node)
//! moves the generation, and a read that began under an older generation
//! stores nothing.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ports::UserRepo;
use domain::user::{LoginName, NewUser, ProfilePatch, StoredUser, User, UserId, UserQuery};

use crate::revocation::Revocations;
use crate::user_memory::UserLookup;
use crate::users::SqlUserRepo;

/// `UserRepo` whose `by_id` answers from the node's memory while it is
/// trusted, and whose writes forget the row as soon as they return, so the
/// writing node reads its own change at once and the others within a
/// notification's trip. Rows with their password hash (`by_id`,
/// `by_login`: password checks) always read the database; the memory holds
/// no hash.
pub struct PushedUsers {
    db: SqlUserRepo,
    memory: Arc<Revocations>,
}

impl PushedUsers {
    pub fn new(db: SqlUserRepo, memory: Arc<Revocations>) -> Self {
        Self { db, memory }
    }

    fn changed<T>(&self, id: UserId, done: Result<T>) -> Result<T> {
        // Also after an error: the write may have committed before it failed.
        self.memory.users().changed(id);
        done
    }
}

#[async_trait]
impl UserRepo for PushedUsers {
    async fn insert(&self, user: &NewUser) -> Result<User> {
        self.db.insert(user).await
    }

    async fn by_id(&self, id: UserId) -> Result<Option<StoredUser>> {
        self.db.by_id(id).await
    }

    async fn user(&self, id: UserId) -> Result<Option<User>> {
        if !self.memory.trusted() {
            return self.db.user(id).await;
        }
        let generation = match self.memory.users().lookup(id) {
            UserLookup::Known(user) => return Ok(Some(user)),
            UserLookup::Unknown { generation } => generation,
        };
        let found = self.db.user(id).await?;
        if let Some(user) = &found {
            self.memory.users().remember(user, generation);
        }
        Ok(found)
    }

    async fn by_login(&self, login: &LoginName) -> Result<Option<StoredUser>> {
        self.db.by_login(login).await
    }

    async fn update_profile(&self, id: UserId, patch: &ProfilePatch, now: DateTime<Utc>) -> Result<Option<User>> {
        let done = self.db.update_profile(id, patch, now).await;
        self.changed(id, done)
    }

    async fn list(&self, query: &UserQuery) -> Result<Vec<User>> {
        self.db.list(query).await
    }

    async fn any_active_admin(&self) -> Result<bool> {
        self.db.any_active_admin().await
    }

    async fn confirm_phone(&self, id: UserId, phone: &str, now: DateTime<Utc>) -> Result<bool> {
        let done = self.db.confirm_phone(id, phone, now).await;
        self.changed(id, done)
    }
    async fn confirm_email(&self, id: UserId, email: &str, now: DateTime<Utc>) -> Result<bool> {
        // The user who held the address before changes too: every node,
        // this one included, hears that row's notification like any change.
        let done = self.db.confirm_email(id, email, now).await;
        self.changed(id, done)
    }

    async fn set_password_hash(&self, id: UserId, hash: &str, now: DateTime<Utc>) -> Result<bool> {
        let done = self.db.set_password_hash(id, hash, now).await;
        self.changed(id, done)
    }

    async fn delete(&self, id: UserId) -> Result<bool> {
        let done = self.db.delete(id).await;
        self.changed(id, done)
    }
}
