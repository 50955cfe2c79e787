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

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ports::UserRepo;
use domain::user::{LoginName, NewUser, ProfilePatch, StoredUser, User, UserId, UserQuery};

use crate::revocation::Revocations;
use crate::users::SeaUserRepo;

/// Rows remembered before the memory starts over: about 20 MiB at most.
const MAX_USERS: usize = 50_000;

struct Rows {
    generation: u64,
    users: HashMap<UserId, StoredUser>,
}

/// What the memory says about one user.
#[derive(Debug, Clone)]
pub enum UserLookup {
    Known(StoredUser),
    /// Not known: read the database and remember the row under this generation.
    Unknown {
        generation: u64,
    },
}

/// The user rows of one node; [`Revocations`] owns it and forgets it with the sessions.
pub struct KnownUsers {
    rows: Mutex<Rows>,
}

impl Default for KnownUsers {
    fn default() -> Self {
        Self { rows: Mutex::new(Rows { generation: 0, users: HashMap::new() }) }
    }
}

impl KnownUsers {
    fn lock(&self) -> MutexGuard<'_, Rows> {
        // Every update leaves the map whole: a panic elsewhere cannot break it.
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn lookup(&self, id: UserId) -> UserLookup {
        let rows = self.lock();
        match rows.users.get(&id) {
            Some(user) => UserLookup::Known(user.clone()),
            None => UserLookup::Unknown { generation: rows.generation },
        }
    }

    /// Remembers a row read from the database by a lookup made under
    /// `generation`, unless a change was heard (or the memory wiped) since.
    pub fn remember(&self, user: &StoredUser, generation: u64) {
        let mut rows = self.lock();
        if rows.generation != generation {
            return;
        }
        if rows.users.len() >= MAX_USERS {
            rows.users.clear();
            rows.generation += 1;
            return;
        }
        rows.users.insert(user.user.id, user.clone());
    }

    /// The user's row changed or was deleted (heard, or written by this node).
    pub fn changed(&self, id: UserId) {
        let mut rows = self.lock();
        rows.users.remove(&id);
        rows.generation += 1;
    }

    /// Forgets every row; reads in flight store nothing.
    pub fn clear(&self) {
        let mut rows = self.lock();
        rows.users.clear();
        rows.generation += 1;
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().users.len()
    }
}

/// `UserRepo` whose `by_id` answers from the node's memory while it is
/// trusted, and whose writes forget the row as soon as they return, so the
/// writing node reads its own change at once and the others within a
/// notification's trip. Lookups by login name (password checks) always read
/// the database.
pub struct PushedUsers {
    db: SeaUserRepo,
    memory: Arc<Revocations>,
}

impl PushedUsers {
    pub fn new(db: SeaUserRepo, memory: Arc<Revocations>) -> Self {
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
        if !self.memory.trusted() {
            return self.db.by_id(id).await;
        }
        let generation = match self.memory.users().lookup(id) {
            UserLookup::Known(user) => return Ok(Some(user)),
            UserLookup::Unknown { generation } => generation,
        };
        let found = self.db.by_id(id).await?;
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

    async fn set_password_hash(&self, id: UserId, hash: &str, now: DateTime<Utc>) -> Result<bool> {
        let done = self.db.set_password_hash(id, hash, now).await;
        self.changed(id, done)
    }

    async fn delete(&self, id: UserId) -> Result<bool> {
        let done = self.db.delete(id).await;
        self.changed(id, done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> StoredUser {
        let now = Utc::now();
        StoredUser {
            user: User {
                id: UserId(uuid::Uuid::new_v4()),
                email: format!("{name}@example.com"),
                username: name.to_owned(),
                name: "Ada".into(),
                lastname: "Lovelace".into(),
                is_admin: false,
                is_2fa: false,
                is_active: true,
                phone: None,
                phone_verified_at: None,
                created_at: now,
                modified_at: now,
            },
            password_hash: "$argon2id$fake".into(),
        }
    }

    fn generation(memory: &KnownUsers, id: UserId) -> u64 {
        match memory.lookup(id) {
            UserLookup::Unknown { generation } => generation,
            UserLookup::Known(u) => panic!("expected unknown, got {u:?}"),
        }
    }

    #[test]
    fn a_remembered_row_is_answered_until_its_change_is_heard() {
        let memory = KnownUsers::default();
        let ada = row("ada");
        let g = generation(&memory, ada.user.id);
        memory.remember(&ada, g);
        assert!(matches!(memory.lookup(ada.user.id), UserLookup::Known(u) if u.user == ada.user));
        memory.changed(ada.user.id);
        assert!(matches!(memory.lookup(ada.user.id), UserLookup::Unknown { .. }));
    }

    #[test]
    fn a_read_that_began_before_a_change_was_heard_stores_nothing() {
        let memory = KnownUsers::default();
        let (ada, bob) = (row("ada"), row("bob"));
        let g = generation(&memory, ada.user.id);
        memory.changed(bob.user.id); // heard while the read was in flight
        memory.remember(&ada, g);
        assert!(matches!(memory.lookup(ada.user.id), UserLookup::Unknown { .. }));

        let g = generation(&memory, ada.user.id);
        memory.clear(); // the listener was lost meanwhile
        memory.remember(&ada, g);
        assert!(matches!(memory.lookup(ada.user.id), UserLookup::Unknown { .. }));
    }

    #[test]
    fn the_user_memory_starts_over_when_full_and_the_reads_in_flight_store_nothing() {
        let memory = KnownUsers::default();
        let g = generation(&memory, row("x").user.id);
        for _ in 0..MAX_USERS {
            memory.remember(&row("x"), g);
        }
        assert_eq!(memory.len(), MAX_USERS);
        memory.remember(&row("y"), g);
        assert_eq!(memory.len(), 0, "started over");
        memory.remember(&row("z"), g);
        assert_eq!(memory.len(), 0, "the old generation stores nothing");
    }
}
