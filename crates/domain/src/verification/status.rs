//! What an application may know about one of its verifications.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::Error;
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
    /// The status of `challenge` at `now`: pending while it is open, else
    /// what closed it, in the order [`OtpChallenge::closed_reason`] decides
    /// (so an approved code stays approved once expired).
    pub fn of(challenge: &OtpChallenge, now: DateTime<Utc>) -> Self {
        challenge.closed_reason(now).and_then(|reason| Self::closed_by(&reason)).unwrap_or(Self::Pending)
    }

    /// The status a challenge's closing reason names; `None` for an error
    /// that closes nothing.
    pub fn closed_by(reason: &Error) -> Option<Self> {
        match reason {
            Error::OtpUsed => Some(Self::Approved),
            Error::OtpCanceled => Some(Self::Canceled),
            Error::OtpLocked => Some(Self::Failed),
            Error::TokenExpired => Some(Self::Expired),
            _ => None,
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
