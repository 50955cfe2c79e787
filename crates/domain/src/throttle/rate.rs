//! Per-client-address limits: fixed one-minute (registration: one-hour)
//! windows on the routes that guess or create. The numbers are in
//! [`RateLimits`](crate::policy::RateLimits).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::policy::RateLimits;

/// A route limited per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateScope {
    Token,
    VerifyOtp,
    Registration,
}

impl RateScope {
    pub fn as_str(self) -> &'static str {
        match self {
            RateScope::Token => "token",
            RateScope::VerifyOtp => "otp",
            RateScope::Registration => "register",
        }
    }

    /// Requests allowed in one window of this scope, and the window.
    pub fn limit_in(self, limits: &RateLimits) -> (u32, Duration) {
        match self {
            RateScope::Token => (limits.token_per_minute, Duration::from_secs(60)),
            RateScope::VerifyOtp => (limits.verify_otp_per_minute, Duration::from_secs(60)),
            RateScope::Registration => (limits.registrations_per_hour, Duration::from_secs(3600)),
        }
    }
}

/// A window's count after this request, and when the window started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub hits: u32,
    pub started: DateTime<Utc>,
}
