//! The wording of every message, in one place: a subject and plain text for
//! every channel, and HTML for mail. The one value from outside, an
//! application's name (set by an admin), is escaped in the HTML.

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
    let code = code_of(message);
    let until = message.expires_at.format("%H:%M UTC");
    let (subject, purpose) = match message.kind {
        MessageKind::LoginCode => (format!("Your authd login code: {code}"), "finish logging in"),
        MessageKind::PhoneVerification => (format!("Your authd phone code: {code}"), "confirm this phone number"),
        MessageKind::ReauthCode => (format!("Your authd code to confirm it is you: {code}"), "confirm it is you"),
        MessageKind::Verification => return verification(message),
        MessageKind::EmailVerification => return email_verification(message),
        MessageKind::PasswordReset => return password_reset(message),
        MessageKind::EmailChanged | MessageKind::PasswordResetDone => return notice(message),
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

/// An application's code: its name, not authd's, and no advice about a
/// password the person may not have.
fn verification(message: &Message) -> Rendered {
    let code = code_of(message);
    let until = message.expires_at.format("%H:%M UTC");
    let app = message.sender.as_deref().unwrap_or("verification");
    let short: String = app.chars().take(40).collect();
    let text = format!("{code} is your {short} code. It is valid until {until}. Never share it with anyone.");
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <p>Your {app} code:</p>\
         <p style=\"font-size:28px;letter-spacing:4px\"><strong>{code}</strong></p>\
         <p>It is valid until {until}. Never share it with anyone.</p>\
         <p style=\"color:#666\">If you did not ask for it, you can ignore this message.</p></body></html>",
        app = escape(app)
    );
    Rendered { subject: format!("Your {app} code: {code}"), text, html }
}

/// The proof of an email address: the link, and the short code for reading
/// the mail on another device.
fn email_verification(message: &Message) -> Rendered {
    let code = code_of(message);
    let until = message.expires_at.format("%Y-%m-%d %H:%M UTC");
    let link = message.link.as_deref().unwrap_or("");
    let text = format!(
        "Confirm that this address is yours for authd: open {link}\n\n         Or enter the code {code} with this address. Both are valid until {until}. Never share them: authd          never asks for them.\n\nIf you did not create an authd account or change its address, ignore this mail."
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <p>Confirm that this address is yours for authd:</p>\
         <p><a href=\"{href}\">Confirm my email address</a></p>\
         <p>Or enter this code with your email address:</p>\
         <p style=\"font-size:28px;letter-spacing:4px\"><strong>{code}</strong></p>\
         <p>Both are valid until {until}. Never share them: authd never asks for them.</p>\
         <p style=\"color:#666\">If you did not create an authd account or change its address, ignore this \
         mail.</p></body></html>",
        href = escape(link)
    );
    Rendered { subject: format!("Confirm your email address for authd: {code}"), text, html }
}

/// A reset: the link, and the short code for reading the mail on another
/// device; a second factor is still asked for after it.
fn password_reset(message: &Message) -> Rendered {
    let code = code_of(message);
    let until = message.expires_at.format("%H:%M UTC");
    let link = message.link.as_deref().unwrap_or("");
    let text = format!(
        "To choose a new authd password, open {link}\n\n\
         Or enter the code {code} with your email address. Both are valid until {until} and work once. Never \
         share them: authd never asks for them.\n\nIf you did not ask for this, ignore this mail: your password \
         stays as it is."
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">\
         <p>To choose a new authd password:</p>\
         <p><a href=\"{href}\">Choose a new password</a></p>\
         <p>Or enter this code with your email address:</p>\
         <p style=\"font-size:28px;letter-spacing:4px\"><strong>{code}</strong></p>\
         <p>Both are valid until {until} and work once. Never share them: authd never asks for them.</p>\
         <p style=\"color:#666\">If you did not ask for this, ignore this mail: your password stays as it \
         is.</p></body></html>",
        href = escape(link)
    );
    Rendered { subject: format!("Reset your authd password: {code}"), text, html }
}

/// A notice about the account: what happened, and what to do if it was
/// not the person reading it.
fn notice(message: &Message) -> Rendered {
    let (subject, what) = match message.kind {
        MessageKind::EmailChanged => (
            "The email address of your authd account was changed",
            "The email address of your authd account was changed; mail goes to the new address once it is confirmed.",
        ),
        _ => ("Your authd password was reset", "The password of your authd account was reset and every session ended."),
    };
    let link = message.link.as_deref().unwrap_or("");
    let text = format!(
        "{what}\n\nIf it was not you, someone has your password or your mailbox: reset your password at {link} and tell your administrator."
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>{what}</p>\
         <p>If it was not you, someone has your password or your mailbox: \
         <a href=\"{href}\">reset your password</a> and tell your administrator.</p></body></html>",
        href = escape(link)
    );
    Rendered { subject: subject.to_owned(), text, html }
}

/// The message's code, as words show it (none for a notice).
fn code_of(message: &Message) -> &str {
    message.code.as_ref().map_or("", |c| c.as_str())
}

/// `s` as HTML text.
fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::notify::message::{Channel, Link};
    use crate::otp::OtpCode;

    fn message(kind: MessageKind) -> Message {
        Message {
            channel: Channel::Sms,
            to: "+14155550100".into(),
            kind,
            code: kind.carries_code().then(|| OtpCode::parse("042137").unwrap()),
            link: match kind.link() {
                Link::WithToken(p) => Some(format!("https://id.example.com{p}?token=0123&x=<y>")),
                Link::Page(p) => Some(format!("https://id.example.com{p}")),
                Link::None => None,
            },
            expires_at: Utc.with_ymd_and_hms(2026, 11, 24, 12, 4, 0).unwrap(),
            sender: Some("Acme <Shop>".into()),
        }
    }

    #[test]
    fn every_message_carries_its_code_its_expiry_and_a_warning_not_to_share_it() {
        for kind in MessageKind::ALL.into_iter().filter(|k| k.carries_code()) {
            let r = render(&message(kind));
            for part in [&r.text, &r.html] {
                assert!(
                    part.contains("042137") && part.contains("12:04 UTC") && part.contains("Never share"),
                    "{part}"
                );
            }
            assert!(r.subject.contains("042137"));
            if kind.link() == Link::None {
                assert!(r.text.len() <= 160, "one SMS segment: {} chars", r.text.len());
            }
        }
        assert_ne!(
            render(&message(MessageKind::LoginCode)).text,
            render(&message(MessageKind::PhoneVerification)).text
        );
    }

    #[test]
    fn a_notice_says_what_happened_and_where_to_reset_the_password_and_carries_no_code() {
        for kind in [MessageKind::EmailChanged, MessageKind::PasswordResetDone] {
            let r = render(&Message { channel: Channel::Email, ..message(kind) });
            assert!(r.text.contains("https://id.example.com/ui/reset"), "{}", r.text);
            assert!(r.text.contains("If it was not you"), "{}", r.text);
            assert!(!r.text.contains("042137") && !r.subject.contains("042137"));
        }
    }

    #[test]
    fn a_mailed_link_is_in_the_text_whole_and_in_the_html_escaped() {
        let r = render(&Message { channel: Channel::Email, ..message(MessageKind::EmailVerification) });
        assert!(r.text.contains("https://id.example.com/ui/verify-email?token=0123&x=<y>"), "{}", r.text);
        assert!(r.html.contains("href=\"https://id.example.com/ui/verify-email?token=0123&amp;x=&lt;y&gt;\""));
        assert!(!r.html.contains("<y>"), "{}", r.html);
    }

    #[test]
    fn a_verification_names_its_application_escaped_in_html() {
        let r = render(&message(MessageKind::Verification));
        assert!(r.text.starts_with("042137 is your Acme <Shop> code."), "{}", r.text);
        assert!(r.html.contains("Acme &lt;Shop&gt;") && !r.html.contains("<Shop>"), "{}", r.html);
        assert!(!r.text.contains("authd"), "the app's message, not authd's");
        let long = Message { sender: Some("x".repeat(100)), ..message(MessageKind::Verification) };
        assert!(render(&long).text.len() <= 160, "one SMS segment even for a long name");
    }
}
