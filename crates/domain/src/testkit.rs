//! In-memory ports for unit tests: the same contracts the SQL adapters keep,
//! with a clock the test moves by hand.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::error::{Error, Result};
use crate::otp::{OtpChallenge, OtpCode};
use crate::password::Password;
use crate::ports::*;
use crate::service::{AuthService, Policy, Ports};
use crate::token::{Claims, TokenKind};
use crate::user::*;

/// Bytes from a script first, then a counter, so ids never collide.
pub struct SeqRng {
    script: Mutex<Vec<u8>>,
    counter: AtomicU64,
}

impl SeqRng {
    pub fn new(script: Vec<u8>) -> Self {
        Self { script: Mutex::new(script), counter: AtomicU64::new(1) }
    }
}

impl Rng for SeqRng {
    fn fill(&self, buf: &mut [u8]) {
        let mut script = self.script.lock().unwrap();
        for b in buf.iter_mut() {
            *b = if script.is_empty() {
                (self.counter.fetch_add(1, Ordering::Relaxed) % 251) as u8
            } else {
                script.remove(0)
            };
        }
    }
}

pub struct FakeClock(Mutex<DateTime<Utc>>);

impl FakeClock {
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap();
        *t += chrono::Duration::from_std(by).unwrap();
    }
}

impl Clock for FakeClock {
    /// Like a real clock, never the same instant twice: each read moves 1 µs.
    fn now(&self) -> DateTime<Utc> {
        let mut t = self.0.lock().unwrap();
        *t += chrono::Duration::microseconds(1);
        *t
    }
}

#[derive(Default)]
pub struct MemUsers(Mutex<HashMap<UserId, StoredUser>>);

#[async_trait]
impl UserRepo for MemUsers {
    async fn insert(&self, u: &NewUser) -> Result<User> {
        let mut all = self.0.lock().unwrap();
        if all.values().any(|s| s.user.email == u.email.as_str()) {
            return Err(Error::EmailTaken);
        }
        if all.values().any(|s| s.user.username == u.username.as_str()) {
            return Err(Error::UsernameTaken);
        }
        let user = User {
            id: u.id,
            email: u.email.as_str().into(),
            username: u.username.as_str().into(),
            name: u.name.as_str().into(),
            lastname: u.lastname.as_str().into(),
            is_admin: u.is_admin,
            is_2fa: u.is_2fa,
            is_active: true,
            created_at: u.created_at,
            modified_at: u.created_at,
        };
        all.insert(u.id, StoredUser { user: user.clone(), password_hash: u.password_hash.clone() });
        Ok(user)
    }
    async fn by_id(&self, id: UserId) -> Result<Option<StoredUser>> {
        Ok(self.0.lock().unwrap().get(&id).cloned())
    }
    async fn by_login(&self, login: &LoginName) -> Result<Option<StoredUser>> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .values()
            .find(|s| match login {
                LoginName::Email(e) => s.user.email == e.as_str(),
                LoginName::Username(n) => s.user.username == n.as_str(),
            })
            .cloned())
    }
    async fn update_profile(&self, id: UserId, p: &ProfilePatch, now: DateTime<Utc>) -> Result<Option<User>> {
        let mut all = self.0.lock().unwrap();
        if let Some(e) = &p.email {
            if all.values().any(|s| s.user.id != id && s.user.email == e.as_str()) {
                return Err(Error::EmailTaken);
            }
        }
        if let Some(n) = &p.username {
            if all.values().any(|s| s.user.id != id && s.user.username == n.as_str()) {
                return Err(Error::UsernameTaken);
            }
        }
        if p.may_remove_an_admin() && is_last_active_admin(&all, id) {
            return Err(Error::LastAdmin);
        }
        let Some(s) = all.get_mut(&id) else {
            return Ok(None);
        };
        if let Some(e) = &p.email {
            s.user.email = e.as_str().into()
        }
        if let Some(n) = &p.username {
            s.user.username = n.as_str().into()
        }
        if let Some(n) = &p.name {
            s.user.name = n.as_str().into()
        }
        if let Some(n) = &p.lastname {
            s.user.lastname = n.as_str().into()
        }
        if let Some(b) = p.is_2fa {
            s.user.is_2fa = b
        }
        if let Some(b) = p.is_admin {
            s.user.is_admin = b
        }
        if let Some(b) = p.is_active {
            s.user.is_active = b
        }
        s.user.modified_at = now;
        Ok(Some(s.user.clone()))
    }
    async fn set_password_hash(&self, id: UserId, hash: &str, _now: DateTime<Utc>) -> Result<bool> {
        Ok(self.0.lock().unwrap().get_mut(&id).map(|s| s.password_hash = hash.into()).is_some())
    }
    async fn delete(&self, id: UserId) -> Result<bool> {
        let mut all = self.0.lock().unwrap();
        if is_last_active_admin(&all, id) {
            return Err(Error::LastAdmin);
        }
        Ok(all.remove(&id).is_some())
    }
    async fn list(&self, q: &UserQuery) -> Result<Vec<User>> {
        let all = self.0.lock().unwrap();
        let mut users: Vec<User> = all
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
        Ok(self.0.lock().unwrap().values().any(|s| s.user.is_admin && s.user.is_active))
    }
}

fn is_last_active_admin(all: &HashMap<UserId, StoredUser>, id: UserId) -> bool {
    let admin = |s: &StoredUser| s.user.is_admin && s.user.is_active;
    all.get(&id).is_some_and(admin) && !all.values().any(|s| s.user.id != id && admin(s))
}

#[derive(Default)]
pub struct MemAudit(pub Mutex<Vec<AuditEvent>>);

#[async_trait]
impl AuditLog for MemAudit {
    async fn record(&self, e: &AuditEvent) -> Result<()> {
        self.0.lock().unwrap().push(e.clone());
        Ok(())
    }
    async fn list(&self, user: UserId, before: Option<Uuid>, limit: u32) -> Result<Vec<AuditEvent>> {
        let mut events: Vec<AuditEvent> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.user_id == user && before.is_none_or(|b| e.id < b))
            .cloned()
            .collect();
        events.sort_by_key(|e| std::cmp::Reverse(e.id));
        events.truncate(limit as usize);
        Ok(events)
    }
}

#[derive(Default)]
pub struct MemThrottle(pub Mutex<HashMap<String, (u32, Option<DateTime<Utc>>, u32, DateTime<Utc>)>>);

#[async_trait]
impl ThrottleStore for MemThrottle {
    async fn locked_until(&self, key: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        Ok(self.0.lock().unwrap().get(key).and_then(|e| e.1).filter(|u| *u > now))
    }
    async fn add_failure(&self, key: &str, now: DateTime<Utc>) -> Result<u32> {
        let mut all = self.0.lock().unwrap();
        let e = all.entry(key.to_owned()).or_insert((0, None, 0, now));
        e.0 += 1;
        Ok(e.0)
    }
    async fn lock(&self, key: &str, until: DateTime<Utc>) -> Result<()> {
        if let Some(e) = self.0.lock().unwrap().get_mut(key) {
            e.1 = Some(e.1.map_or(until, |u| u.max(until)));
        }
        Ok(())
    }
    async fn clear(&self, key: &str) -> Result<()> {
        self.0.lock().unwrap().remove(key);
        Ok(())
    }
    async fn hit(&self, key: &str, now: DateTime<Utc>, window: Duration) -> Result<crate::throttle::Window> {
        let mut all = self.0.lock().unwrap();
        let e = all.entry(key.to_owned()).or_insert((0, None, 0, now));
        if e.3 <= now - chrono::Duration::from_std(window).unwrap() {
            (e.2, e.3) = (0, now);
        }
        e.2 += 1;
        Ok(crate::throttle::Window { hits: e.2, started: e.3 })
    }
    async fn purge(&self, _before: DateTime<Utc>, _now: DateTime<Utc>) -> Result<u64> {
        Ok(0)
    }
}

/// Sessions; like the SQL adapter, `create` consults the users.
pub struct MemSessions(pub Mutex<HashMap<Uuid, Session>>, Arc<MemUsers>);

#[async_trait]
impl SessionRepo for MemSessions {
    async fn create(&self, s: &Session) -> Result<bool> {
        let active = self.1.0.lock().unwrap().get(&s.user_id).is_some_and(|u| u.user.is_active);
        if active {
            self.0.lock().unwrap().insert(s.id, s.clone());
        }
        Ok(active)
    }
    async fn get(&self, id: Uuid) -> Result<Option<Session>> {
        Ok(self.0.lock().unwrap().get(&id).cloned())
    }
    async fn rotate(&self, id: Uuid, old: Uuid, new: Uuid, now: DateTime<Utc>, exp: DateTime<Utc>) -> Result<bool> {
        let mut all = self.0.lock().unwrap();
        match all.get_mut(&id) {
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
            .0
            .lock()
            .unwrap()
            .get(&id)
            .is_some_and(|s| s.user_id == user && s.revoked_at.is_none() && s.expires_at > now))
    }
    async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        if let Some(s) = self.0.lock().unwrap().get_mut(&id) {
            s.revoked_at.get_or_insert(now);
        }
        Ok(())
    }
    async fn revoke_all(&self, user: UserId, keep: Option<Uuid>, now: DateTime<Utc>) -> Result<u64> {
        let mut n = 0;
        for s in self.0.lock().unwrap().values_mut() {
            if s.user_id == user && Some(s.id) != keep && s.revoked_at.is_none() {
                s.revoked_at = Some(now);
                n += 1;
            }
        }
        Ok(n)
    }
}

#[derive(Default)]
pub struct MemOtps(pub Mutex<HashMap<Uuid, OtpChallenge>>);

#[async_trait]
impl OtpRepo for MemOtps {
    async fn create(&self, c: &OtpChallenge) -> Result<()> {
        self.0.lock().unwrap().insert(c.id, c.clone());
        Ok(())
    }
    async fn get(&self, id: Uuid) -> Result<Option<OtpChallenge>> {
        Ok(self.0.lock().unwrap().get(&id).cloned())
    }
    async fn consume(&self, id: Uuid, now: DateTime<Utc>, max: u32) -> Result<bool> {
        let mut all = self.0.lock().unwrap();
        match all.get_mut(&id) {
            Some(c) if c.used_at.is_none() && c.attempts < max && c.expires_at > now => {
                c.used_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn record_failure(&self, id: Uuid, max: u32) -> Result<bool> {
        let mut all = self.0.lock().unwrap();
        match all.get_mut(&id) {
            Some(c) if c.used_at.is_none() && c.attempts < max => {
                c.attempts += 1;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn replace_code(
        &self,
        id: Uuid,
        hash: &[u8],
        now: DateTime<Utc>,
        before: DateTime<Utc>,
        max_a: u32,
        max_r: u32,
    ) -> Result<bool> {
        let mut all = self.0.lock().unwrap();
        match all.get_mut(&id) {
            Some(c)
                if c.used_at.is_none()
                    && c.attempts < max_a
                    && c.resends < max_r
                    && c.last_sent_at <= before
                    && c.expires_at > now =>
            {
                c.code_hash = hash.to_vec();
                c.resends += 1;
                c.last_sent_at = now;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// Plain-text "hashes" and a count of verifications, to prove the work done.
#[derive(Default)]
pub struct CountingHasher {
    pub verifications: AtomicUsize,
}

#[async_trait]
impl PasswordHasher for CountingHasher {
    async fn hash(&self, p: &Password) -> Result<String> {
        Ok(format!("plain:{}", p.expose()))
    }
    async fn verify(&self, candidate: &SecretString, phc: &str) -> Result<bool> {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        Ok(phc.strip_prefix("plain:") == Some(candidate.expose_secret()))
    }
    fn dummy_hash(&self) -> &str {
        "dummy:"
    }
}

/// Tokens as readable text; `decode` refuses anything it did not make.
pub struct TextCodec;

impl TokenCodec for TextCodec {
    fn encode(&self, c: &Claims) -> Result<String> {
        let kind = match c.kind {
            TokenKind::Access => "a",
            TokenKind::Refresh => "r",
            TokenKind::Temporary => "t",
        };
        Ok(format!("tok|{kind}|{}|{}|{}|{}|{}", c.sub.0, c.sid, c.jti, c.iat, c.exp))
    }
    fn decode(&self, t: &str) -> Result<Claims> {
        let p: Vec<&str> = t.split('|').collect();
        let bad = || Error::TokenInvalid;
        if p.len() != 7 || p[0] != "tok" {
            return Err(bad());
        }
        let kind = match p[1] {
            "a" => TokenKind::Access,
            "r" => TokenKind::Refresh,
            "t" => TokenKind::Temporary,
            _ => return Err(bad()),
        };
        Ok(Claims {
            kind,
            sub: UserId(p[2].parse().map_err(|_| bad())?),
            sid: p[3].parse().map_err(|_| bad())?,
            jti: p[4].parse().map_err(|_| bad())?,
            iat: p[5].parse().map_err(|_| bad())?,
            exp: p[6].parse().map_err(|_| bad())?,
        })
    }
}

pub struct PlainOtpHasher;

impl OtpHasher for PlainOtpHasher {
    fn hash(&self, challenge: Uuid, code: &OtpCode) -> Vec<u8> {
        [challenge.as_bytes().as_slice(), code.as_str().as_bytes()].concat()
    }
    fn verify(&self, challenge: Uuid, code: &OtpCode, stored: &[u8]) -> bool {
        self.hash(challenge, code) == stored
    }
}

#[derive(Default)]
pub struct MemMailer(pub Mutex<Vec<Mail>>);

#[async_trait]
impl Mailer for MemMailer {
    async fn send(&self, m: &Mail) -> Result<()> {
        self.0.lock().unwrap().push(m.clone());
        Ok(())
    }
}

/// A service on in-memory ports, with handles on the fakes.
pub struct World {
    pub auth: AuthService,
    pub clock: Arc<FakeClock>,
    pub hasher: Arc<CountingHasher>,
    pub mailer: Arc<MemMailer>,
    pub users: Arc<MemUsers>,
    pub audit: Arc<MemAudit>,
}

pub const GOOD_PASSWORD: &str = "tangerine-oboe-quarry-41";

impl World {
    pub fn new() -> Self {
        let clock = Arc::new(FakeClock(Mutex::new(Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap())));
        let hasher = Arc::new(CountingHasher::default());
        let mailer = Arc::new(MemMailer::default());
        let otps = Arc::new(MemOtps::default());
        let users = Arc::new(MemUsers::default());
        let sessions = Arc::new(MemSessions(Mutex::default(), users.clone()));
        let audit = Arc::new(MemAudit::default());
        let ports = Ports {
            users: users.clone(),
            sessions,
            otps,
            hasher: hasher.clone(),
            tokens: Arc::new(TextCodec),
            otp_hasher: Arc::new(PlainOtpHasher),
            mailer: mailer.clone(),
            audit: audit.clone(),
            throttle: Arc::new(MemThrottle::default()),
            clock: clock.clone(),
            rng: Arc::new(SeqRng::new(vec![])),
        };
        Self { auth: AuthService::new(ports, Policy::default()), clock, hasher, mailer, users, audit }
    }

    pub async fn register(&self, name: &str, is_2fa: bool) -> User {
        self.auth
            .register(crate::account::Registration {
                email: format!("{name}@example.com"),
                username: name.into(),
                name: "Test".into(),
                lastname: "User".into(),
                password: GOOD_PASSWORD.into(),
                is_2fa,
            })
            .await
            .unwrap()
    }

    pub fn deactivate(&self, id: UserId) {
        self.users.0.lock().unwrap().get_mut(&id).unwrap().user.is_active = false;
    }

    /// Registers a user and makes them an active admin.
    pub async fn admin(&self, name: &str) -> User {
        let u = self.register(name, false).await;
        let mut all = self.users.0.lock().unwrap();
        all.get_mut(&u.id).unwrap().user.is_admin = true;
        all[&u.id].user.clone()
    }

    /// Kinds of the events recorded about `user`, oldest first.
    pub fn events(&self, user: UserId) -> Vec<&'static str> {
        self.audit.0.lock().unwrap().iter().filter(|e| e.user_id == user).map(|e| e.kind.as_str()).collect()
    }

    /// The code in the latest mail.
    pub fn last_code(&self) -> String {
        match &self.mailer.0.lock().unwrap().last().expect("no mail").kind {
            MailKind::LoginCode { code, .. } => code.as_str().to_owned(),
        }
    }
}
