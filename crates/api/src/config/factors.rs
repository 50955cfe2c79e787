//! Second factors: how often a code may be sent again, and whether a mailed
//! code may stand in for an authenticator app.

use domain::policy::Policy;

use super::section::section;

section! {
    /// Settings of the second factors.
    pub struct Factors {
        /// `AUTHD_OTP_RESEND_COOLDOWN`, seconds between codes for one login.
        pub otp_resend_cooldown: u64 = Policy::default().otp_resend_cooldown.as_secs(),
        /// `AUTHD_TOTP_MAIL_FALLBACK`: let users with an authenticator app also
        /// answer with a mailed code (weaker: the mailbox becomes a second factor).
        pub totp_mail_fallback: bool = Policy::default().totp_mail_fallback,
        /// `AUTHD_REQUIRE_VERIFIED_EMAIL`: let in only accounts whose email
        /// address is proved (403 `email_unverified`, answered only after a
        /// right password).
        pub require_verified_email: bool = Policy::default().require_verified_email,
    }
}
