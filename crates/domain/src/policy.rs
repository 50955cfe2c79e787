//! Every lifetime and limit an operator may tune, with its default, written
//! once. Configuration starts from [`Policy::default`] and overrides fields;
//! the rules that are not tunable (OTP attempts, the lockout schedule) live
//! with their concept in `otp/` and `throttle/`.

use std::time::Duration;

use crate::notify::DeliveryPolicy;
use crate::throttle::RateLimits;

/// Lifetimes and limits an operator may tune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// The temporary token's lifetime, and so its one-time code's.
    pub temporary_ttl: Duration,
    pub otp_resend_cooldown: Duration,
    pub rate_limits: RateLimits,
    /// Whether a user with an authenticator app may also log in with a
    /// sent code (mail, or SMS/WhatsApp to a verified phone). Off: the app (or a recovery code) is then the only way.
    pub totp_mail_fallback: bool,
    /// Whether passkeys are offered (`AUTHD_PASSKEYS`): off, a login never
    /// lists them, and the routes are gone.
    pub passkeys: bool,
    /// How the courier retries messages.
    pub delivery: DeliveryPolicy,
    /// How long finished data is kept, and how it is purged.
    pub retention: crate::retention::Retention,
    /// How long an application's previous API key keeps working after a rotation.
    pub app_key_grace: Duration,
    /// Verifications of one application pending at once for one destination.
    pub verification_max_pending: u32,
    /// Where people reach authd: the start of every mailed link.
    pub public_url: String,
    /// How long a mailed email proof (link and code) works.
    pub email_verification_ttl: Duration,
    /// How long a password-reset mail (link and code) works.
    pub reset_ttl: Duration,
    /// Whether a login needs a proved email address.
    pub require_verified_email: bool,
    /// How recently a session's user must have proved who they are for a
    /// sensitive change (RFC 9470 `max_age`).
    pub reauth_max_age: Duration,
    /// How long a device trusted after a second factor skips it
    /// (`AUTHD_TRUSTED_DEVICE_DAYS`); zero turns trusted devices off.
    pub trusted_device_ttl: Duration,
    /// Who must have a second factor (`AUTHD_REQUIRE_2FA`).
    pub require_2fa: crate::assurance::SecondFactorPolicy,
    /// Which numbers texted codes may go to (`AUTHD_SMS_COUNTRIES`,
    /// `AUTHD_SMS_COSTLY_NUMBERS`).
    pub sms_numbers: crate::sms_guard::NumberRules,
    /// Velocity and conversion per destination prefix (`AUTHD_SMS_PREFIX_*`,
    /// `AUTHD_SMS_GUARD_*`).
    pub sms_prefixes: crate::sms_guard::PrefixRules,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            temporary_ttl: Duration::from_secs(4 * 60),
            otp_resend_cooldown: Duration::from_secs(30),
            rate_limits: RateLimits {
                token_per_minute: 30,
                verify_otp_per_minute: 30,
                registrations_per_hour: 20,
                phone_codes_per_hour: 6,
                email_codes_per_hour: 6,
                reset_requests_per_hour: 20,
                reset_mails_per_hour: 3,
                verifications_per_app_per_minute: 100,
                verifications_per_destination_per_hour: 5,
            },
            totp_mail_fallback: false,
            passkeys: true,
            delivery: DeliveryPolicy::default(),
            retention: crate::retention::Retention::default(),
            app_key_grace: crate::app::api_key::DEFAULT_ROTATION_GRACE,
            verification_max_pending: 3,
            public_url: "http://localhost:8000".into(),
            email_verification_ttl: Duration::from_secs(24 * 3600),
            reset_ttl: Duration::from_secs(15 * 60),
            require_verified_email: false,
            reauth_max_age: Duration::from_secs(300),
            trusted_device_ttl: Duration::from_secs(30 * 24 * 3600),
            require_2fa: crate::assurance::SecondFactorPolicy::None,
            sms_numbers: crate::sms_guard::NumberRules::default(),
            sms_prefixes: crate::sms_guard::PrefixRules::default(),
        }
    }
}

impl Policy {
    /// The longest any token lives: how long a retired signing key must keep
    /// verifying (a browser session's token lives as long as a refresh token).
    pub fn longest_token_lifetime(&self) -> Duration {
        self.access_ttl.max(self.refresh_ttl).max(self.temporary_ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retired_signing_key_outlives_every_token_kind() {
        let p = Policy::default();
        assert_eq!(p.longest_token_lifetime(), p.refresh_ttl);
        for (access, refresh, temporary) in [(900, 60, 30), (10, 60, 30), (10, 20, 30)] {
            let p = Policy {
                access_ttl: Duration::from_secs(access),
                refresh_ttl: Duration::from_secs(refresh),
                temporary_ttl: Duration::from_secs(temporary),
                ..Policy::default()
            };
            assert_eq!(p.longest_token_lifetime().as_secs(), access.max(refresh).max(temporary));
        }
    }
}
