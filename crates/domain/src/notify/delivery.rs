//! A row of the outbox: one message waiting to go out, or the record of
//! how it went. It is written in the same transaction as the challenge it
//! carries a code for, so a code exists exactly when its message is queued.
//! The code is sealed while queued and dropped once the row is settled.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::message::{Channel, MessageKind};
use crate::app::AppId;
use crate::user::UserId;
use crate::words::stable_words;

/// The error a queued message records when a resend replaced its code
/// before it went out: the outdated code is never sent.
pub const SUPERSEDED: &str = "superseded by a newer code";

/// The error a queued message records when its verification was canceled
/// before it went out.
pub const CANCELED: &str = "the verification was canceled";

stable_words! {
    /// Where a message is. The words are stable (API, database).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum DeliveryStatus {
        /// Waiting for its first or next attempt.
        Queued = "queued",
        /// A provider accepted it.
        Sent = "sent",
        /// Given up: refused for good, out of attempts, or its code expired first.
        Failed = "failed",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    /// The user it is about, whose security events record the outcome.
    pub user_id: Option<UserId>,
    /// The application it is about (a verification), whose events record it.
    pub app_id: Option<AppId>,
    /// Who the message says it is from (the application's name); `None`: authd.
    pub sender: Option<String>,
    pub channel: Channel,
    /// Email address or E.164 number.
    pub to: String,
    pub kind: MessageKind,
    /// The code, sealed to this delivery's id; `None` once settled. For a
    /// message that carries a link, the code, a space and the link's token
    /// ([`sealed_payload`]).
    pub sealed_code: Option<Vec<u8>>,
    /// When the code stops working: a message still queued then is not sent.
    pub expires_at: DateTime<Utc>,
    pub status: DeliveryStatus,
    /// Attempts started (claims), including one in progress.
    pub attempts: u32,
    /// When the next attempt may start; while an attempt runs, when its
    /// claim lapses and another node may take the row over.
    pub next_attempt_at: DateTime<Utc>,
    pub provider_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub settled_at: Option<DateTime<Utc>>,
}

/// What a delivery seals: its code (none for a notice), and a space and the
/// token of the link it carries, if any.
pub fn sealed_payload(code: Option<&str>, link: Option<&str>) -> String {
    let code = code.unwrap_or("");
    match link {
        Some(token) => format!("{code} {token}"),
        None => code.to_owned(),
    }
}

/// [`sealed_payload`] read back: the code and the link's token.
pub fn open_payload(payload: &str) -> (Option<&str>, Option<&str>) {
    let (code, token) = match payload.split_once(' ') {
        Some((code, token)) => (code, Some(token)),
        None => (payload, None),
    };
    ((!code.is_empty()).then_some(code), token)
}

impl Delivery {
    /// A message due at once: `sealed_code` is its code sealed to `id`.
    #[allow(clippy::too_many_arguments)]
    pub fn queued(
        id: Uuid,
        user_id: Option<UserId>,
        channel: Channel,
        to: String,
        kind: MessageKind,
        sealed_code: Vec<u8>,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            user_id,
            app_id: None,
            sender: None,
            channel,
            to,
            kind,
            sealed_code: Some(sealed_code),
            expires_at,
            status: DeliveryStatus::Queued,
            attempts: 0,
            next_attempt_at: now,
            provider_id: None,
            last_error: None,
            created_at: now,
            settled_at: None,
        }
    }
}

/// How an attempt ended, as the outbox records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Sent { provider_id: Option<String> },
    Retry { at: DateTime<Utc>, error: String },
    Failed { error: String },
}

/// How hard the courier tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Wait after the first failed attempt; each further failure doubles it.
    pub retry_base: Duration,
    /// The longest wait between attempts.
    pub retry_cap: Duration,
    /// Attempts before giving up (a code's expiry usually comes first).
    pub max_attempts: u32,
    /// How long a claimed row stays hidden from other nodes: longer than
    /// any provider call may take, so only a crashed node's row is retaken.
    pub claim_lease: Duration,
    /// Rows one node claims at a time (and sends at once).
    pub batch: u32,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(60),
            max_attempts: 10,
            claim_lease: Duration::from_secs(60),
            batch: 16,
        }
    }
}

impl DeliveryPolicy {
    /// The wait after `attempts` failed attempts: base · 2^(attempts−1),
    /// at most the cap, and never less than a provider asked for (within
    /// the cap).
    pub fn retry_delay(&self, attempts: u32, asked: Option<Duration>) -> Duration {
        let doubled = self.retry_base.saturating_mul(1u32.checked_shl(attempts.saturating_sub(1)).unwrap_or(u32::MAX));
        doubled.max(asked.unwrap_or_default()).min(self.retry_cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let p = DeliveryPolicy::default();
        let waits: Vec<u64> = (1..=9).map(|n| p.retry_delay(n, None).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(p.retry_delay(40, None), p.retry_cap, "no overflow however many attempts");
        assert_eq!(
            p.retry_delay(1, Some(Duration::from_secs(20))).as_secs(),
            20,
            "a provider's Retry-After is honoured"
        );
        assert_eq!(p.retry_delay(1, Some(Duration::from_secs(3600))), p.retry_cap, "within the cap");
    }

    #[test]
    fn status_names_are_the_stable_words_of_the_api_and_the_database() {
        let words: Vec<&str> = DeliveryStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(words, ["queued", "sent", "failed"]);
        for s in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(s.as_str()), Some(s));
        }
    }
}
