//! The in-memory database. The repositories are one [`MemDb`] behind one lock,
//! so cross-table rules (cascades, "only for an active user") hold as they
//! do in SQL; the contract suites in [`super::contract`] run against it and
//! against the SQL adapters alike, so the two cannot drift apart.

mod apps;
mod audit;
mod authorizations;
mod clients;
mod login_finish;
mod otps;
mod outbox;
mod passkeys;
mod purge;
mod recovery_codes;
mod sessions;
mod sms_guard;
mod throttle;
mod totp;
mod trusted_devices;
mod users;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

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
pub(crate) struct ThrottleRow {
    failures: u32,
    locked_until: Option<DateTime<Utc>>,
    pub(crate) hits: u32,
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
    pub(crate) throttles: HashMap<String, ThrottleRow>,
    /// `sms_prefixes`, by prefix.
    pub(crate) prefixes: HashMap<String, sms_guard::PrefixRow>,
    pub audit: Vec<AuditEvent>,
    pub apps: HashMap<AppId, App>,
    /// Keys by their hex hash, as the `app_keys` primary key finds them.
    pub app_keys: HashMap<Vec<u8>, AppKey>,
    pub passkeys: HashMap<Uuid, crate::passkey::Passkey>,
    pub ceremonies: HashMap<Uuid, crate::passkey::Ceremony>,
    /// Devices with their token's hash (`ux_trusted_devices_token_hash`).
    pub trusted_devices: HashMap<Uuid, (crate::trusted_device::TrustedDevice, Vec<u8>)>,
    pub clients: HashMap<crate::oidc::ClientId, crate::oidc::Client>,
    /// Secrets by their hash, as the `oidc_client_secrets` primary key finds them.
    pub client_secrets: HashMap<Vec<u8>, crate::oidc::StoredSecret>,
    /// `oidc_clients.credentials_grant`, by client.
    pub credentials_grants: HashMap<crate::oidc::ClientId, uuid::Uuid>,
    pub authorize_requests: HashMap<Uuid, (crate::oidc::AuthorizeRequest, DateTime<Utc>)>,
    pub consents: HashMap<(UserId, crate::oidc::ClientId), crate::oidc::Consent>,
    /// Codes by their hash.
    pub codes: HashMap<Vec<u8>, CodeRow>,
}

/// A code, when it was used, and the session its redemption opened.
pub type CodeRow = (crate::oidc::code::CodeGrant, Option<DateTime<Utc>>, Option<Uuid>);

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

    /// The SQL's `cancel_open_links`: the account's open mailed links
    /// (resets, proofs) die when its password or address changes.
    fn cancel_open_links(&mut self, id: UserId, now: DateTime<Utc>) {
        let open_reset = |c: &&mut OtpChallenge| {
            c.owner == Subject::User(id)
                && matches!(c.purpose, Purpose::Reset | Purpose::Email)
                && c.used_at.is_none()
                && c.canceled_at.is_none()
        };
        for c in self.otps.values_mut().filter(open_reset) {
            c.canceled_at = Some(now);
        }
    }

    /// Whether `id` is the only active administrator: the rows the SQL
    /// `keeps_an_admin` condition refuses to change or delete.
    fn is_last_active_admin(&self, id: UserId) -> bool {
        let admin = |s: &StoredUser| s.user.is_admin && s.user.is_active;
        self.users.get(&id).is_some_and(admin) && !self.users.values().any(|s| s.user.id != id && admin(s))
    }
}

/// The consume UPDATE's condition (unused, not canceled, under the tries,
/// unexpired): the domain's own rule, as the SQL states it.
fn consumable(c: &OtpChallenge, now: DateTime<Utc>, max: u32) -> bool {
    c.closed_reason_under(now, max).is_none()
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
