//! The in-memory database. The repositories are one [`MemDb`] behind one lock,
//! so cross-table rules (cascades, "only for an active user") hold as they
//! do in SQL; the contract suites in [`super::contract`] run against it and
//! against the SQL adapters alike, so the two cannot drift apart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::app::{App, AppId, AppKey, AppPatch};
use crate::audit::AuditEvent;
use crate::clock::span;
use crate::error::{Error, Result};
use crate::notify::delivery::{CANCELED, SUPERSEDED};
use crate::notify::{Delivery, DeliveryStatus, Settlement};
use crate::otp::{Capped, Finished, FinishedLogin, Method, OtpChallenge, Purpose};
use crate::ports::*;
use crate::session::Session;
use crate::subject::Subject;
use crate::throttle::Window;
use crate::totp::TotpCredential;
use crate::user::*;

/// A throttle counter, column for column as the `throttles` table holds it.
#[derive(Debug, Clone)]
struct ThrottleRow {
    failures: u32,
    locked_until: Option<DateTime<Utc>>,
    hits: u32,
    window_start: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// A recovery code, column for column as the `recovery_codes` table holds it.
#[derive(Debug, Clone)]
struct RecoveryRow {
    hash: Vec<u8>,
    used_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct Tables {
    pub users: HashMap<UserId, StoredUser>,
    pub sessions: HashMap<Uuid, Session>,
    pub otps: HashMap<Uuid, OtpChallenge>,
    pub deliveries: HashMap<Uuid, Delivery>,
    pub totp: HashMap<UserId, TotpCredential>,
    recovery: HashMap<UserId, Vec<RecoveryRow>>,
    throttles: HashMap<String, ThrottleRow>,
    pub audit: Vec<AuditEvent>,
    pub apps: HashMap<AppId, App>,
    /// Keys by their hex hash, as the `app_keys` primary key finds them.
    pub app_keys: HashMap<Vec<u8>, AppKey>,
}

impl Tables {
    fn taken(&self, id: UserId, email: Option<&Email>, username: Option<&Username>) -> Result<()> {
        let others = || self.users.values().filter(move |s| s.user.id != id);
        if email.is_some_and(|e| others().any(|s| s.user.email == e.as_str())) {
            return Err(Error::EmailTaken);
        }
        if username.is_some_and(|n| others().any(|s| s.user.username == n.as_str())) {
            return Err(Error::UsernameTaken);
        }
        Ok(())
    }

    /// `key`'s counter, inserted as the upserts' INSERT half would.
    fn throttle_row(&mut self, key: &str, now: DateTime<Utc>) -> &mut ThrottleRow {
        self.throttles.entry(key.to_owned()).or_insert(ThrottleRow {
            failures: 0,
            locked_until: None,
            hits: 0,
            window_start: now,
            updated_at: now,
        })
    }

    /// Whether `id` is the only active administrator: the rows the SQL
    /// `keeps_an_admin` condition refuses to change or delete.
    fn is_last_active_admin(&self, id: UserId) -> bool {
        let admin = |s: &StoredUser| s.user.is_admin && s.user.is_active;
        self.users.get(&id).is_some_and(admin) && !self.users.values().any(|s| s.user.id != id && admin(s))
    }
}

/// The consume UPDATE's condition: unused, not canceled, under the tries, unexpired.
fn consumable(c: &OtpChallenge, now: DateTime<Utc>, max: u32) -> bool {
    c.used_at.is_none() && c.canceled_at.is_none() && c.attempts < max && c.expires_at > now
}

/// Every repository port in memory, sharing one set of tables.
#[derive(Clone, Default)]
pub struct MemDb(Arc<Mutex<Tables>>);

impl MemDb {
    /// The tables, for a test to look at or arrange directly.
    pub fn tables(&self) -> MutexGuard<'_, Tables> {
        self.0.lock().unwrap()
    }
}

#[async_trait]
impl UserRepo for MemDb {
    async fn insert(&self, u: &NewUser) -> Result<User> {
        let mut t = self.tables();
        t.taken(u.id, Some(&u.email), Some(&u.username))?;
        let user = User {
            id: u.id,
            email: u.email.as_str().into(),
            username: u.username.as_str().into(),
            name: u.name.as_str().into(),
            lastname: u.lastname.as_str().into(),
            is_admin: u.is_admin,
            is_2fa: u.is_2fa,
            is_active: true,
            phone: u.phone.as_ref().map(|p| p.as_str().into()),
            phone_verified_at: None,
            created_at: u.created_at,
            modified_at: u.created_at,
        };
        t.users.insert(u.id, StoredUser { user: user.clone(), password_hash: u.password_hash.clone() });
        Ok(user)
    }
    async fn by_id(&self, id: UserId) -> Result<Option<StoredUser>> {
        Ok(self.tables().users.get(&id).cloned())
    }
    async fn by_login(&self, login: &LoginName) -> Result<Option<StoredUser>> {
        Ok(self
            .tables()
            .users
            .values()
            .find(|s| match login {
                LoginName::Email(e) => s.user.email == e.as_str(),
                LoginName::Username(n) => s.user.username == n.as_str(),
            })
            .cloned())
    }
    async fn update_profile(&self, id: UserId, p: &ProfilePatch, now: DateTime<Utc>) -> Result<Option<User>> {
        let mut t = self.tables();
        if !t.users.contains_key(&id) {
            return Ok(None);
        }
        t.taken(id, p.email.as_ref(), p.username.as_ref())?;
        if p.may_remove_an_admin() && t.is_last_active_admin(id) {
            return Err(Error::LastAdmin);
        }
        let u = &mut t.users.get_mut(&id).expect("checked above").user;
        if let Some(e) = &p.email {
            u.email = e.as_str().into()
        }
        if let Some(n) = &p.username {
            u.username = n.as_str().into()
        }
        if let Some(n) = &p.name {
            u.name = n.as_str().into()
        }
        if let Some(n) = &p.lastname {
            u.lastname = n.as_str().into()
        }
        if let Some(phone) = &p.phone {
            let phone = phone.as_ref().map(|p| p.as_str().to_owned());
            if phone != u.phone {
                u.phone_verified_at = None;
            }
            u.phone = phone;
        }
        if let Some(b) = p.is_2fa {
            u.is_2fa = b
        }
        if let Some(b) = p.is_admin {
            u.is_admin = b
        }
        if let Some(b) = p.is_active {
            u.is_active = b
        }
        u.modified_at = now;
        Ok(Some(u.clone()))
    }
    async fn confirm_phone(&self, id: UserId, phone: &str, now: DateTime<Utc>) -> Result<bool> {
        match self.tables().users.get_mut(&id) {
            Some(s) if s.user.phone.as_deref() == Some(phone) => {
                s.user.phone_verified_at = Some(now);
                s.user.modified_at = now;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn set_password_hash(&self, id: UserId, hash: &str, now: DateTime<Utc>) -> Result<bool> {
        Ok(self
            .tables()
            .users
            .get_mut(&id)
            .map(|s| {
                s.password_hash = hash.into();
                s.user.modified_at = now;
            })
            .is_some())
    }
    async fn delete(&self, id: UserId) -> Result<bool> {
        let mut t = self.tables();
        if t.is_last_active_admin(id) {
            return Err(Error::LastAdmin);
        }
        if t.users.remove(&id).is_none() {
            return Ok(false);
        }
        // ON DELETE CASCADE
        t.sessions.retain(|_, s| s.user_id != id);
        t.otps.retain(|_, c| c.owner != Subject::User(id));
        t.deliveries.retain(|_, d| d.user_id != Some(id));
        t.totp.remove(&id);
        t.recovery.remove(&id);
        Ok(true)
    }
    async fn list(&self, q: &UserQuery) -> Result<Vec<User>> {
        let mut users: Vec<User> = self
            .tables()
            .users
            .values()
            .map(|s| s.user.clone())
            .filter(|u| q.after.is_none_or(|a| u.id > a))
            .filter(|u| q.is_active.is_none_or(|b| u.is_active == b))
            .filter(|u| q.is_admin.is_none_or(|b| u.is_admin == b))
            .filter(|u| q.is_2fa.is_none_or(|b| u.is_2fa == b))
            .filter(|u| {
                q.search.as_ref().is_none_or(|t| {
                    [&u.email, &u.username, &u.name, &u.lastname].iter().any(|f| f.to_lowercase().contains(t.as_str()))
                })
            })
            .collect();
        users.sort_by_key(|u| u.id);
        users.truncate(q.limit as usize);
        Ok(users)
    }
    async fn any_active_admin(&self) -> Result<bool> {
        Ok(self.tables().users.values().any(|s| s.user.is_admin && s.user.is_active))
    }
}

#[async_trait]
impl SessionRepo for MemDb {
    async fn create(&self, s: &Session) -> Result<bool> {
        let mut t = self.tables();
        let active = t.users.get(&s.user_id).is_some_and(|u| u.user.is_active);
        if active {
            if t.sessions.contains_key(&s.id) {
                return Err(Error::internal("duplicate session id"));
            }
            t.sessions.insert(s.id, s.clone());
        }
        Ok(active)
    }
    async fn get(&self, id: Uuid) -> Result<Option<Session>> {
        Ok(self.tables().sessions.get(&id).cloned())
    }
    async fn rotate(&self, id: Uuid, old: Uuid, new: Uuid, now: DateTime<Utc>, exp: DateTime<Utc>) -> Result<bool> {
        match self.tables().sessions.get_mut(&id) {
            Some(s) if s.refresh_jti == old && s.revoked_at.is_none() && s.expires_at > now => {
                s.refresh_jti = new;
                s.expires_at = exp;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn is_active(&self, id: Uuid, user: UserId, now: DateTime<Utc>) -> Result<bool> {
        Ok(self
            .tables()
            .sessions
            .get(&id)
            .is_some_and(|s| s.user_id == user && s.revoked_at.is_none() && s.expires_at > now))
    }
    async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        if let Some(s) = self.tables().sessions.get_mut(&id) {
            s.revoked_at.get_or_insert(now);
        }
        Ok(())
    }
    async fn revoke_owned(&self, id: Uuid, user: UserId, now: DateTime<Utc>) -> Result<bool> {
        match self.tables().sessions.get_mut(&id) {
            Some(s) if s.user_id == user && s.revoked_at.is_none() => {
                s.revoked_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn list_live(&self, user: UserId, now: DateTime<Utc>, limit: u32) -> Result<Vec<Session>> {
        let t = self.tables();
        let mut live: Vec<Session> = t
            .sessions
            .values()
            .filter(|s| s.user_id == user && s.revoked_at.is_none() && s.expires_at > now)
            .cloned()
            .collect();
        live.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        live.truncate(limit as usize);
        Ok(live)
    }
    async fn revoke_all(&self, user: UserId, keep: Option<Uuid>, now: DateTime<Utc>) -> Result<u64> {
        let mut n = 0;
        for s in self.tables().sessions.values_mut() {
            if s.user_id == user && Some(s.id) != keep && s.revoked_at.is_none() {
                s.revoked_at = Some(now);
                n += 1;
            }
        }
        Ok(n)
    }
}

#[async_trait]
impl OtpRepo for MemDb {
    async fn create(&self, c: &OtpChallenge, d: Option<&Delivery>) -> Result<()> {
        let mut t = self.tables();
        // fk_otp_challenges_user, fk_otp_challenges_app
        let owner_exists = match c.owner {
            Subject::User(u) => t.users.contains_key(&u),
            Subject::App(a) => t.apps.contains_key(&a),
        };
        if !owner_exists {
            return Err(Error::internal("challenge for an unknown user or app"));
        }
        // Primary keys; the SQL transaction rolls both back.
        if t.otps.contains_key(&c.id) || d.is_some_and(|d| t.deliveries.contains_key(&d.id)) {
            return Err(Error::internal("duplicate key"));
        }
        t.otps.insert(c.id, c.clone());
        if let Some(d) = d {
            t.deliveries.insert(d.id, d.clone());
        }
        Ok(())
    }
    async fn create_unless_open(&self, c: &OtpChallenge, d: &Delivery, now: DateTime<Utc>, max: u32) -> Result<bool> {
        let open = self.tables().otps.values().any(|o| {
            o.owner == c.owner
                && o.purpose == c.purpose
                && o.destination.is_some()
                && o.destination == c.destination
                && o.used_at.is_none()
                && o.canceled_at.is_none()
                && o.attempts < max
                && o.expires_at > now
        });
        if open {
            return Ok(false);
        }
        // No await between the check and the insert: one step, as in SQL.
        OtpRepo::create(self, c, Some(d)).await.map(|()| true)
    }
    async fn create_capped(&self, c: &OtpChallenge, d: &Delivery, now: DateTime<Utc>, max_open: u32) -> Result<Capped> {
        let open: Vec<DateTime<Utc>> = self
            .tables()
            .otps
            .values()
            .filter(|o| {
                o.owner == c.owner
                    && o.purpose == c.purpose
                    && o.destination == c.destination
                    && consumable(o, now, o.rules.max_attempts)
            })
            .map(|o| o.expires_at)
            .collect();
        if open.len() >= max_open as usize {
            let frees_at = open.into_iter().min().unwrap_or(now);
            return Ok(Capped::Full { frees_at });
        }
        // No await between the count and the insert: one step, as in SQL.
        OtpRepo::create(self, c, Some(d)).await.map(|()| Capped::Created)
    }
    async fn cancel(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        let delivery = match t.otps.get_mut(&id) {
            Some(c) if consumable(c, now, c.rules.max_attempts) => {
                c.canceled_at = Some(now);
                c.delivery_id
            }
            _ => return Ok(false),
        };
        if let Some(d) = delivery.and_then(|d| t.deliveries.get_mut(&d)).filter(|d| d.status == DeliveryStatus::Queued)
        {
            d.status = DeliveryStatus::Failed;
            d.last_error = Some(CANCELED.into());
            d.sealed_code = None;
            d.settled_at = Some(now);
        }
        Ok(true)
    }
    async fn get(&self, id: Uuid) -> Result<Option<OtpChallenge>> {
        Ok(self.tables().otps.get(&id).cloned())
    }
    async fn latest(&self, user: UserId, purpose: Purpose) -> Result<Option<OtpChallenge>> {
        let t = self.tables();
        let mine = t.otps.values().filter(|c| c.owner == Subject::User(user) && c.purpose == purpose);
        Ok(mine.max_by_key(|c| (c.created_at, c.id)).cloned())
    }
    async fn consume(&self, id: Uuid, now: DateTime<Utc>, max: u32) -> Result<bool> {
        match self.tables().otps.get_mut(&id) {
            Some(c) if consumable(c, now, max) => {
                c.used_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn record_failure(&self, id: Uuid, max: u32) -> Result<bool> {
        match self.tables().otps.get_mut(&id) {
            Some(c) if c.used_at.is_none() && c.canceled_at.is_none() && c.attempts < max => {
                c.attempts += 1;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn replace_code(
        &self,
        id: Uuid,
        method: Method,
        hash: &[u8],
        now: DateTime<Utc>,
        before: DateTime<Utc>,
        max_a: u32,
        max_r: u32,
        d: &Delivery,
    ) -> Result<bool> {
        let mut t = self.tables();
        let previous = match t.otps.get_mut(&id) {
            Some(c)
                if c.used_at.is_none()
                    && c.canceled_at.is_none()
                    && c.attempts < max_a
                    && c.resends < max_r
                    && c.last_sent_at <= before
                    && c.expires_at > now =>
            {
                c.code_hash = hash.to_vec();
                c.method = method;
                c.resends += 1;
                c.last_sent_at = now;
                c.delivery_id.replace(d.id)
            }
            _ => return Ok(false),
        };
        if let Some(old) =
            previous.and_then(|p| t.deliveries.get_mut(&p)).filter(|d| d.status == DeliveryStatus::Queued)
        {
            old.status = DeliveryStatus::Failed;
            old.last_error = Some(SUPERSEDED.into());
            old.sealed_code = None;
            old.settled_at = Some(now);
        }
        t.deliveries.insert(d.id, d.clone());
        Ok(true)
    }
}

#[async_trait]
impl Outbox for MemDb {
    async fn claim(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: u32) -> Result<Vec<Delivery>> {
        let mut t = self.tables();
        let mut due: Vec<&mut Delivery> = t
            .deliveries
            .values_mut()
            .filter(|d| d.status == DeliveryStatus::Queued && d.next_attempt_at <= now)
            .collect();
        due.sort_by_key(|d| (d.next_attempt_at, d.id));
        Ok(due
            .into_iter()
            .take(limit as usize)
            .map(|d| {
                d.attempts += 1;
                d.next_attempt_at = lease_until;
                d.clone()
            })
            .collect())
    }
    async fn settle(&self, id: Uuid, attempt: u32, outcome: &Settlement, now: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        let Some(d) = t.deliveries.get_mut(&id).filter(|d| d.status == DeliveryStatus::Queued && d.attempts == attempt)
        else {
            return Ok(false);
        };
        match outcome {
            Settlement::Sent { provider_id } => {
                (d.status, d.provider_id, d.sealed_code, d.settled_at) =
                    (DeliveryStatus::Sent, provider_id.clone(), None, Some(now));
            }
            Settlement::Retry { at, error } => (d.next_attempt_at, d.last_error) = (*at, Some(error.clone())),
            Settlement::Failed { error } => {
                (d.status, d.last_error, d.sealed_code, d.settled_at) =
                    (DeliveryStatus::Failed, Some(error.clone()), None, Some(now));
            }
        }
        Ok(true)
    }
    async fn get(&self, id: Uuid) -> Result<Option<Delivery>> {
        Ok(self.tables().deliveries.get(&id).cloned())
    }
}

#[async_trait]
impl ThrottleStore for MemDb {
    async fn locked_until(&self, key: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        Ok(self.tables().throttles.get(key).and_then(|r| r.locked_until).filter(|u| *u > now))
    }
    async fn add_failure(&self, key: &str, now: DateTime<Utc>) -> Result<u32> {
        let mut t = self.tables();
        let r = t.throttle_row(key, now);
        r.failures += 1;
        r.updated_at = now;
        Ok(r.failures)
    }
    async fn lock(&self, key: &str, until: DateTime<Utc>) -> Result<()> {
        if let Some(r) = self.tables().throttles.get_mut(key)
            && r.locked_until.is_none_or(|l| l < until)
        {
            r.locked_until = Some(until);
        }
        Ok(())
    }
    async fn clear(&self, key: &str) -> Result<()> {
        self.tables().throttles.remove(key);
        Ok(())
    }
    async fn hit(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<Window> {
        let mut t = self.tables();
        let stale = now - span(window);
        let r = t.throttle_row(key, now);
        if r.window_start <= stale {
            (r.hits, r.window_start) = (1, now);
        } else {
            r.hits += 1;
        }
        r.updated_at = now;
        Ok(Window { hits: r.hits, started: r.window_start })
    }
    async fn purge(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64> {
        let mut t = self.tables();
        let n = t.throttles.len();
        t.throttles.retain(|_, r| !(r.updated_at < before && r.locked_until.is_none_or(|l| l < now)));
        Ok((n - t.throttles.len()) as u64)
    }
}

#[async_trait]
impl PurgeStore for MemDb {
    async fn purge(&self, what: Purgeable, before: DateTime<Utc>, limit: u32) -> Result<u64> {
        fn take<K: Copy + Eq + std::hash::Hash, V>(
            rows: &mut HashMap<K, V>,
            finished: impl Fn(&V) -> bool,
            limit: u32,
        ) -> u64 {
            let gone: Vec<K> = rows.iter().filter(|(_, v)| finished(v)).map(|(k, _)| *k).take(limit as usize).collect();
            for k in &gone {
                rows.remove(k);
            }
            gone.len() as u64
        }
        let mut t = self.tables();
        Ok(match what {
            Purgeable::Sessions => {
                take(&mut t.sessions, |s| s.expires_at < before || s.revoked_at.is_some_and(|r| r < before), limit)
            }
            Purgeable::Challenges => take(&mut t.otps, |c| c.expires_at < before, limit),
            Purgeable::Messages => take(&mut t.deliveries, |d| d.expires_at < before, limit),
            Purgeable::Events => {
                let old: Vec<Uuid> =
                    t.audit.iter().filter(|e| e.at < before).map(|e| e.id).take(limit as usize).collect();
                t.audit.retain(|e| !old.contains(&e.id));
                old.len() as u64
            }
        })
    }
}

#[async_trait]
impl AuditLog for MemDb {
    async fn record(&self, e: &AuditEvent) -> Result<()> {
        let mut t = self.tables();
        if t.audit.iter().any(|a| a.id == e.id) {
            return Err(Error::internal("duplicate event id")); // the primary key
        }
        t.audit.push(e.clone());
        Ok(())
    }
    async fn list(&self, subject: Subject, before: Option<Uuid>, limit: u32) -> Result<Vec<AuditEvent>> {
        let mut events: Vec<AuditEvent> = self
            .tables()
            .audit
            .iter()
            .filter(|e| e.subject == subject && before.is_none_or(|b| e.id < b))
            .cloned()
            .collect();
        events.sort_by_key(|e| std::cmp::Reverse(e.id));
        events.truncate(limit as usize);
        Ok(events)
    }
}

#[async_trait]
impl AppRepo for MemDb {
    async fn create(&self, app: &App, key: &AppKey) -> Result<()> {
        let mut t = self.tables();
        if t.apps.contains_key(&app.id) || t.app_keys.contains_key(&key.hash) {
            return Err(Error::internal("duplicate primary key"));
        }
        t.apps.insert(app.id, app.clone());
        t.app_keys.insert(key.hash.clone(), key.clone());
        Ok(())
    }
    async fn get(&self, id: AppId) -> Result<Option<App>> {
        Ok(self.tables().apps.get(&id).cloned())
    }
    async fn list(&self, after: Option<AppId>, limit: u32) -> Result<Vec<App>> {
        let mut apps: Vec<App> =
            self.tables().apps.values().filter(|a| after.is_none_or(|x| a.id > x)).cloned().collect();
        apps.sort_by_key(|a| a.id);
        apps.truncate(limit as usize);
        Ok(apps)
    }
    async fn update(&self, id: AppId, p: &AppPatch, now: DateTime<Utc>) -> Result<Option<App>> {
        let mut t = self.tables();
        let Some(row) = t.apps.get_mut(&id) else { return Ok(None) };
        row.name = p.name.clone().unwrap_or(row.name.clone());
        row.channels = p.channels.clone().unwrap_or(row.channels.clone());
        row.code_length = p.code_length.unwrap_or(row.code_length);
        row.code_ttl = p.code_ttl.unwrap_or(row.code_ttl);
        row.max_attempts = p.max_attempts.unwrap_or(row.max_attempts);
        row.is_active = p.is_active.unwrap_or(row.is_active);
        row.modified_at = now;
        Ok(Some(row.clone()))
    }
    async fn delete(&self, id: AppId) -> Result<bool> {
        let mut t = self.tables();
        // ON DELETE CASCADE, and the messages deleted in the same transaction
        t.app_keys.retain(|_, k| k.app_id != id);
        t.otps.retain(|_, c| c.owner != Subject::App(id));
        t.deliveries.retain(|_, d| d.app_id != Some(id));
        Ok(t.apps.remove(&id).is_some())
    }
    async fn add_key(&self, key: &AppKey, others_until: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        if !t.apps.contains_key(&key.app_id) {
            return Ok(false);
        }
        for k in t.app_keys.values_mut().filter(|k| k.app_id == key.app_id) {
            k.expires_at = Some(k.expires_at.map_or(others_until, |e| e.min(others_until)));
        }
        t.app_keys.insert(key.hash.clone(), key.clone());
        Ok(true)
    }
    async fn by_key(&self, hash: &[u8], now: DateTime<Utc>) -> Result<Option<App>> {
        let t = self.tables();
        let Some(key) = t.app_keys.get(hash).filter(|k| k.expires_at.is_none_or(|e| e > now)) else { return Ok(None) };
        Ok(t.apps.get(&key.app_id).filter(|a| a.is_active).cloned())
    }
    async fn keys(&self, id: AppId) -> Result<Vec<AppKey>> {
        let mut keys: Vec<AppKey> = self.tables().app_keys.values().filter(|k| k.app_id == id).cloned().collect();
        keys.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.hash.cmp(&a.hash)));
        Ok(keys)
    }
}

#[async_trait]
impl TotpRepo for MemDb {
    async fn get(&self, user: UserId) -> Result<Option<TotpCredential>> {
        Ok(self.tables().totp.get(&user).cloned())
    }
    async fn put_pending(&self, c: &TotpCredential) -> Result<bool> {
        let mut t = self.tables();
        // fk_totp_credentials_user
        if !t.users.contains_key(&c.user_id) {
            return Err(Error::internal("enrolment for an unknown user"));
        }
        if t.totp.get(&c.user_id).is_some_and(TotpCredential::is_active) {
            return Ok(false);
        }
        t.totp.insert(c.user_id, TotpCredential { confirmed_at: None, last_step: None, ..c.clone() });
        Ok(true)
    }
    async fn confirm(&self, user: UserId, sealed_secret: &[u8], step: u64, now: DateTime<Utc>) -> Result<bool> {
        match self.tables().totp.get_mut(&user) {
            Some(c) if c.confirmed_at.is_none() && c.sealed_secret == sealed_secret => {
                (c.confirmed_at, c.last_step) = (Some(now), Some(step));
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn accept_step(&self, user: UserId, step: u64) -> Result<bool> {
        match self.tables().totp.get_mut(&user) {
            Some(c) if c.confirmed_at.is_some() && c.last_step.is_none_or(|last| last < step) => {
                c.last_step = Some(step);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn delete(&self, user: UserId) -> Result<bool> {
        Ok(self.tables().totp.remove(&user).is_some())
    }
}

#[async_trait]
impl RecoveryCodeRepo for MemDb {
    async fn replace_set(&self, user: UserId, hashes: &[Vec<u8>], _now: DateTime<Utc>) -> Result<()> {
        let mut t = self.tables();
        // fk_recovery_codes_user
        if !t.users.contains_key(&user) {
            return Err(Error::internal("recovery codes for an unknown user"));
        }
        t.recovery.insert(user, hashes.iter().map(|h| RecoveryRow { hash: h.clone(), used_at: None }).collect());
        Ok(())
    }
    async fn consume(&self, user: UserId, hash: &[u8], now: DateTime<Utc>) -> Result<bool> {
        let mut t = self.tables();
        let code =
            t.recovery.get_mut(&user).and_then(|set| set.iter_mut().find(|r| r.hash == hash && r.used_at.is_none()));
        Ok(code.map(|r| r.used_at = Some(now)).is_some())
    }
    async fn remaining(&self, user: UserId) -> Result<u32> {
        Ok(self.tables().recovery.get(&user).map_or(0, |set| set.iter().filter(|r| r.used_at.is_none()).count() as u32))
    }
    async fn delete_all(&self, user: UserId) -> Result<u64> {
        Ok(self.tables().recovery.remove(&user).map_or(0, |set| set.len() as u64))
    }
}

#[async_trait]
impl LoginFinisher for MemDb {
    async fn finish(&self, l: &FinishedLogin) -> Result<Finished> {
        // One lock for the whole transaction; every condition and key is
        // checked before anything is written, so a refusal writes nothing.
        let mut t = self.tables();
        if !t.otps.get(&l.challenge).is_some_and(|c| consumable(c, l.now, l.max_attempts)) {
            return Ok(Finished::ChallengeClosed);
        }
        if !t.users.get(&l.session.user_id).is_some_and(|u| u.user.is_active) {
            return Ok(Finished::UserInactive);
        }
        if t.sessions.contains_key(&l.session.id) || l.events.iter().any(|e| t.audit.iter().any(|a| a.id == e.id)) {
            return Err(Error::internal("duplicate key"));
        }
        if let Some(c) = t.otps.get_mut(&l.challenge) {
            c.used_at = Some(l.now);
        }
        t.sessions.insert(l.session.id, l.session.clone());
        t.throttles.remove(&l.throttle_key);
        t.audit.extend(l.events.iter().cloned());
        Ok(Finished::Done)
    }
}
