//! The user rows one node has read, as [`PushedUsers`](crate::pushed_users::PushedUsers)
//! keeps them: answered until a change of the row is heard, and a read
//! that began before any change was heard stores nothing (the generation).
//! [`Revocations`](crate::revocation::Revocations) owns it, trusts it as it
//! trusts the sessions, and forgets it with them.
//!
//! A row is kept packed (postcard, one allocation per row, no
//! password hash: checks of a password read the database) in a
//! [`BoundedMap`] that forgets the least recently used half when full
//! (`AUTHD_MEMORY_USERS`).

use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use domain::user::{User, UserId};
use serde::{Deserialize, Serialize};

use crate::bounded_map::BoundedMap;

struct Rows {
    generation: u64,
    users: BoundedMap<UserId, Box<[u8]>>,
}

impl Rows {
    /// Forgets every row; reads in flight store nothing.
    fn wipe(&mut self) {
        self.users.clear();
        self.generation += 1;
    }
}

/// A [`User`] as kept: every field, the id as the map's key.
#[derive(Serialize, Deserialize)]
struct Packed<'a> {
    email: &'a str,
    verified_email: Option<&'a str>,
    username: &'a str,
    name: &'a str,
    lastname: &'a str,
    flags: u8,
    phone: Option<&'a str>,
    phone_verified_at: Option<(i64, u32)>,
    created_at: (i64, u32),
    modified_at: (i64, u32),
}

const ADMIN: u8 = 1;
const TWO_FACTOR: u8 = 2;
const ACTIVE: u8 = 4;

fn instant(at: DateTime<Utc>) -> (i64, u32) {
    (at.timestamp(), at.timestamp_subsec_nanos())
}

fn at((secs, nanos): (i64, u32)) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(secs, nanos)
}

fn pack(u: &User) -> Option<Box<[u8]>> {
    let flags = u8::from(u.is_admin) * ADMIN + u8::from(u.is_2fa) * TWO_FACTOR + u8::from(u.is_active) * ACTIVE;
    let packed = Packed {
        email: &u.email,
        verified_email: u.verified_email.as_deref(),
        username: &u.username,
        name: &u.name,
        lastname: &u.lastname,
        flags,
        phone: u.phone.as_deref(),
        phone_verified_at: u.phone_verified_at.map(instant),
        created_at: instant(u.created_at),
        modified_at: instant(u.modified_at),
    };
    postcard::to_allocvec(&packed).ok().map(Vec::into_boxed_slice)
}

fn unpack(id: UserId, bytes: &[u8]) -> Option<User> {
    let p: Packed<'_> = postcard::from_bytes(bytes).ok()?;
    Some(User {
        id,
        email: p.email.to_owned(),
        verified_email: p.verified_email.map(str::to_owned),
        username: p.username.to_owned(),
        name: p.name.to_owned(),
        lastname: p.lastname.to_owned(),
        is_admin: p.flags & ADMIN != 0,
        is_2fa: p.flags & TWO_FACTOR != 0,
        is_active: p.flags & ACTIVE != 0,
        phone: p.phone.map(str::to_owned),
        phone_verified_at: match p.phone_verified_at {
            Some(t) => Some(at(t)?),
            None => None,
        },
        created_at: at(p.created_at)?,
        modified_at: at(p.modified_at)?,
    })
}

/// What the memory says about one user. Returned by value and matched at
/// once: boxing the row would add an allocation to every lookup.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum UserLookup {
    Known(User),
    /// Not known: read the database and remember the row under this generation.
    Unknown {
        generation: u64,
    },
}

/// The user rows of one node.
pub struct KnownUsers {
    rows: Mutex<Rows>,
}

impl KnownUsers {
    /// At most `bound` rows (`AUTHD_MEMORY_USERS`).
    pub fn new(bound: usize) -> Self {
        Self { rows: Mutex::new(Rows { generation: 0, users: BoundedMap::new(bound) }) }
    }

    fn lock(&self) -> MutexGuard<'_, Rows> {
        // Every update leaves the map whole: a panic elsewhere cannot break it.
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn lookup(&self, id: UserId) -> UserLookup {
        let mut rows = self.lock();
        let generation = rows.generation;
        match rows.users.get(&id, |bytes| unpack(id, bytes)).flatten() {
            Some(user) => UserLookup::Known(user),
            None => UserLookup::Unknown { generation },
        }
    }

    /// Remembers a row read from the database by a lookup made under
    /// `generation`, unless a change was heard (or the memory wiped) since.
    /// Forgetting the least recently used half when full needs no new
    /// generation: a forgotten row is read again, never answered stale.
    pub fn remember(&self, user: &User, generation: u64) {
        let mut rows = self.lock();
        if rows.generation != generation {
            return;
        }
        if let Some(packed) = pack(user) {
            let _ = rows.users.insert(user.id, packed);
        }
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

    use super::*;

    fn row(name: &str) -> User {
        let now = Utc::now();
        User {
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
        let memory = KnownUsers::new(10);
        let ada = row("ada");
        let g = generation(&memory, ada.id);
        memory.remember(&ada, g);
        assert!(matches!(memory.lookup(ada.id), UserLookup::Known(u) if u == ada));
        memory.changed(ada.id);
        assert!(matches!(memory.lookup(ada.id), UserLookup::Unknown { .. }));
    }

    #[test]
    fn a_packed_row_reads_back_every_field_exactly() {
        let memory = KnownUsers::new(10);
        let mut ada = row("ada");
        ada.verified_email = Some("old@example.com".into());
        ada.phone = Some("+447700900123".into());
        ada.phone_verified_at = Some(Utc::now() - chrono::Duration::nanoseconds(1_234_567_891));
        ada.created_at = DateTime::from_timestamp(1_600_000_000, 999_999_999).unwrap();
        (ada.is_admin, ada.is_2fa, ada.is_active) = (true, true, false);
        let g = generation(&memory, ada.id);
        memory.remember(&ada, g);
        assert!(matches!(memory.lookup(ada.id), UserLookup::Known(u) if u == ada));
        for flags in [(true, false, false), (false, true, false), (false, false, true)] {
            let mut u = row("flags");
            (u.is_admin, u.is_2fa, u.is_active) = flags;
            memory.remember(&u, generation(&memory, u.id));
            assert!(matches!(memory.lookup(u.id), UserLookup::Known(back) if back == u), "{flags:?}");
        }
    }

    #[test]
    fn a_read_that_began_before_a_change_was_heard_stores_nothing() {
        let memory = KnownUsers::new(10);
        let (ada, bob) = (row("ada"), row("bob"));
        let g = generation(&memory, ada.id);
        memory.changed(bob.id); // heard while the read was in flight
        memory.remember(&ada, g);
        assert!(matches!(memory.lookup(ada.id), UserLookup::Unknown { .. }));

        let g = generation(&memory, ada.id);
        memory.clear(); // the listener was lost meanwhile
        memory.remember(&ada, g);
        assert!(matches!(memory.lookup(ada.id), UserLookup::Unknown { .. }));
    }

    #[test]
    fn a_full_user_memory_forgets_the_least_recently_used_rows_not_all() {
        let memory = KnownUsers::new(4);
        let rows: Vec<User> = (0..6).map(|i| row(&format!("u{i}"))).collect();
        let g = generation(&memory, rows[0].id);
        for (i, u) in rows.iter().enumerate() {
            memory.remember(u, g);
            // rows[0] is used all along
            assert!(matches!(memory.lookup(rows[0].id), UserLookup::Known(_)), "after {i}");
            assert!(memory.len() <= 4);
        }
        assert!(matches!(memory.lookup(rows[1].id), UserLookup::Unknown { .. }), "unused: forgotten");
        assert!(matches!(memory.lookup(rows[5].id), UserLookup::Known(_)), "the newest kept");
    }
}
