//! What the domain needs from the outside world, one small trait per
//! capability, and nothing else: the types they carry live with their
//! concept, the clock and randomness in [`clock`](crate::clock) and
//! [`rng`](crate::rng). Every rule that must hold across nodes is one call
//! here, carried out by the adapter as one conditional SQL statement; the
//! contract suites in `testing::contract` hold every adapter to it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use uuid::Uuid;

use crate::assurance::Assurance;
use crate::audit::event::AuditEvent;
use crate::error::Result;
use crate::notify::{Channel, Delivery, Message, Receipt, SendFailure, Settlement};
use crate::otp::challenge::{Capped, Method, OtpChallenge, Purpose};
use crate::otp::code::OtpCode;
use crate::otp::finish::{Finished, FinishedLogin};
use crate::otp::link::LinkToken;
use crate::password::Password;
use crate::recovery_code::RecoveryCode;
use crate::session::family::Session;
use crate::subject::Subject;
use crate::throttle::rate::Window;
use crate::token::claims::Claims;
use crate::totp::credential::TotpCredential;
use crate::trusted_device::{DeviceToken, TrustedDevice};
use crate::user::UserId;

#[async_trait]
pub trait SessionRepo: Send + Sync {
    /// Creates the session only if its user exists and is active, in the
    /// same statement: `false` otherwise. A deactivation on another node can
    /// then never leave a live session behind.
    async fn create(&self, session: &Session) -> Result<bool>;
    /// Stores an OpenID Connect client's session `session` (a code
    /// exchange) only if, in the same statement, its user is active, the
    /// browser session `browser` the code came from is that user's and live
    /// at `now`, and its client still exists: `false` otherwise. A logout,
    /// a deactivation or the client's deletion on another node then either
    /// comes first (nothing is stored) or after (and ends it).
    async fn create_from(&self, session: &Session, browser: Uuid, now: DateTime<Utc>) -> Result<bool>;
    async fn get(&self, id: Uuid) -> Result<Option<Session>>;
    /// Swaps `old_jti` for `new_jti` if it is still the current one, the
    /// session is not revoked and not expired at `now`, and returns the
    /// session's assurance as stored. Exactly one of many concurrent
    /// callers with the same `old_jti` gets `Some`.
    async fn rotate(
        &self,
        id: Uuid,
        old_jti: Uuid,
        new_jti: Uuid,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<Assurance>>;
    /// Sets the session's assurance and its refresh token's `jti` if it is
    /// `user_id`'s and live at `now`, in one statement, and returns it as
    /// it now stands.
    async fn reassure(
        &self,
        id: Uuid,
        user_id: UserId,
        assurance: Assurance,
        new_jti: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>>;
    /// Whether an access token of this session may still be honoured at `now`.
    async fn is_active(&self, id: Uuid, user_id: UserId, now: DateTime<Utc>) -> Result<bool>;
    async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<()>;
    /// Revokes the session only if it is `user_id`'s and still unrevoked, in
    /// one statement: of concurrent callers at most one gets `true`.
    async fn revoke_owned(&self, id: Uuid, user_id: UserId, now: DateTime<Utc>) -> Result<bool>;
    /// The user's sessions neither revoked nor expired at `now`, newest first, at most `limit`.
    async fn list_live(&self, user_id: UserId, now: DateTime<Utc>, limit: u32) -> Result<Vec<Session>>;
    /// Revokes every live session of the user except `keep`; returns how many.
    async fn revoke_all(&self, user_id: UserId, keep: Option<Uuid>, now: DateTime<Utc>) -> Result<u64>;
    /// Revokes every live session opened for the OpenID Connect client (it
    /// is being deleted), in one `UPDATE … RETURNING id`; their ids.
    async fn revoke_client(&self, client: crate::oidc::ClientId, now: DateTime<Utc>) -> Result<Vec<Uuid>>;
}

#[async_trait]
pub trait OtpRepo: Send + Sync {
    /// Stores the challenge and queues the message carrying its code in one
    /// transaction: either both exist or neither.
    async fn create(&self, challenge: &OtpChallenge, delivery: Option<&Delivery>) -> Result<()>;
    /// [`create`](Self::create), only if the user has no open challenge
    /// (unused, under `max_attempts`, unexpired at `now`) of the same
    /// purpose and destination: of concurrent calls on any node, one
    /// stores; `false`, and nothing stored, for the others. For challenges
    /// with a destination (phone codes).
    async fn create_unless_open(
        &self,
        challenge: &OtpChallenge,
        delivery: &Delivery,
        now: DateTime<Utc>,
        max_attempts: u32,
    ) -> Result<bool>;
    /// [`create`](Self::create), only while the challenge's owner has fewer
    /// than `max_open` open challenges (unused, not canceled, under their own
    /// attempt limit, unexpired at `now`) of the same purpose and destination:
    /// the count and the insert are one step on every node. When full,
    /// nothing is stored. For an application's verifications.
    async fn create_capped(
        &self,
        challenge: &OtpChallenge,
        delivery: &Delivery,
        now: DateTime<Utc>,
        max_open: u32,
    ) -> Result<Capped>;
    /// Cancels the challenge if it is open at `now`, and fails its message
    /// if still queued, in one transaction: `UPDATE … SET canceled_at WHERE
    /// used_at IS NULL AND canceled_at IS NULL AND attempts < max_attempts
    /// AND expires_at > $now`. `false` when it was already closed.
    async fn cancel(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool>;
    async fn get(&self, id: Uuid) -> Result<Option<OtpChallenge>>;
    /// The challenge whose mailed link's token hashes to `link_hash`.
    async fn by_link(&self, link_hash: &[u8]) -> Result<Option<OtpChallenge>>;
    /// The user's most recently created challenge of `purpose`, open or not.
    async fn latest(&self, user: UserId, purpose: Purpose) -> Result<Option<OtpChallenge>>;
    /// Marks the challenge used if it is unused, has fewer than
    /// `max_attempts` failures and is unexpired at `now`. One winner.
    async fn consume(&self, id: Uuid, now: DateTime<Utc>, max_attempts: u32) -> Result<bool>;
    /// Counts one wrong code if the challenge is still open (unused, fewer than
    /// `max_attempts` failures). `false` when it was already closed.
    async fn record_failure(&self, id: Uuid, max_attempts: u32) -> Result<bool>;
    /// Replaces the code (and the method it is sent by) if the challenge is
    /// open, unexpired, had fewer than `max_resends` resends, and its last
    /// code went out at or before `sent_before`; in the same transaction
    /// queues `delivery` (the new code's message) as the challenge's
    /// delivery, and fails the previous one if it is still queued: an
    /// outdated code is never sent.
    #[allow(clippy::too_many_arguments)]
    async fn replace_code(
        &self,
        id: Uuid,
        method: Method,
        code_hash: &[u8],
        now: DateTime<Utc>,
        sent_before: DateTime<Utc>,
        max_attempts: u32,
        max_resends: u32,
        delivery: &Delivery,
    ) -> Result<bool>;
}

/// The writes of a finished two-factor login, in one transaction
/// ([`FinishedLogin`]): challenge used (`UPDATE … WHERE used_at IS NULL AND
/// attempts < $max AND expires_at > $now`), session created (`INSERT …
/// SELECT … WHERE is_active`), failure count cleared, events recorded; all
/// of it, or none of it when a condition fails (the answer says which) or
/// a write does (an error).
#[async_trait]
pub trait LoginFinisher: Send + Sync {
    async fn finish(&self, login: &FinishedLogin) -> Result<Finished>;
}

#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A PHC string for a new password.
    async fn hash(&self, password: &Password) -> Result<String>;
    /// Whether `candidate` matches `phc`. Never fails on a wrong password.
    async fn verify(&self, candidate: &SecretString, phc: &str) -> Result<bool>;
    /// A valid hash of no one's password, verified against when the user is
    /// unknown so that both paths cost one hash.
    fn dummy_hash(&self) -> &str;
    /// Refuses at once ([`Overloaded`](crate::Error::Overloaded)) when a hash
    /// started now would wait past the server's bound, so that a login storm
    /// is shed before a lookup is spent on it. No promise: the hash itself
    /// may still be refused.
    fn admit(&self) -> Result<()> {
        Ok(())
    }
}

/// Signs and checks tokens: signature, pinned algorithm, issuer, audience.
pub trait TokenCodec: Send + Sync {
    fn encode(&self, claims: &Claims) -> Result<String>;
    /// `Error::TokenInvalid` for anything that is not a well-signed token of ours.
    fn decode(&self, token: &str) -> Result<Claims>;
}

/// The server's keyed hash of every secret it must recognise but never
/// keep: one-time codes, recovery codes and applications' API keys. A
/// database dump reveals none of them, and a code's hash is bound to the
/// one challenge or user it is for.
pub trait KeyedHasher: Send + Sync {
    fn hash(&self, challenge: Uuid, code: &OtpCode) -> Vec<u8>;
    /// Compares in constant time.
    fn verify(&self, challenge: Uuid, code: &OtpCode, stored: &[u8]) -> bool;
    /// A recovery code's hash; storage finds a code by it.
    fn hash_recovery_code(&self, user: UserId, code: &RecoveryCode) -> Vec<u8>;
    /// A prefixed key's hash (an application's API key, a client's
    /// secret) under its kind's `label`; storage finds a key by it.
    fn hash_key(&self, label: &[u8], key: &str) -> Vec<u8>;
    /// A mailed link's token's hash; storage finds the challenge by it.
    fn hash_link(&self, token: &LinkToken) -> Vec<u8>;
    /// A trusted device's token's hash; storage finds the device by it.
    fn hash_device_token(&self, token: &DeviceToken) -> Vec<u8>;
}

/// Trusted devices ("remember this device"), found by their token's keyed hash.
#[async_trait]
pub trait TrustedDeviceRepo: Send + Sync {
    /// Stores a device whose token hashes to `token_hash` (unique), only
    /// while `session`, the one whose second factor trusted it, is the
    /// user's and unrevoked, in the same statement: a device trusted while
    /// its session is being ended everywhere is never left behind.
    async fn add(&self, device: &TrustedDevice, token_hash: &[u8], session: Uuid) -> Result<bool>;
    /// The device whose token hashes to `token_hash`, if it is `user`'s and
    /// unexpired at `now`; its use is written at `now` in the same statement.
    async fn use_token(&self, user: UserId, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<TrustedDevice>>;
    /// The user's devices unexpired at `now`, newest first.
    async fn list(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<TrustedDevice>>;
    /// Deletes the device only if it is `user`'s: whether it was.
    async fn delete_owned(&self, user: UserId, id: Uuid) -> Result<bool>;
    /// Deletes every device of the user; how many.
    async fn delete_all(&self, user: UserId) -> Result<u64>;
}

/// Sends one message through a provider (SMTP, Vonage, Twilio, the file
/// log). Called only by the courier, never while a request waits.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// The channels this sender delivers on; the others are never offered.
    fn channels(&self) -> Vec<Channel>;
    async fn send(&self, message: &Message) -> std::result::Result<Receipt, SendFailure>;
}

/// The delivery outbox, shared by all nodes. Rows are queued by
/// [`OtpRepo`] with the challenge they serve.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Claims up to `limit` queued deliveries due at `now`, those due
    /// longest first: each counts one more attempt and is hidden from other claims
    /// until `lease_until`. Concurrent claimers never get the same row.
    async fn claim(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: u32) -> Result<Vec<Delivery>>;
    /// Records how attempt `attempt` of `id` ended; settling as sent or
    /// failed drops the sealed code. `false`, and nothing written, when the
    /// row is no longer queued under that attempt (settled, superseded, or
    /// claimed again after the lease lapsed).
    async fn settle(&self, id: Uuid, attempt: u32, outcome: &Settlement, now: DateTime<Utc>) -> Result<bool>;
    async fn get(&self, id: Uuid) -> Result<Option<Delivery>>;
    /// Queues a message that serves no challenge (a notice).
    async fn queue(&self, delivery: &Delivery) -> Result<()>;
}

/// The security event log.
#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn record(&self, event: &AuditEvent) -> Result<()>;
    /// Events about `subject` (a user or an application), newest first,
    /// strictly before the event `before`.
    async fn list(&self, subject: Subject, before: Option<Uuid>, limit: u32) -> Result<Vec<AuditEvent>>;
}

/// Counters for throttling, shared by all nodes.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// When `key` is locked until, if that is after `now`.
    async fn locked_until(&self, key: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>>;
    /// Counts one more consecutive failure for `key`; returns the new count.
    async fn add_failure(&self, key: &str, now: DateTime<Utc>) -> Result<u32>;
    /// Locks `key` until `until`, unless it is already locked for longer.
    async fn lock(&self, key: &str, until: DateTime<Utc>) -> Result<()>;
    /// Forgets `key`'s failures and lock.
    async fn clear(&self, key: &str) -> Result<()>;
    /// Counts one request in `key`'s fixed window of `window`, starting a new
    /// window when the current one is over.
    async fn hit(&self, key: &str, now: DateTime<Utc>, window: std::time::Duration) -> Result<Window>;
    /// Takes back one request counted in `key`'s window that began at
    /// `started` (none if the window has since restarted), as if it had
    /// never come: a window holding more than `limit` (refused requests
    /// counted too) is left at `limit - 1`. One conditional UPDATE.
    async fn unhit(&self, key: &str, started: DateTime<Utc>, limit: u32) -> Result<()>;
    /// Drops counters idle since `before` whose lock is over.
    async fn purge(&self, before: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64>;
}

/// Authenticator-app enrolments, one per user.
#[async_trait]
pub trait TotpRepo: Send + Sync {
    async fn get(&self, user: UserId) -> Result<Option<TotpCredential>>;
    /// Stores a pending enrolment, replacing a pending one. `false`, and
    /// nothing stored, when the user already has an active one.
    async fn put_pending(&self, credential: &TotpCredential) -> Result<bool>;
    /// Activates the pending enrolment whose secret is `sealed_secret` (the
    /// one the code was checked against), `step` being its first accepted
    /// step. `false` when nothing is pending, or another enrolment replaced
    /// it meanwhile: a secret the user never saw is never activated.
    async fn confirm(&self, user: UserId, sealed_secret: &[u8], step: u64, now: DateTime<Utc>) -> Result<bool>;
    /// Accepts `step` for an active enrolment only if it is later than every
    /// step accepted before: of concurrent callers with one step, one wins.
    async fn accept_step(&self, user: UserId, step: u64) -> Result<bool>;
    /// Removes the enrolment, pending or active; whether there was one.
    async fn delete(&self, user: UserId) -> Result<bool>;
}

/// Recovery codes, as keyed hashes, a set per user.
#[async_trait]
pub trait RecoveryCodeRepo: Send + Sync {
    /// Replaces the user's set: the old codes stop working. Concurrent
    /// replacements leave exactly one whole set.
    async fn replace_set(&self, user: UserId, hashes: &[Vec<u8>], now: DateTime<Utc>) -> Result<()>;
    /// Spends the unused code with this hash. Of concurrent callers, one wins.
    async fn consume(&self, user: UserId, hash: &[u8], now: DateTime<Utc>) -> Result<bool>;
    /// Unused codes left.
    async fn remaining(&self, user: UserId) -> Result<u32>;
    /// Drops the set; how many codes (used or not) went.
    async fn delete_all(&self, user: UserId) -> Result<u64>;
}

/// Shortest configured sealing key accepted (`AUTHD_ENCRYPTION_KEY`): 256 bits.
pub const MIN_SEALING_KEY_BYTES: usize = 32;

/// Authenticated encryption for secrets that must be read back (TOTP
/// secrets): a stolen database dump reveals none. `context` binds a sealed
/// value to its owner, so it cannot be moved to another row.
pub trait SecretSealer: Send + Sync {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>>;
    /// `Error::Internal` when the value was tampered with, moved, or sealed
    /// under another key.
    fn open(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>>;
}

/// What the data-lifecycle purge deletes, each kind by its own rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purgeable {
    /// Sessions that expired, or were revoked, before the cutoff: neither
    /// half of their tokens can be honoured again.
    Sessions,
    /// Code challenges that expired before the cutoff (with their temporary
    /// token: nothing can be asked of them again).
    Challenges,
    /// Passkey ceremonies that expired before the cutoff.
    Ceremonies,
    /// Trusted devices whose trust ended before the cutoff.
    TrustedDevices,
    /// Messages whose code expired before the cutoff, sent or not.
    Messages,
    /// Security events recorded before the cutoff.
    Events,
    /// OpenID Connect authorization requests that expired before the cutoff.
    AuthorizeRequests,
    /// Authorization codes that expired before the cutoff (used or not).
    AuthorizationCodes,
    /// SMS guard prefixes idle since before the cutoff and not blocked
    /// then (their window long over; their strikes are forgotten).
    SmsPrefixes,
}

#[async_trait]
pub trait PurgeStore: Send + Sync {
    /// Deletes up to `limit` rows of `what` that its rule says were finished
    /// before `before`; how many. Concurrent calls on any number of nodes
    /// delete each row once and do not wait on each other's rows.
    async fn purge(&self, what: Purgeable, before: DateTime<Utc>, limit: u32) -> Result<u64>;
}

mod apps;
mod authorizations;
mod clients;
mod passkeys;
mod sms_guard;
mod users;
pub use apps::AppRepo;
pub use authorizations::{AuthorizationRepo, IdTokenSigner};
pub use clients::ClientRepo;
pub use passkeys::{PasskeyRepo, WebAuthn};
pub use sms_guard::{DEPLOYMENT, PrefixBlock, PrefixCount, PrefixWindow, SendLimits, SmsGuardStore};
pub use users::UserRepo;
