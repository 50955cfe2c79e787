//! Security events as the account page says them: a sentence a person
//! reads ("Signed in with your password and a code from your app"), not the
//! stable names and identifiers the API and operators use.

use domain::audit::{AuditEvent, Detail, EventKind};

/// One event as the page lists it.
pub struct EventLine {
    pub at: String,
    pub what: String,
}

/// The events worth a person's attention, as sentences: a message handed
/// to its provider is already told by the code it carried ("A code was
/// sent by mail"), so only a failed one is listed.
pub fn lines(events: &[AuditEvent], when: impl Fn(&AuditEvent) -> String) -> Vec<EventLine> {
    events
        .iter()
        .filter(|e| e.kind != EventKind::DeliverySent)
        .map(|e| EventLine { at: when(e), what: sentence(e) })
        .collect()
}

fn text<'a>(e: &'a AuditEvent, key: &str) -> &'a str {
    e.detail.get(key).and_then(Detail::text).unwrap_or_default()
}

fn count(e: &AuditEvent, key: &str) -> Option<u64> {
    e.detail.get(key).and_then(Detail::count)
}

fn flag(e: &AuditEvent, key: &str) -> bool {
    matches!(e.detail.get(key), Some(Detail::Flag(true))) || text(e, key) == "true"
}

/// " by mail", " by SMS", " by WhatsApp": how a message went (nothing for another word).
fn by(channel: &str) -> &'static str {
    match channel {
        "email" => " by mail",
        "sms" => " by SMS",
        "whatsapp" => " by WhatsApp",
        _ => "",
    }
}

/// What proved a factor, after "with".
fn factor(word: &str) -> &'static str {
    match word {
        "password" => "your password",
        "email" => "a code by mail",
        "sms" => "a code by SMS",
        "whatsapp" => "a code by WhatsApp",
        "totp" => "a code from your app",
        "recovery_code" => "a recovery code",
        "passkey" => "a passkey",
        "trusted_device" => "a trusted device",
        "password_reset" => "a password reset",
        _ => "a second factor",
    }
}

/// "a, b and c".
fn and_list(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn tries(e: &AuditEvent) -> String {
    count(e, "remaining_attempts").map(|n| format!(" ({})", domain::error::tries_left(n as u32))).unwrap_or_default()
}

fn sessions_out(e: &AuditEvent, key: &str) -> &'static str {
    if count(e, key).unwrap_or(0) > 0 { "; your other sessions were logged out" } else { "" }
}

/// The sentence for one event.
pub fn sentence(e: &AuditEvent) -> String {
    use EventKind as K;
    let method = text(e, "method");
    match e.kind {
        K::Registered => "Account created".into(),
        K::LoginSucceeded => {
            let words: Vec<&str> = text(e, "factors").split(',').filter(|w| !w.is_empty()).map(factor).collect();
            match text(e, "device") {
                "" => format!("Signed in with {}", and_list(&words)),
                device => format!("Signed in with {} — {device}", and_list(&words)),
            }
        }
        K::LoginFailed if text(e, "reason") == "inactive" => "A sign-in was refused: the account is deactivated".into(),
        K::LoginFailed => "A sign-in failed: wrong password".into(),
        K::OtpSent => {
            let again = if flag(e, "resend") { " again" } else { "" };
            let what = match text(e, "purpose") {
                "phone" => "A code to verify your phone",
                "step_up" => "A code to confirm it is you",
                "email" | "email_verification" => "A code to confirm your email address",
                _ => "A sign-in code",
            };
            format!("{what} was sent{}{again}", by(method))
        }
        K::OtpVerified => format!("{} accepted", capitalised(factor(method))),
        K::OtpFailed => format!("A wrong code was entered{}", tries(e)),
        K::OtpLocked => "Too many wrong codes: that sign-in was stopped".into(),
        K::PasswordChanged => format!("Password changed{}", sessions_out(e, "other_sessions_revoked")),
        K::LoggedOut if flag(e, "all") => "Logged out everywhere".into(),
        K::LoggedOut => "Logged out".into(),
        K::SessionEnded => "Another session was logged out from this page".into(),
        K::RefreshReused => "A session's refresh token was used twice: the session was ended, to be safe".into(),
        K::AccountDeleted => "Account deleted".into(),
        K::UserUpdatedByAdmin => "An administrator changed your account".into(),
        K::UserDeactivated => "An administrator deactivated your account".into(),
        K::UserDeletedByAdmin => "An administrator deleted your account".into(),
        K::AdminBootstrapped => "Made an administrator".into(),
        K::AccountLocked => match count(e, "seconds") {
            Some(s) => format!("Too many failures: sign-ins were paused for {} min", s.div_ceil(60)),
            None => "Too many failures: sign-ins were paused".into(),
        },
        K::TotpEnrolmentStarted => "Adding an authenticator app was started".into(),
        K::TotpEnabled => "Authenticator app added".into(),
        K::TotpDisabled => format!("Authenticator app removed{}", sessions_out(e, "other_sessions_revoked")),
        K::RecoveryCodeUsed => match count(e, "left") {
            Some(1) => "A recovery code was used (1 left)".into(),
            Some(n) => format!("A recovery code was used ({n} left)"),
            None => "A recovery code was used".into(),
        },
        K::RecoveryCodesRegenerated => "New recovery codes were made (the old ones no longer work)".into(),
        K::SecondFactorsReset => "An administrator removed your second factors".into(),
        K::DeliverySent => format!("A message was sent{}", by(text(e, "channel"))),
        K::DeliveryFailed => format!("A message{} could not be sent", by(text(e, "channel"))),
        K::PhoneVerified => format!("Phone number verified{}", by(text(e, "channel"))),
        K::EmailVerified => "Email address confirmed".into(),
        K::PasswordResetRequested => "A password reset was asked for".into(),
        K::PasswordReset => "Password reset from the mailed link; every session was logged out".into(),
        K::RecoveryViaEmailOnly => "Signed in again after a reset by mail alone".into(),
        K::PasskeyAdded => format!("Passkey “{}” added", text(e, "name")),
        K::PasskeyRenamed => format!("Passkey renamed “{}”", text(e, "name")),
        K::PasskeyRemoved => format!("A passkey was removed{}", sessions_out(e, "other_sessions_revoked")),
        K::PasskeyUsed => format!("Passkey “{}” used", text(e, "name")),
        K::PasskeyRejected => "A passkey answer was refused".into(),
        K::PasskeyCloneSuspected => "A passkey looked copied, and was refused".into(),
        K::Reauthenticated => "You confirmed it was you".into(),
        K::ReauthenticationFailed => "Confirming it was you failed: wrong password".into(),
        K::TrustedDeviceAdded => format!("Device remembered: {}", text(e, "label")),
        K::TrustedDeviceUsed => format!("Signed in on a remembered device: {}", text(e, "label")),
        K::TrustedDeviceRemoved => "A remembered device was forgotten".into(),
        K::TrustedDevicesRevoked => "Every remembered device was forgotten".into(),
        K::OidcConsentGranted => "You allowed an application to sign you in".into(),
        K::OidcCodeIssued => "Signed in to an application".into(),
        K::OidcCodeReplayed => "An application's sign-in code was used twice: its session was ended".into(),
        K::OidcTokensIssued => "An application received your tokens".into(),
        K::OidcTokenRevoked => "An application gave its access back".into(),
        // About applications, clients and the deployment: not on a person's page.
        other => capitalised(&other.as_str().replace('_', " ")),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::subject::Subject;
    use domain::user::UserId;

    fn event(kind: EventKind, detail: &[(&str, Detail)]) -> AuditEvent {
        AuditEvent {
            id: uuid::Uuid::nil(),
            at: chrono::Utc::now(),
            subject: Subject::User(UserId(uuid::Uuid::nil())),
            actor_id: None,
            kind,
            detail: detail.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
        }
    }

    #[test]
    fn events_read_as_sentences_without_identifiers() {
        let login = event(EventKind::LoginSucceeded, &[("factors", "password,totp".into())]);
        assert_eq!(sentence(&login), "Signed in with your password and a code from your app");
        let on =
            event(EventKind::LoginSucceeded, &[("factors", "passkey".into()), ("device", "Firefox on Linux".into())]);
        assert_eq!(sentence(&on), "Signed in with a passkey — Firefox on Linux");
        let failed = event(EventKind::OtpFailed, &[("remaining_attempts", 1u32.into()), ("method", "email".into())]);
        assert_eq!(sentence(&failed), "A wrong code was entered (1 try left)");
        let sent = event(EventKind::OtpSent, &[("method", "email".into()), ("resend", false.into())]);
        assert_eq!(sentence(&sent), "A sign-in code was sent by mail");
        let delivery = event(EventKind::DeliverySent, &[("delivery", "01a2".into())]);
        assert!(lines(&[delivery, sent], |_| String::new()).len() == 1, "a message handed over is told by its code");
        let out = event(EventKind::LoggedOut, &[("all", true.into())]);
        assert_eq!(sentence(&out), "Logged out everywhere");
    }
}
