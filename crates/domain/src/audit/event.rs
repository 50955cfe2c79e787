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
