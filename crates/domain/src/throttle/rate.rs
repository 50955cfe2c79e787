//! Request limits: fixed one-minute (registration: one-hour) windows per
//! client address on the routes that guess or create, and a one-hour
//! window per user on phone codes, which cost money. The numbers are
//! [`RateLimits`], which the operator's `Policy` holds.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Requests allowed per window and client address (phone codes: per
/// user); 0 turns a limit off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    pub token_per_minute: u32,
    pub verify_otp_per_minute: u32,
    pub registrations_per_hour: u32,
    pub phone_codes_per_hour: u32,
    /// Mails proving an email address, per user and hour.
    pub email_codes_per_hour: u32,
    /// Password-reset requests per client address and hour.
    pub reset_requests_per_hour: u32,
    /// Password-reset mails per account and hour.
    pub reset_mails_per_hour: u32,
    /// Verifications one application may start per minute.
    pub verifications_per_app_per_minute: u32,
    /// Verifications one application may start for one destination per hour.
    pub verifications_per_destination_per_hour: u32,
}

/// Where a request comes from, as the HTTP layer read it: the network
/// address (`X-Forwarded-For` only from a trusted proxy), which the
/// per-address limits count, and the `User-Agent` the device sent, which a
/// login's event names ("Chrome on Linux"). The use cases that guess or
/// create take it, so the API and the pages cannot count differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String, pub Option<String>);

impl ClientAddress {
    /// The address, with what its device says it is.
    pub fn with_user_agent(address: String, user_agent: Option<&str>) -> Self {
        Self(address, user_agent.map(str::to_owned))
    }

    /// The device in a person's words, when it said what it is.
    pub fn device(&self) -> Option<String> {
        self.1.as_deref().map(|ua| crate::trusted_device::label_from(Some(ua)))
    }
}

impl From<&str> for ClientAddress {
    fn from(address: &str) -> Self {
        Self(address.to_owned(), None)
    }
}

/// A limited kind of request, counted per client address or per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateScope {
    Token,
    VerifyOtp,
    Registration,
    /// Codes sent to a user's phone to verify it or for a step-up, per user.
    PhoneCode,
    /// Mails sent to prove a user's email address or for a step-up, per user.
    EmailCode,
    /// Password-reset requests, per client address.
    ResetRequest,
    /// Password-reset mails, per account.
    ResetMail,
    /// Verifications an application starts, per application and minute.
    AppVerifications,
    /// Verifications an application starts for one destination, per hour.
    VerificationDestination,
}

impl RateScope {
    pub fn as_str(self) -> &'static str {
        match self {
            RateScope::Token => "token",
            RateScope::VerifyOtp => "otp",
            RateScope::Registration => "register",
            RateScope::PhoneCode => "phone_code",
            RateScope::EmailCode => "email_code",
            RateScope::ResetRequest => "reset",
            RateScope::ResetMail => "reset_mail",
            RateScope::AppVerifications => "verify",
            RateScope::VerificationDestination => "verify_to",
        }
    }

    /// The throttle key counting `subject`'s requests of this scope: a
    /// client address (`ip:…`), for phone codes a user id (`user:…`), for
    /// verifications an app id, or an app id and a destination (`app:…`).
    pub fn key(self, subject: &str) -> String {
        let per = match self {
            RateScope::PhoneCode | RateScope::EmailCode | RateScope::ResetMail => "user",
            RateScope::Token | RateScope::VerifyOtp | RateScope::Registration | RateScope::ResetRequest => "ip",
            RateScope::AppVerifications | RateScope::VerificationDestination => "app",
        };
        format!("{per}:{}:{subject}", self.as_str())
    }

    /// What a refusal of this scope says was limited.
    pub fn refusal(self) -> &'static str {
        match self {
            RateScope::Token => "too many login attempts from this address",
            RateScope::VerifyOtp => "too many code checks from this address",
            RateScope::Registration => "too many registrations from this address",
            RateScope::PhoneCode => "too many codes went to your phone this hour",
            RateScope::EmailCode => "too many mails went to your address this hour",
            RateScope::ResetRequest => "too many password-reset requests from this address",
            RateScope::ResetMail => "too many password-reset mails went to this account this hour",
            RateScope::AppVerifications => "this application started too many verifications this minute",
            RateScope::VerificationDestination => "this application sent too many codes to this destination this hour",
        }
    }

    /// Requests allowed in one window of this scope, and the window.
    pub fn limit_in(self, limits: &RateLimits) -> (u32, Duration) {
        match self {
            RateScope::Token => (limits.token_per_minute, Duration::from_secs(60)),
            RateScope::VerifyOtp => (limits.verify_otp_per_minute, Duration::from_secs(60)),
            RateScope::Registration => (limits.registrations_per_hour, Duration::from_secs(3600)),
            RateScope::PhoneCode => (limits.phone_codes_per_hour, Duration::from_secs(3600)),
            RateScope::EmailCode => (limits.email_codes_per_hour, Duration::from_secs(3600)),
            RateScope::ResetRequest => (limits.reset_requests_per_hour, Duration::from_secs(3600)),
            RateScope::ResetMail => (limits.reset_mails_per_hour, Duration::from_secs(3600)),
            RateScope::AppVerifications => (limits.verifications_per_app_per_minute, Duration::from_secs(60)),
            RateScope::VerificationDestination => {
                (limits.verifications_per_destination_per_hour, Duration::from_secs(3600))
            }
        }
    }
}

/// A window's count after this request, and when the window started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub hits: u32,
    pub started: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_keys_name_what_they_count_so_per_address_and_per_user_windows_never_mix() {
        assert_eq!(RateScope::Token.key("203.0.113.7"), "ip:token:203.0.113.7");
        assert_eq!(RateScope::VerifyOtp.key("203.0.113.7"), "ip:otp:203.0.113.7");
        assert_eq!(RateScope::Registration.key("203.0.113.7"), "ip:register:203.0.113.7");
        assert_eq!(RateScope::PhoneCode.key("0190a1b2"), "user:phone_code:0190a1b2");
        assert_eq!(RateScope::AppVerifications.key("0190a1b2"), "app:verify:0190a1b2");
        assert_eq!(
            RateScope::VerificationDestination.key("0190a1b2:+14155550100"),
            "app:verify_to:0190a1b2:+14155550100"
        );
    }
}
