//! Turning templates, redirects and refusals into responses.

use askama::Template;
use poem::http::{StatusCode, header};
use poem::{IntoResponse, Response};

use crate::http::error::Problem;

/// Why a page could not do what was asked.
#[derive(Debug)]
pub enum Failure {
    /// No live session: the login page.
    LoggedOut,
    /// The browser's session is over (logged out in another tab or on
    /// another device, or expired): the login page, saying so.
    SessionOver,
    /// A session that may only enrol a second factor (`AUTHD_REQUIRE_2FA`):
    /// the account page, which shows only that.
    EnrolFirst,
    /// A form without its CSRF token, or posted from another origin.
    Forged,
    /// A use case refused, worded by the one error mapping.
    Refused(Box<Problem>),
}

impl From<domain::Error> for Failure {
    fn from(e: domain::Error) -> Self {
        Failure::Refused(Box::new(Problem::from(e)))
    }
}

impl From<Failure> for poem::Error {
    fn from(f: Failure) -> Self {
        poem::Error::from_response(failure_page(f))
    }
}

/// A refusal as a sentence for a person: the problem's detail, capitalised.
/// A field's fault names the field as the pages label it, never the API's
/// field name ("Phone: …"; a code's fault needs no name: the page asks for one code).
pub fn sentence(p: &Problem) -> String {
    match (field_reason(p), p.field.as_deref().and_then(label)) {
        (Some(why), Some(label)) => as_sentence(&format!("{label}: {why}")),
        (Some(why), None) => as_sentence(why),
        (None, _) if p.detail.is_empty() => as_sentence(&p.title),
        (None, _) => as_sentence(&p.detail),
    }
}

/// Why a field was refused, without its name: to show beside the field.
pub fn reason(p: &Problem) -> String {
    as_sentence(field_reason(p).unwrap_or(&p.detail))
}

/// The reason of an `invalid_field` problem ("{field} is invalid: {reason}").
fn field_reason(p: &Problem) -> Option<&str> {
    let field = p.field.as_deref()?;
    p.detail.strip_prefix(field)?.strip_prefix(" is invalid: ")
}

/// How the pages label an API field; `None` for a code (the page asks for one).
fn label(field: &str) -> Option<&'static str> {
    Some(match field {
        "email" => "Email",
        "username" => "Username",
        "name" => "First name",
        "lastname" => "Last name",
        "phone" => "Phone",
        "password" | "new_password" | "new" => "Password",
        _ => return None,
    })
}

fn as_sentence(text: &str) -> String {
    let mut chars = text.chars();
    let text = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
        None => return String::new(),
    };
    if text.ends_with(['.', '!', '?']) { text } else { format!("{text}.") }
}

/// The status a refusal answers with.
pub fn status_of(p: &Problem) -> StatusCode {
    StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A page for a person, with the status it answers.
pub fn page(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Response::builder().status(status).content_type("text/html; charset=utf-8").body(html),
        Err(e) => Problem::internal(&e).into_response(),
    }
}

/// 303 See Other: after a form, the browser fetches `to` with GET.
pub fn redirect(to: &str) -> Response {
    Response::builder().status(StatusCode::SEE_OTHER).header(header::LOCATION, to).finish()
}

/// A page that only says something, with a link onwards.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub title: &'a str,
    pub message: String,
    pub link: &'a str,
    pub link_text: &'a str,
}

/// What a failure shows when the page cannot show it inline.
pub fn failure_page(f: Failure) -> Response {
    match f {
        Failure::LoggedOut => redirect("/ui/login"),
        Failure::SessionOver => redirect("/ui/login?done=session_over"),
        Failure::EnrolFirst => redirect("/ui/account"),
        Failure::Forged => page(
            StatusCode::FORBIDDEN,
            &MessagePage {
                title: "Form expired",
                message: "This form was not sent from an open authd page (or it is out of date). Nothing was changed. Open the page again and retry.".into(),
                link: "/ui",
                link_text: "Back",
            },
        ),
        Failure::Refused(p) => {
            let shown = MessagePage { title: "Not done", message: sentence(&p), link: "/ui", link_text: "Back" };
            page_showing(Some(&p), &shown)
        }
    }
}

/// `?done=…`: which notice a page shows after a redirect.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

/// A notice chosen by a word in the address (`?done=…`): only these words
/// are shown, so no one can put their own text on our page.
pub fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "registered" => "Your account is ready. Log in.",
        "logged_out" => "You are logged out.",
        "logged_out_everywhere" => "You are logged out on every device.",
        "login_expired" => "That login expired before the code was entered. Log in again.",
        "too_many_codes" => "Too many wrong codes: that login is over. Log in again.",
        "session_over" => {
            "You were logged out (in another tab or on another device, or the session ran out). Log in again."
        }
        "profile" => "Profile saved.",
        "password" => "Password changed. Your other sessions were logged out.",
        "mailed_codes_on" => "A code will be sent by mail at each login.",
        "mailed_codes_off" => "Logins no longer ask for a mailed code.",
        "session_ended" => "That device is logged out.",
        "totp_removed" => "The authenticator app and its recovery codes are removed.",
        "code_sent" => "A new code is on its way.",
        "phone_code_sent" => "A code is on its way to your phone: enter it below.",
        "phone_verified" => "Your phone number is verified. It can now receive codes.",
        "reset_sent" => "If an account has this address, a mail to reset its password is on its way.",
        "password_reset" => "Your password is set. Every other device was logged out.",
        "email_sent" => "A new mail to confirm your address is on its way.",
        "passkey_added" => "Passkey added. Logins now ask for it (or another second factor).",
        "passkey_renamed" => "Passkey renamed.",
        "passkey_removed" => "Passkey removed. Your other sessions were logged out.",
        "reauthenticated" => "Thank you: it is you. Make your change again.",
        "device_forgotten" => "That device is forgotten: its next login asks for the second factor.",
        "app_asks" => "The application you are signing in to asks you to confirm it is you.",
        _ => return None,
    })
}

/// A page that shows `refused` (if any) inline: 200 without a refusal,
/// else the refusal's status, with its wait in `Retry-After` as the API
/// sends it.
pub fn page_showing(refused: Option<&Problem>, shown: &impl Template) -> Response {
    let Some(p) = refused else {
        return page(StatusCode::OK, shown);
    };
    let mut resp = page(status_of(p), shown);
    if let Some(after) = p.retry_after {
        resp.headers_mut().insert(header::RETRY_AFTER, after.into());
    }
    resp
}
