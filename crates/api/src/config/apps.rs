//! Registered applications: how long a replaced API key keeps working, and
//! how many verifications one application may start.

use domain::policy::Policy;

use super::section::section;

section! {
    /// Settings of registered applications and their verifications.
    pub struct Apps {
        /// `AUTHD_APP_KEY_GRACE_SECONDS`: how long an application's previous API
        /// key keeps working after a rotation (default a day; 0 ends it at once).
        pub app_key_grace_seconds: u64 = Policy::default().app_key_grace.as_secs(),
        /// `AUTHD_RATE_VERIFICATIONS_PER_APP_PER_MINUTE`: verifications one
        /// application may start per minute.
        pub rate_verifications_per_app_per_minute: u32 = Policy::default().rate_limits.verifications_per_app_per_minute,
        /// `AUTHD_RATE_VERIFICATIONS_PER_DESTINATION_PER_HOUR`: verifications one
        /// application may start for one destination per hour.
        pub rate_verifications_per_destination_per_hour: u32 =
            Policy::default().rate_limits.verifications_per_destination_per_hour,
        /// `AUTHD_VERIFICATION_MAX_PENDING`: verifications of one application
        /// pending at once for one destination (0: no cap).
        pub verification_max_pending: u32 = Policy::default().verification_max_pending,
    }
}

impl Apps {
    pub(super) fn problems(&self, problems: &mut Vec<String>) {
        if self.app_key_grace_seconds > 90 * 24 * 3600 {
            problems
                .push("AUTHD_APP_KEY_GRACE_SECONDS must be at most 7776000 (90 days): a replaced key must stop".into());
        }
    }
}
