//! A whole domain on in-memory adapters, wired exactly as the api wires the
//! real ones ([`Services::new`]), with handles on the fakes.

use std::sync::Arc;

use chrono::{TimeZone, Utc};

use super::doubles::{CountingHasher, FakeClock, MemNotifier, PlainKeyedHasher, PlainSealer, SeqRng, TextCodec};
use super::fakes::MemDb;
use crate::account::Registration;
use crate::audit::EventKind;
use crate::login::LoginOutcome;
use crate::notify::{Channel, Message, MessageKind};
use crate::otp::{Pending, Purpose};
use crate::policy::Policy;
use crate::subject::Subject;
use crate::throttle::ClientAddress;
use crate::token::TokenPair;
use crate::user::{User, UserId};
use crate::wiring::{Ports, Services};

pub struct World {
    pub services: Services,
    pub clock: Arc<FakeClock>,
    pub hasher: Arc<CountingHasher>,
    pub notifier: Arc<MemNotifier>,
    pub db: MemDb,
    /// The client address every request of the tests comes from.
    pub from: ClientAddress,
}

/// A password every fake user has; strong enough for the policy.
pub const GOOD_PASSWORD: &str = "tangerine-oboe-quarry-41";

impl std::ops::Deref for World {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    pub fn new() -> Self {
        Self::with_policy(Policy::default())
    }

    pub fn with_policy(policy: Policy) -> Self {
        Self::with_senders(policy, &Channel::ALL)
    }

    /// A world whose senders deliver on `channels` only.
    pub fn with_senders(policy: Policy, channels: &[Channel]) -> Self {
        Self::build(policy, channels, Arc::new(super::webauthn::TextWebAuthn::default()))
    }

    /// A world whose passkey ceremonies `webauthn` carries out (a real
    /// library, in infra's tests).
    pub fn with_webauthn(webauthn: Arc<dyn crate::ports::WebAuthn>) -> Self {
        Self::build(Policy::default(), &Channel::ALL, webauthn)
    }

    fn build(policy: Policy, channels: &[Channel], webauthn: Arc<dyn crate::ports::WebAuthn>) -> Self {
        let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()));
        let hasher = Arc::new(CountingHasher::default());
        let notifier = Arc::new(MemNotifier::on(channels));
        let db = MemDb::default();
        let ports = Ports {
            users: Arc::new(db.clone()),
            sessions: Arc::new(db.clone()),
            otps: Arc::new(db.clone()),
            finisher: Arc::new(db.clone()),
            hasher: hasher.clone(),
            tokens: Arc::new(TextCodec),
            keyed_hasher: Arc::new(PlainKeyedHasher),
            notifier: notifier.clone(),
            outbox: Arc::new(db.clone()),
            audit: Arc::new(db.clone()),
            throttle: Arc::new(db.clone()),
            purge: Arc::new(db.clone()),
            totp: Arc::new(db.clone()),
            recovery_codes: Arc::new(db.clone()),
            apps: Arc::new(db.clone()),
            clients: Arc::new(db.clone()),
            authorizations: Arc::new(db.clone()),
            id_tokens: Arc::new(super::doubles::TextIdTokens),
            passkeys: Arc::new(db.clone()),
            trusted_devices: Arc::new(db.clone()),
            sms_guard: Arc::new(db.clone()),
            webauthn,
            sealer: Arc::new(PlainSealer),
            clock: clock.clone(),
            rng: Arc::new(SeqRng::new(vec![])),
        };
        let from = ClientAddress::from("198.51.100.7");
        Self { services: Services::new(ports, policy), clock, hasher, notifier, db, from }
    }

    /// The registration form of a user called `name`, with [`GOOD_PASSWORD`].
    pub fn form(name: &str, is_2fa: bool) -> Registration {
        Registration {
            email: format!("{name}@example.com"),
            username: name.into(),
            name: "Test".into(),
            lastname: "User".into(),
            phone: None,
            password: GOOD_PASSWORD.into(),
            is_2fa,
        }
    }

    /// A user as if registered long ago: registered through the use case,
    /// their address proved, the registration's mail and its events gone
    /// (tests of registration itself call `accounts.register`).
    pub async fn register(&self, name: &str, is_2fa: bool) -> User {
        let user = self.accounts.register(&self.from, Self::form(name, is_2fa)).await.unwrap();
        let mut t = self.db.tables();
        let mine = Subject::User(user.id);
        t.otps.retain(|_, c| !(c.owner == mine && c.purpose == Purpose::Email));
        t.deliveries.retain(|_, d| !(d.user_id == Some(user.id) && d.kind == MessageKind::EmailVerification));
        t.audit.retain(|e| !(e.subject == mine && e.kind == EventKind::OtpSent));
        let stored = &mut t.users.get_mut(&user.id).expect("just registered").user;
        stored.verified_email = Some(stored.email.clone());
        stored.clone()
    }

    /// Registers `name` with `phone` proved by its code and two-factor
    /// login on; the caller of the session that did it.
    pub async fn with_verified_phone(&self, name: &str, phone: &str) -> crate::session::Caller {
        use crate::user::ProfileChanges;
        self.register(name, false).await;
        let me = self.sessions.authenticate(&tokens(self, name).await.access_token).await.unwrap();
        let password = || Some(GOOD_PASSWORD.into());
        let number =
            ProfileChanges { phone: Some(Some(phone.into())), current_password: password(), ..Default::default() };
        self.accounts.update_me(&me, number).await.unwrap();
        self.phones.send_code(&me, None).await.unwrap();
        self.phones.confirm(&me, &self.last_code().await).await.unwrap();
        let on = ProfileChanges { is_2fa: Some(true), current_password: password(), ..Default::default() };
        self.accounts.update_me(&me, on).await.unwrap();
        me
    }

    pub fn deactivate(&self, id: UserId) {
        self.db.tables().users.get_mut(&id).unwrap().user.is_active = false;
    }

    /// `caller`'s session stepped up now with the password and a mailed
    /// code (`aal2`), as a sensitive change asks of a user with a second factor.
    pub async fn stepped_up(&self, caller: &crate::session::Caller) -> crate::session::Caller {
        use crate::assurance::Factor;
        self.step_up.send_code(caller, crate::otp::Method::Email).await.unwrap();
        let code = self.last_code().await;
        let factor = Factor::Code { method: Some(crate::otp::Method::Email), code: &code };
        let pair: TokenPair =
            self.step_up.reauthenticate(&self.from, caller, Some(&pw(GOOD_PASSWORD)), Some(factor)).await.unwrap();
        self.sessions.authenticate(&pair.access_token).await.unwrap()
    }

    /// Registers a user and makes them an active admin.
    pub async fn admin(&self, name: &str) -> User {
        let u = self.register(name, false).await;
        let mut t = self.db.tables();
        let stored = t.users.get_mut(&u.id).unwrap();
        stored.user.is_admin = true;
        stored.user.clone()
    }

    /// Kinds of the events recorded about `user`, oldest first.
    pub fn events(&self, user: UserId) -> Vec<&'static str> {
        self.db.tables().audit.iter().filter(|e| e.subject == Subject::User(user)).map(|e| e.kind.as_str()).collect()
    }

    /// Runs the courier until nothing is due now: what a node's background
    /// worker does.
    pub async fn deliver(&self) {
        while self.courier.run_once().await.unwrap().claimed > 0 {}
    }

    /// Every message delivered so far, after delivering what is due.
    pub async fn messages(&self) -> Vec<Message> {
        self.deliver().await;
        self.notifier.sent.lock().unwrap().clone()
    }

    /// The code in the latest message, after delivering what is due.
    pub async fn last_code(&self) -> String {
        self.messages().await.last().expect("no message").code.as_ref().unwrap().as_str().to_owned()
    }
}

/// A password, as the use cases take it.
pub fn pw(s: &str) -> secrecy::SecretString {
    s.into()
}

/// The token pair of `login`, a user without a second factor.
pub async fn tokens(w: &World, login: &str) -> TokenPair {
    match w.login.login(&w.from, login, &pw(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::Tokens(t) => t,
        other => panic!("expected tokens, got {other:?}"),
    }
}

/// The temporary token of `login`, a user whose second factor is a mailed code.
pub async fn temporary(w: &World, login: &str) -> String {
    match w.login.login(&w.from, login, &pw(GOOD_PASSWORD)).await.unwrap() {
        LoginOutcome::SecondFactor(Pending { temporary_token, methods, .. }) => {
            assert_eq!(methods, vec![crate::otp::Method::Email]);
            temporary_token
        }
        other => panic!("expected a second factor, got {other:?}"),
    }
}
