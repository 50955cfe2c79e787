//! Limits on what one caller may ask for: requests per client address or
//! user, and how long a password check may queue.

use domain::policy::Policy;

use super::section::section;

section! {
    /// Settings of the rate limits and of the password-hashing queue.
    pub struct Limits {
        /// `AUTHD_RATE_TOKEN_PER_MINUTE`: `/auth/token` requests per client
        /// address and minute (0: no limit).
        pub rate_token_per_minute: u32 = Policy::default().rate_limits.token_per_minute,
        /// `AUTHD_RATE_OTP_PER_MINUTE`: `/auth/verify-otp` requests per client address and minute.
        pub rate_otp_per_minute: u32 = Policy::default().rate_limits.verify_otp_per_minute,
        /// `AUTHD_RATE_REGISTRATIONS_PER_HOUR`: registrations per client address and hour.
        pub rate_registrations_per_hour: u32 = Policy::default().rate_limits.registrations_per_hour,
        /// `AUTHD_RATE_PHONE_CODES_PER_HOUR`: phone-verification code requests per user and hour.
        pub rate_phone_codes_per_hour: u32 = Policy::default().rate_limits.phone_codes_per_hour,
        /// `AUTHD_RATE_EMAIL_CODES_PER_HOUR`: mails proving an email address a
        /// user may ask for per hour.
        pub rate_email_codes_per_hour: u32 = Policy::default().rate_limits.email_codes_per_hour,
        /// `AUTHD_RATE_RESET_REQUESTS_PER_HOUR`: password-reset requests per
        /// client address and hour (past it, 429: it reveals no address).
        pub rate_reset_requests_per_hour: u32 = Policy::default().rate_limits.reset_requests_per_hour,
        /// `AUTHD_RATE_RESET_MAILS_PER_HOUR`: password-reset mails per account
        /// and hour (past it, the same 202 and no mail).
        pub rate_reset_mails_per_hour: u32 = Policy::default().rate_limits.reset_mails_per_hour,
        /// `AUTHD_HASH_CONCURRENCY`: password hashes run at once; default: CPU count.
        pub hash_concurrency: Option<usize> = None,
        /// `AUTHD_HASH_QUEUE_MAX_WAIT_MS`: a login (or any password check) that
        /// would wait longer than this for a hashing thread is answered 503
        /// `overloaded` at once; 0 queues without bound.
        pub hash_queue_max_wait_ms: u64 = 1000,
    }
}
