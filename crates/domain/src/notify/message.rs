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
    }
}

impl MessageKind {
    /// The page a mailed link of this kind opens, under the public URL;
    /// `None` for messages that carry only a code.
    pub fn link_path(self) -> Option<&'static str> {
        match self {
            MessageKind::EmailVerification => Some("/ui/verify-email"),
            MessageKind::LoginCode | MessageKind::PhoneVerification | MessageKind::Verification => None,
        }
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
    pub code: OtpCode,
    /// The whole link to open (the public URL, the page, the token), for
    /// the kinds that carry one ([`MessageKind::link_path`]).
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
        assert_eq!(kinds, ["login_code", "phone_verification", "verification", "email_verification"]);
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
