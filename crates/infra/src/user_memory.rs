//! The user rows one node has read, as [`PushedUsers`](crate::pushed_users::PushedUsers)
//! keeps them: answered until a change of the row is heard, and a read
//! that began before any change was heard stores nothing (the generation).
//! [`Revocations`](crate::revocation::Revocations) owns it, trusts it as it
//! trusts the sessions, and forgets it with them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use domain::user::{StoredUser, UserId};

/// Rows remembered before the memory starts over: about 20 MiB at most.
const MAX_USERS: usize = 50_000;

#[derive(Default)]
struct Rows {
    generation: u64,
    users: HashMap<UserId, StoredUser>,
}

impl Rows {
    /// Forgets every row; reads in flight store nothing.
    fn wipe(&mut self) {
        self.users.clear();
        self.generation += 1;
    }
}

/// What the memory says about one user. Returned by value and matched at
/// once: boxing the row would add an allocation to every lookup.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum UserLookup {
    Known(StoredUser),
    /// Not known: read the database and remember the row under this generation.
    Unknown {
        generation: u64,
    },
}

/// The user rows of one node.
#[derive(Default)]
pub struct KnownUsers {
    rows: Mutex<Rows>,
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
            rows.wipe();
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
        self.lock().wipe();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().users.len()
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use domain::user::User;

    use super::*;

    fn row(name: &str) -> StoredUser {
        let now = Utc::now();
        StoredUser {
            user: User {
                id: UserId(uuid::Uuid::new_v4()),
                email: format!("{name}@example.com"),
                verified_email: None,
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
