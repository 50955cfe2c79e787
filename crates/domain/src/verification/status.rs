//! What an application may know about one of its verifications.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::notify::{Channel, DeliveryStatus};
use crate::otp::OtpChallenge;
use crate::words::stable_words;

stable_words! {
    /// Where a verification is. The words are stable (API, events).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum VerificationStatus {
        /// Its code was sent and may still be checked.
        Pending = "pending",
        /// The right code was given; it cannot be checked again.
        Approved = "approved",
        /// Its code's lifetime ran out.
        Expired = "expired",
        /// Too many wrong codes.
        Failed = "failed",
        /// The application canceled it.
        Canceled = "canceled",
    }
}

impl VerificationStatus {
    /// The status of `challenge` at `now`: a closed state wins over time
    /// running out, so an approved code stays approved once expired.
    pub fn of(challenge: &OtpChallenge, now: DateTime<Utc>) -> Self {
        if challenge.used_at.is_some() {
            Self::Approved
        } else if challenge.canceled_at.is_some() {
            Self::Canceled
        } else if challenge.attempts >= challenge.rules.max_attempts {
            Self::Failed
        } else if now >= challenge.expires_at {
            Self::Expired
        } else {
            Self::Pending
        }
    }
}

/// One verification as its application sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub id: Uuid,
    pub status: VerificationStatus,
    pub channel: Channel,
    /// The destination, masked ([`mask`](crate::otp::sent_codes::mask)).
    pub to: String,
    /// Wrong codes given so far.
    pub attempts: u32,
    pub remaining_attempts: u32,
    pub resends_left: u32,
    /// How long until a new code may be sent.
    pub resend_after: Duration,
    /// Where the current code's message is.
    pub delivery: Option<DeliveryStatus>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}
