//! What a node knows about the sessions it has checked (and, in
//! [`KnownUsers`], the user rows it has read), kept in memory and
//! told of every revocation as it commits (`revocation_listener.rs` hears
//! them from PostgreSQL), so that checking an access token costs no
//! database round trip and a revocation still takes effect on every node.
//!
//! The memory is trusted only while the listener proves, by a ping it
//! receives back, that it has heard every revocation committed up to a
//! moment less than `trust_for` ago. Otherwise — the listener disconnected,
//! reconnecting, or silent — every check goes to the database, so a lost
//! notification can never keep a revoked session alive.
//!
//! Races between a check's database read and a revocation are closed by two
//! rules: an ended session is remembered as ended (a read that saw it live
//! cannot overwrite that), and anything that forgets in bulk (a
//! `revoke_all`, a lost connection, the bound forgetting the least recently
//! used half, [`BoundedMap`]) moves the epoch, so a read that started before
//! it stores nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::assurance::Assurance;
use domain::ports::SessionRepo;
use domain::session::Session;
use domain::user::UserId;
use uuid::Uuid;

use crate::bounded_map::{BoundedMap, Turned};
use crate::sessions::SqlSessionRepo;
use crate::user_memory::KnownUsers;

/// How many sessions and user rows one node remembers at most
/// (`AUTHD_MEMORY_SESSIONS`, `AUTHD_MEMORY_USERS`): the least recently used
/// half is forgotten when full, and half the bound is never forgotten while
/// in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub sessions: usize,
    pub users: usize,
}

impl Default for Bounds {
    /// As `AUTHD_MEMORY_SESSIONS` and `AUTHD_MEMORY_USERS` default (the
    /// settings in `api::config`): 300k sessions and users in active use
    /// are kept.
    fn default() -> Self {
        Self { sessions: 600_000, users: 600_000 }
    }
}

/// One session: live for `user` until `until_ms` (Unix milliseconds,
/// rounded down), or ended ([`Entry::ENDED`]). 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    user: UserId,
    until_ms: i64,
}

impl Entry {
    const ENDED: Entry = Entry { user: UserId(Uuid::nil()), until_ms: i64::MIN };

    fn live(user: UserId, until: DateTime<Utc>) -> Self {
        // Rounded down: the memory never answers live past the database's `until`.
        Self { user, until_ms: until.timestamp_millis().max(i64::MIN + 1) }
    }

    fn ended(&self) -> bool {
        self.until_ms == i64::MIN
    }
}

struct Known {
    epoch: u64,
    sessions: BoundedMap<Uuid, Entry>,
}

impl Known {
    /// Remembers `entry`; when that forgot the least recently used half
    /// (ended sessions among them), a check in flight stores nothing.
    fn put(&mut self, id: Uuid, entry: Entry) {
        if self.sessions.insert(id, entry) == Turned::Yes {
            self.epoch += 1;
        }
    }
}

/// What the memory says about one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Live,
    Ended,
    /// Not known: ask the database, and remember a live answer under this
    /// epoch.
    Unknown {
        epoch: u64,
    },
    /// The memory is not trusted now: ask the database and remember nothing.
    Untrusted,
}

/// The shared memory of one node.
pub struct Revocations {
    known: Mutex<Known>,
    users: KnownUsers,
    origin: Instant,
    /// 1 + the millisecond (since `origin`) at which the newest ping that
    /// came back was sent; 0 while not listening.
    heard_up_to: AtomicU64,
    trust_for: Duration,
}

impl Revocations {
    /// A memory trusted for `trust_for` after each confirmed ping; it starts
    /// untrusted until the listener's first ping comes back.
    pub fn new(trust_for: Duration, bounds: Bounds) -> Arc<Self> {
        Arc::new(Self {
            known: Mutex::new(Known { epoch: 0, sessions: BoundedMap::new(bounds.sessions) }),
            users: KnownUsers::new(bounds.users),
            origin: Instant::now(),
            heard_up_to: AtomicU64::new(0),
            trust_for,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Known> {
        // Every update leaves the map whole: a panic elsewhere cannot break it.
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn millis(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_millis()).unwrap_or(u64::MAX - 1)
    }

    /// The user rows remembered under the same trust.
    pub fn users(&self) -> &KnownUsers {
        &self.users
    }

    /// Whether every revocation committed before `trust_for` ago has been heard.
    pub fn trusted(&self) -> bool {
        let heard = self.heard_up_to.load(Ordering::Acquire);
        heard != 0 && self.millis(Instant::now()) < (heard - 1).saturating_add(self.trust_for.as_millis() as u64)
    }

    pub fn lookup(&self, id: Uuid, user: UserId, now: DateTime<Utc>) -> Lookup {
        if !self.trusted() {
            return Lookup::Untrusted;
        }
        let mut known = self.lock();
        match known.sessions.get(&id, |entry| *entry) {
            Some(entry) if entry.ended() => Lookup::Ended,
            Some(entry) if entry.user == user && now.timestamp_millis() < entry.until_ms => Lookup::Live,
            _ => Lookup::Unknown { epoch: known.epoch },
        }
    }

    /// Remembers that the session is live until `until`, as read from the
    /// database by a check that looked it up under `epoch`: unless it ended
    /// or the memory was wiped since.
    pub fn remember(&self, id: Uuid, user: UserId, until: DateTime<Utc>, epoch: u64) {
        let mut known = self.lock();
        if known.epoch != epoch || known.sessions.get(&id, |e| e.ended()) == Some(true) {
            return;
        }
        known.put(id, Entry::live(user, until));
    }

    /// The session ended (heard from the database, or revoked by this node).
    pub fn ended(&self, id: Uuid) {
        self.lock().put(id, Entry::ENDED);
    }

    /// Every session of `user` but `keep` ended, by this node: those it
    /// knows are marked ended, and checks in flight store nothing.
    pub fn ended_all_of(&self, user: UserId, keep: Option<Uuid>) {
        let mut known = self.lock();
        for (id, entry) in known.sessions.values_mut() {
            if !entry.ended() && entry.user == user && Some(*id) != keep {
                *entry = Entry::ENDED;
            }
        }
        known.epoch += 1;
    }

    /// The listener heard its own ping, sent at `sent`: every revocation
    /// committed before then has been heard.
    pub fn heard_up_to(&self, sent: Instant) {
        let at = self.millis(sent) + 1;
        self.heard_up_to.fetch_max(at, Ordering::AcqRel);
    }

    /// The listener lost its connection (or is starting over): forget
    /// everything and check the database until it is back and has caught up.
    pub fn forget(&self) {
        self.heard_up_to.store(0, Ordering::Release);
        self.users.clear();
        let mut known = self.lock();
        known.sessions.clear();
        known.epoch += 1;
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().sessions.len()
    }
}

/// `SessionRepo` whose `is_active` answers from [`Revocations`] while it is
/// trusted, and whose revocations update it as soon as they commit, so the
/// revoking node refuses the session from its next request on.
pub struct PushedSessions {
    db: SqlSessionRepo,
    memory: Arc<Revocations>,
}

impl PushedSessions {
    pub fn new(db: SqlSessionRepo, memory: Arc<Revocations>) -> Self {
        Self { db, memory }
    }
}

#[async_trait]
impl SessionRepo for PushedSessions {
    async fn create(&self, session: &Session) -> Result<bool> {
        self.db.create(session).await
    }

    async fn create_from(&self, session: &Session, browser: Uuid, now: DateTime<Utc>) -> Result<bool> {
        self.db.create_from(session, browser, now).await
    }

    async fn get(&self, id: Uuid) -> Result<Option<Session>> {
        self.db.get(id).await
    }

    async fn rotate(
        &self,
        id: Uuid,
        old: Uuid,
        new: Uuid,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<Option<Assurance>> {
        self.db.rotate(id, old, new, now, expires).await
    }

    async fn reassure(
        &self,
        id: Uuid,
        user: UserId,
        assurance: Assurance,
        jti: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>> {
        self.db.reassure(id, user, assurance, jti, now).await
    }

    async fn is_active(&self, id: Uuid, user: UserId, now: DateTime<Utc>) -> Result<bool> {
        match self.memory.lookup(id, user, now) {
            Lookup::Live => Ok(true),
            Lookup::Ended => Ok(false),
            Lookup::Untrusted => self.db.is_active(id, user, now).await,
            Lookup::Unknown { epoch } => {
                let until = self.db.live_until(id, user, now).await?;
                if let Some(until) = until {
                    self.memory.remember(id, user, until, epoch);
                }
                Ok(until.is_some())
            }
        }
    }

    async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        self.db.revoke(id, now).await?;
        self.memory.ended(id);
        Ok(())
    }

    async fn revoke_owned(&self, id: Uuid, user: UserId, now: DateTime<Utc>) -> Result<bool> {
        let done = self.db.revoke_owned(id, user, now).await?;
        if done {
            self.memory.ended(id);
        }
        Ok(done)
    }

    async fn list_live(&self, user: UserId, now: DateTime<Utc>, limit: u32) -> Result<Vec<Session>> {
        self.db.list_live(user, now, limit).await
    }

    async fn revoke_client(&self, client: domain::oidc::ClientId, now: DateTime<Utc>) -> Result<Vec<Uuid>> {
        let ended = self.db.revoke_client(client, now).await?;
        for id in &ended {
            self.memory.ended(*id);
        }
        Ok(ended)
    }

    async fn revoke_all(&self, user: UserId, keep: Option<Uuid>, now: DateTime<Utc>) -> Result<u64> {
        let n = self.db.revoke_all(user, keep, now).await?;
        self.memory.ended_all_of(user, keep);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted() -> Arc<Revocations> {
        let memory = Revocations::new(Duration::from_secs(60), Bounds::default());
        memory.heard_up_to(Instant::now());
        memory
    }

    fn ids() -> (Uuid, UserId, DateTime<Utc>) {
        (Uuid::new_v4(), UserId(Uuid::new_v4()), Utc::now() + chrono::Duration::hours(1))
    }

    fn epoch(memory: &Revocations, id: Uuid, user: UserId) -> u64 {
        match memory.lookup(id, user, Utc::now()) {
            Lookup::Unknown { epoch } => epoch,
            other => panic!("expected unknown, got {other:?}"),
        }
    }

    #[test]
    fn the_memory_is_not_trusted_before_the_listener_has_caught_up_or_after_it_is_lost() {
        let memory = Revocations::new(Duration::from_secs(60), Bounds::default());
        let (id, user, until) = ids();
        assert_eq!(memory.lookup(id, user, Utc::now()), Lookup::Untrusted, "no ping heard yet");
        memory.heard_up_to(Instant::now());
        let e = epoch(&memory, id, user);
        memory.remember(id, user, until, e);
        assert_eq!(memory.lookup(id, user, Utc::now()), Lookup::Live);
        memory.forget();
        assert_eq!(memory.lookup(id, user, Utc::now()), Lookup::Untrusted, "connection lost");
        memory.heard_up_to(Instant::now());
        assert!(matches!(memory.lookup(id, user, Utc::now()), Lookup::Unknown { .. }), "forgotten, not live");
    }

    #[test]
    fn the_memory_stops_being_trusted_when_no_ping_comes_back_in_time() {
        let memory = Revocations::new(Duration::from_millis(30), Bounds::default());
        let (id, user, until) = ids();
        memory.heard_up_to(Instant::now());
        let e = epoch(&memory, id, user);
        memory.remember(id, user, until, e);
        assert_eq!(memory.lookup(id, user, Utc::now()), Lookup::Live);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(memory.lookup(id, user, Utc::now()), Lookup::Untrusted, "the listener went silent");
        memory.heard_up_to(Instant::now());
        assert_eq!(memory.lookup(id, user, Utc::now()), Lookup::Live, "an unbroken connection lost nothing");
    }

    #[test]
    fn a_check_that_read_a_session_live_cannot_undo_a_revocation_heard_meanwhile() {
        let memory = trusted();
        let (id, user, until) = ids();
        let e = epoch(&memory, id, user);
        memory.ended(id); // heard while the check's read was in flight
        memory.remember(id, user, until, e);
        assert_eq!(memory.lookup(id, user, Utc::now()), Lookup::Ended);
    }

    #[test]
    fn a_check_in_flight_during_a_revoke_all_or_a_lost_connection_stores_nothing() {
        let memory = trusted();
        let (id, user, until) = ids();
        let e = epoch(&memory, id, user);
        memory.ended_all_of(user, None);
        memory.remember(id, user, until, e);
        assert!(matches!(memory.lookup(id, user, Utc::now()), Lookup::Unknown { .. }));

        let e = epoch(&memory, id, user);
        memory.forget();
        memory.heard_up_to(Instant::now());
        memory.remember(id, user, until, e);
        assert!(matches!(memory.lookup(id, user, Utc::now()), Lookup::Unknown { .. }));
    }

    #[test]
    fn revoke_all_ends_every_known_session_of_the_user_but_the_kept_one() {
        let memory = trusted();
        let (a, user, until) = ids();
        let (b, c, other) = (Uuid::new_v4(), Uuid::new_v4(), UserId(Uuid::new_v4()));
        for (id, owner) in [(a, user), (b, user), (c, other)] {
            let e = epoch(&memory, id, owner);
            memory.remember(id, owner, until, e);
        }
        memory.ended_all_of(user, Some(b));
        assert_eq!(memory.lookup(a, user, Utc::now()), Lookup::Ended);
        assert_eq!(memory.lookup(b, user, Utc::now()), Lookup::Live, "kept");
        assert_eq!(memory.lookup(c, other, Utc::now()), Lookup::Live, "another user's");
    }

    #[test]
    fn a_remembered_session_is_live_only_for_its_user_and_until_it_expires() {
        let memory = trusted();
        let (id, user, _) = ids();
        let until = Utc::now() + chrono::Duration::seconds(1);
        let e = epoch(&memory, id, user);
        memory.remember(id, user, until, e);
        assert_eq!(memory.lookup(id, user, Utc::now()), Lookup::Live);
        assert!(matches!(memory.lookup(id, UserId(Uuid::new_v4()), Utc::now()), Lookup::Unknown { .. }));
        assert!(matches!(memory.lookup(id, user, until), Lookup::Unknown { .. }), "expired at `until`");
    }

    #[test]
    fn a_full_memory_forgets_the_least_recently_used_half_and_the_checks_in_flight_store_nothing() {
        let memory = Revocations::new(Duration::from_secs(60), Bounds { sessions: 4, users: 4 });
        memory.heard_up_to(Instant::now());
        let (_, user, until) = ids();
        let sessions: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
        for &id in &sessions[..2] {
            let e = epoch(&memory, id, user);
            memory.remember(id, user, until, e);
        }
        let in_flight = epoch(&memory, sessions[2], user);
        memory.ended(Uuid::new_v4()); // the recent half was full: the first two became the older half
        assert_eq!(memory.lookup(sessions[0], user, Utc::now()), Lookup::Live, "used since: kept");
        memory.ended(Uuid::new_v4()); // forgets the older half: sessions[1] and nothing ended
        assert!(matches!(memory.lookup(sessions[1], user, Utc::now()), Lookup::Unknown { .. }), "forgotten");
        assert_eq!(memory.lookup(sessions[0], user, Utc::now()), Lookup::Live, "still kept");
        assert!(memory.len() <= 4);
        memory.remember(sessions[2], user, until, in_flight);
        assert!(matches!(memory.lookup(sessions[2], user, Utc::now()), Lookup::Unknown { .. }), "stored nothing");
    }
}
