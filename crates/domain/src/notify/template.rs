//! The wording of every message, in one place: a subject and plain text for
//! every channel, and HTML for mail. Nothing here comes from a user, so the
//! HTML needs no escaping beyond what is written.

use super::message::{Message, MessageKind};

/// A message as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Mail subject; the other channels have none.
    pub subject: String,
    /// The whole text of an SMS or WhatsApp message, the plain part of a mail.
    pub text: String,
    /// The HTML part of a mail.
    pub html: String,
}

/// The words for `message`.
pub fn render(message: &Message) -> Rendered {
    let code = message.code.as_str();
    let until = message.expires_at.format("%H:%M UTC");
    let (subject, purpose) = match message.kind {
        MessageKind::LoginCode => (format!("Your authd login code: {code}"), "finish logging in"),
        MessageKind::PhoneVerification => (format!("Your authd phone code: {code}"), "confirm this phone number"),
    };
    let text = format!(
        "{code} is your authd code to {purpose}. It is valid until {until}. Never share it: authd never asks for it."
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <p>Your authd code to {purpose}:</p>\
         <p style=\"font-size:28px;letter-spacing:4px\"><strong>{code}</strong></p>\
         <p>It is valid until {until}. Never share it: authd never asks for it.</p>\
         <p style=\"color:#666\">If you did not ask for it, someone knows your password or is trying your \
         account: change your password.</p></body></html>"
    );
    Rendered { subject, text, html }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::notify::message::Channel;
    use crate::otp::OtpCode;

    fn message(kind: MessageKind) -> Message {
        Message {
            channel: Channel::Sms,
            to: "+14155550100".into(),
            kind,
            code: OtpCode::parse("042137").unwrap(),
            expires_at: Utc.with_ymd_and_hms(2026, 11, 24, 12, 4, 0).unwrap(),
        }
    }

    #[test]
    fn every_message_carries_its_code_its_expiry_and_a_warning_not_to_share_it() {
        for kind in MessageKind::ALL {
            let r = render(&message(kind));
            for part in [&r.text, &r.html] {
                assert!(
                    part.contains("042137") && part.contains("12:04 UTC") && part.contains("Never share"),
                    "{part}"
                );
            }
            assert!(r.subject.contains("042137"));
            assert!(r.text.len() <= 160, "one SMS segment: {} chars", r.text.len());
        }
        assert_ne!(
            render(&message(MessageKind::LoginCode)).text,
            render(&message(MessageKind::PhoneVerification)).text
        );
    }
}
