//! A message to one person on one channel, in domain terms.

use chrono::{DateTime, Utc};

use crate::otp::OtpCode;
use crate::words::stable_words;

stable_words! {
    /// How a message travels. The words are stable (API, database, logs).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Channel {
        Email = "email",
        Sms = "sms",
        Whatsapp = "whatsapp",
    }
}

stable_words! {
    /// Why a message is sent; each has its own wording.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum MessageKind {
        /// The code for the second step of a login.
        LoginCode = "login_code",
        /// The code that proves a phone number is the user's.
        PhoneVerification = "phone_verification",
        /// A code an application asked authd to send to one of its users.
        Verification = "verification",
        /// A link and code that prove an email address is the user's.
        EmailVerification = "email_verification",
        /// A link and code to set a new password.
        PasswordReset = "password_reset",
        /// A notice to the old address: the account's address was changed.
        EmailChanged = "email_changed",
        /// A notice: the account's password was reset.
        PasswordResetDone = "password_reset_done",
        /// The code a logged-in user types to prove who they are again.
        ReauthCode = "reauth_code",
    }
}

/// What link a message carries, under the public URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    None,
    /// The page, with the message's token (`?token=`).
    WithToken(&'static str),
    /// The page alone (a notice's way to act).
    Page(&'static str),
}

impl MessageKind {
    /// The link a message of this kind carries.
    pub fn link(self) -> Link {
        match self {
            MessageKind::EmailVerification => Link::WithToken("/ui/verify-email"),
            MessageKind::PasswordReset => Link::WithToken("/ui/reset/confirm"),
            MessageKind::EmailChanged | MessageKind::PasswordResetDone => Link::Page("/ui/reset"),
            MessageKind::LoginCode
            | MessageKind::ReauthCode
            | MessageKind::PhoneVerification
            | MessageKind::Verification => Link::None,
        }
    }

    /// Whether a message of this kind carries a code; notices do not.
    pub fn carries_code(self) -> bool {
        !matches!(self, MessageKind::EmailChanged | MessageKind::PasswordResetDone)
    }
}

/// What a [`Notifier`](crate::ports::Notifier) is asked to send. `to` is an
/// email address for [`Channel::Email`] and an E.164 number otherwise,
/// checked when the message was queued.
#[derive(Debug, Clone)]
pub struct Message {
    pub channel: Channel,
    pub to: String,
    pub kind: MessageKind,
    /// The code to type; `None` for notices ([`MessageKind::carries_code`]).
    pub code: Option<OtpCode>,
    /// The whole link to open (the public URL, the page, the token), for
    /// the kinds that carry one ([`MessageKind::link`]).
    pub link: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// Who it says it is from: an application's name; `None`: authd.
    pub sender: Option<String>,
}

/// A provider accepted the message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipt {
    /// The provider's id for it (SMTP queue id, Twilio SID, Vonage message-id).
    pub provider_id: Option<String>,
}

/// A provider did not take the message. `reason` is stored and shown to
/// admins, so it names the provider's status or error code and never
/// carries the code, a credential or the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// Whether trying again later may work (outage, throttling) or not
    /// (refused destination, bad credentials).
    pub retryable: bool,
    pub reason: String,
    /// When the provider asked to wait at least this long (HTTP Retry-After).
    pub retry_after: Option<std::time::Duration>,
}

impl SendFailure {
    pub fn retryable(reason: impl Into<String>) -> Self {
        Self { retryable: true, reason: reason.into(), retry_after: None }
    }

    pub fn permanent(reason: impl Into<String>) -> Self {
        Self { retryable: false, reason: reason.into(), retry_after: None }
    }
}

impl std::fmt::Display for SendFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_and_kind_names_are_the_stable_words_of_the_api_and_the_database() {
        let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(channels, ["email", "sms", "whatsapp"]);
        let kinds: Vec<&str> = MessageKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "login_code",
                "phone_verification",
                "verification",
                "email_verification",
                "password_reset",
                "email_changed",
                "password_reset_done",
                "reauth_code"
            ]
        );
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        for k in MessageKind::ALL {
            assert_eq!(MessageKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Channel::parse("pigeon"), None);
        assert_eq!(MessageKind::parse("spam"), None);
    }
}
