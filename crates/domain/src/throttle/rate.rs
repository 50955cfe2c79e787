//! Request limits: fixed one-minute (registration: one-hour) windows per
//! client address on the routes that guess or create, and a one-hour
//! window per user on phone codes, which cost money. The numbers are in
//! [`RateLimits`](crate::policy::RateLimits).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::policy::RateLimits;

/// A limited kind of request, counted per client address or per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateScope {
    Token,
    VerifyOtp,
    Registration,
    /// Codes sent to a user's phone to verify it, per user.
    PhoneCode,
}

impl RateScope {
    pub fn as_str(self) -> &'static str {
        match self {
            RateScope::Token => "token",
            RateScope::VerifyOtp => "otp",
            RateScope::Registration => "register",
            RateScope::PhoneCode => "phone_code",
        }
    }

    /// What a window is counted for: `ip` (the client address) or `user`.
    pub fn counted_per(self) -> &'static str {
        match self {
            RateScope::PhoneCode => "user",
            RateScope::Token | RateScope::VerifyOtp | RateScope::Registration => "ip",
        }
    }

    /// Requests allowed in one window of this scope, and the window.
    pub fn limit_in(self, limits: &RateLimits) -> (u32, Duration) {
        match self {
            RateScope::Token => (limits.token_per_minute, Duration::from_secs(60)),
            RateScope::VerifyOtp => (limits.verify_otp_per_minute, Duration::from_secs(60)),
            RateScope::Registration => (limits.registrations_per_hour, Duration::from_secs(3600)),
            RateScope::PhoneCode => (limits.phone_codes_per_hour, Duration::from_secs(3600)),
        }
    }
}

/// A window's count after this request, and when the window started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub hits: u32,
    pub started: DateTime<Utc>,
}
