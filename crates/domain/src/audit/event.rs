//! Security events: what happened to an account, when, and who did it. An
//! event never carries a password, code, token or hash.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::user::UserId;

/// What happened. The names are stable: operators alert on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Registered,
    LoginSucceeded,
    LoginFailed,
    OtpSent,
    OtpVerified,
    OtpFailed,
    OtpLocked,
    PasswordChanged,
    LoggedOut,
    RefreshReused,
    AccountDeleted,
    UserUpdatedByAdmin,
    UserDeactivated,
    UserDeletedByAdmin,
    AdminBootstrapped,
    AccountLocked,
    TotpEnrolmentStarted,
    TotpEnabled,
    TotpDisabled,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    SecondFactorsReset,
    DeliverySent,
    DeliveryFailed,
    PhoneVerified,
}

impl EventKind {
    pub const ALL: [EventKind; 25] = [
        EventKind::Registered,
        EventKind::LoginSucceeded,
        EventKind::LoginFailed,
        EventKind::OtpSent,
        EventKind::OtpVerified,
        EventKind::OtpFailed,
        EventKind::OtpLocked,
        EventKind::PasswordChanged,
        EventKind::LoggedOut,
        EventKind::RefreshReused,
        EventKind::AccountDeleted,
        EventKind::UserUpdatedByAdmin,
        EventKind::UserDeactivated,
        EventKind::UserDeletedByAdmin,
        EventKind::AdminBootstrapped,
        EventKind::AccountLocked,
        EventKind::TotpEnrolmentStarted,
        EventKind::TotpEnabled,
        EventKind::TotpDisabled,
        EventKind::RecoveryCodeUsed,
        EventKind::RecoveryCodesRegenerated,
        EventKind::SecondFactorsReset,
        EventKind::DeliverySent,
        EventKind::DeliveryFailed,
        EventKind::PhoneVerified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Registered => "registered",
            EventKind::LoginSucceeded => "login_succeeded",
            EventKind::LoginFailed => "login_failed",
            EventKind::OtpSent => "otp_sent",
            EventKind::OtpVerified => "otp_verified",
            EventKind::OtpFailed => "otp_failed",
            EventKind::OtpLocked => "otp_locked",
            EventKind::PasswordChanged => "password_changed",
            EventKind::LoggedOut => "logged_out",
            EventKind::RefreshReused => "refresh_reused",
            EventKind::AccountDeleted => "account_deleted",
            EventKind::UserUpdatedByAdmin => "user_updated_by_admin",
            EventKind::UserDeactivated => "user_deactivated",
            EventKind::UserDeletedByAdmin => "user_deleted_by_admin",
            EventKind::AdminBootstrapped => "admin_bootstrapped",
            EventKind::AccountLocked => "account_locked",
            EventKind::TotpEnrolmentStarted => "totp_enrolment_started",
            EventKind::TotpEnabled => "totp_enabled",
            EventKind::TotpDisabled => "totp_disabled",
            EventKind::RecoveryCodeUsed => "recovery_code_used",
            EventKind::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            EventKind::SecondFactorsReset => "second_factors_reset",
            EventKind::DeliverySent => "delivery_sent",
            EventKind::DeliveryFailed => "delivery_failed",
            EventKind::PhoneVerified => "phone_verified",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One recorded event. `user_id` is the account it concerns; `actor_id` the
/// admin who acted, when it was not the user themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub user_id: UserId,
    pub actor_id: Option<UserId>,
    pub kind: EventKind,
    /// Non-secret particulars: field names changed, sessions revoked, tries left.
    pub detail: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_kind_name_round_trips() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
    }
}
