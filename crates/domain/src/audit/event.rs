//! Security events: what happened to an account, when, and who did it. An
//! event never carries a password, code, token or hash.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::subject::Subject;
use crate::user::UserId;
use crate::words::stable_words;

stable_words! {
    /// What happened. The names are stable: operators alert on them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum EventKind {
        Registered = "registered",
        LoginSucceeded = "login_succeeded",
        LoginFailed = "login_failed",
        OtpSent = "otp_sent",
        OtpVerified = "otp_verified",
        OtpFailed = "otp_failed",
        OtpLocked = "otp_locked",
        PasswordChanged = "password_changed",
        LoggedOut = "logged_out",
        SessionEnded = "session_ended",
        RefreshReused = "refresh_reused",
        AccountDeleted = "account_deleted",
        UserUpdatedByAdmin = "user_updated_by_admin",
        UserDeactivated = "user_deactivated",
        UserDeletedByAdmin = "user_deleted_by_admin",
        AdminBootstrapped = "admin_bootstrapped",
        AccountLocked = "account_locked",
        TotpEnrolmentStarted = "totp_enrolment_started",
        TotpEnabled = "totp_enabled",
        TotpDisabled = "totp_disabled",
        RecoveryCodeUsed = "recovery_code_used",
        RecoveryCodesRegenerated = "recovery_codes_regenerated",
        SecondFactorsReset = "second_factors_reset",
        DeliverySent = "delivery_sent",
        DeliveryFailed = "delivery_failed",
        PhoneVerified = "phone_verified",
        EmailVerified = "email_verified",
        PasswordResetRequested = "password_reset_requested",
        PasswordReset = "password_reset",
        RecoveryViaEmailOnly = "recovery_via_email_only",
        AppCreated = "app_created",
        AppUpdated = "app_updated",
        AppDeactivated = "app_deactivated",
        AppKeyRotated = "app_key_rotated",
        AppDeleted = "app_deleted",
        VerificationCanceled = "verification_canceled",
        PasskeyAdded = "passkey_added",
        PasskeyRenamed = "passkey_renamed",
        PasskeyRemoved = "passkey_removed",
        PasskeyUsed = "passkey_used",
        PasskeyRejected = "passkey_rejected",
        PasskeyCloneSuspected = "passkey_clone_suspected",
        Reauthenticated = "reauthenticated",
        ReauthenticationFailed = "reauthentication_failed",
        TrustedDeviceAdded = "trusted_device_added",
        TrustedDeviceUsed = "trusted_device_used",
        TrustedDeviceRemoved = "trusted_device_removed",
        TrustedDevicesRevoked = "trusted_devices_revoked",
        OidcClientCreated = "oidc_client_created",
        OidcClientUpdated = "oidc_client_updated",
        OidcClientSecretRotated = "oidc_client_secret_rotated",
        OidcClientDeleted = "oidc_client_deleted",
        OidcConsentGranted = "oidc_consent_granted",
        OidcCodeIssued = "oidc_code_issued",
        OidcCodeReplayed = "oidc_code_replayed",
        OidcTokensIssued = "oidc_tokens_issued",
        OidcTokenRevoked = "oidc_token_revoked",
        FraudPrefixBlocked = "fraud_prefix_blocked",
        FraudPrefixUnblocked = "fraud_prefix_unblocked",
        SmsSendingPaused = "sms_sending_paused",
    }
}

/// One recorded event. `subject` is the account (or application) it
/// concerns; `actor_id` the admin who acted, when it was not the user themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub subject: Subject,
    pub actor_id: Option<UserId>,
    pub kind: EventKind,
    /// Non-secret particulars: field names changed, sessions revoked, tries left.
    pub detail: BTreeMap<String, Detail>,
}

/// One particular of an event, kept as what it is: a word or an id, a
/// count, or yes/no. Stored and served as the JSON string, number or
/// boolean (events written before counts were numbers keep their strings).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Detail {
    Flag(bool),
    Count(u64),
    Text(String),
}

impl Detail {
    /// The text, for a word or an id; `None` for a count or a flag.
    pub fn text(&self) -> Option<&str> {
        match self {
            Detail::Text(t) => Some(t),
            Detail::Flag(_) | Detail::Count(_) => None,
        }
    }

    /// The count, also from a count stored as text by an older release.
    pub fn count(&self) -> Option<u64> {
        match self {
            Detail::Count(n) => Some(*n),
            Detail::Text(t) => t.parse().ok(),
            Detail::Flag(_) => None,
        }
    }
}

impl std::fmt::Display for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Detail::Flag(b) => b.fmt(f),
            Detail::Count(n) => n.fmt(f),
            Detail::Text(t) => t.fmt(f),
        }
    }
}

impl From<String> for Detail {
    fn from(t: String) -> Self {
        Detail::Text(t)
    }
}

impl From<&str> for Detail {
    fn from(t: &str) -> Self {
        Detail::Text(t.to_owned())
    }
}

impl From<bool> for Detail {
    fn from(b: bool) -> Self {
        Detail::Flag(b)
    }
}

impl From<u32> for Detail {
    fn from(n: u32) -> Self {
        Detail::Count(n.into())
    }
}

impl From<u64> for Detail {
    fn from(n: u64) -> Self {
        Detail::Count(n)
    }
}

impl From<usize> for Detail {
    fn from(n: usize) -> Self {
        Detail::Count(n as u64)
    }
}

impl PartialEq<&str> for Detail {
    fn eq(&self, other: &&str) -> bool {
        self.text() == Some(*other)
    }
}

impl PartialEq<String> for Detail {
    fn eq(&self, other: &String) -> bool {
        self.text() == Some(other.as_str())
    }
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

    #[test]
    fn counts_and_flags_are_stored_as_json_numbers_and_booleans_and_read_back_as_such() {
        let detail: BTreeMap<String, Detail> =
            [("left".to_owned(), 3u32.into()), ("all".to_owned(), true.into()), ("id".to_owned(), "7a".into())].into();
        let json = serde_json::to_string(&detail).unwrap();
        assert_eq!(json, r#"{"all":true,"id":"7a","left":3}"#);
        assert_eq!(serde_json::from_str::<BTreeMap<String, Detail>>(&json).unwrap(), detail);
        // A count an older release stored as text stays text, and still counts.
        let old: Detail = serde_json::from_str(r#""4""#).unwrap();
        assert_eq!((old.text(), old.count()), (Some("4"), Some(4)));
    }
}
