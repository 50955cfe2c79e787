//! Logging in at the pages: the password, then (for a two-factor account)
//! the code, and logging out. The same [`Login`] and [`SecondFactor`] use
//! cases as `/auth/token` and `/auth/verify-otp`, under the same per-address
//! limits, end in a browser session instead of a token pair.

use crate::http::state::Use;
use askama::Template;
use domain::login::{Login, LoginOutcome};
use domain::otp::{CodeStatus, Method, Remember, SecondFactor, Verified};
use domain::passkey::PasskeySignIn;
use domain::session::Sessions;
use domain::token::BrowserToken;
use poem::http::StatusCode;
use poem::web::{Form, Query};
use poem::{Response, handler};
use secrecy::SecretString;
use serde::Deserialize;
use std::time::Duration;

use super::browser::{Jar, Visitor};
use super::render::{self, Done, Failure, page, page_showing, redirect, sentence};
use crate::http::client_addr::ClientAddr;
use crate::http::error::Problem;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf: String,
    username: &'a str,
    /// Whether the page offers "Sign in with a passkey".
    passkeys: bool,
    notice: Option<&'static str>,
    error: Option<String>,
}

/// The login page showing why a login (by password or passkey) failed.
pub(super) fn login_page_with(visitor: &Visitor, passkeys: bool, p: Problem) -> Response {
    let shown =
        LoginPage { csrf: visitor.csrf_token(), username: "", passkeys, notice: None, error: Some(sentence(&p)) };
    page_showing(Some(&p), &shown)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    csrf: String,
    username: String,
    password: String,
}

#[handler]
pub async fn login_form(visitor: Visitor, sign_in: Use<'_, PasskeySignIn>, done: Query<Done>) -> Response {
    if visitor.caller().is_some() {
        return redirect("/ui/account");
    }
    // A login that ended unfinished (or a registration) left the name typed.
    let username = visitor.typed_name().unwrap_or_default();
    if matches!(done.done.as_deref(), Some("too_many_codes" | "login_expired")) {
        visitor.expire(Jar::PendingLogin);
    }
    let notice = render::notice(done.done.as_deref());
    let passkeys = sign_in.enabled();
    page(StatusCode::OK, &LoginPage { csrf: visitor.csrf_token(), username, passkeys, notice, error: None })
}

#[handler]
pub async fn login_submit(
    mut visitor: Visitor,
    login: Use<'_, Login>,
    sign_in: Use<'_, PasskeySignIn>,
    client: ClientAddr,
    Form(form): Form<LoginForm>,
) -> Response {
    // Logged in meanwhile (in another tab): nothing to do but go on.
    if visitor.caller().is_some() {
        return redirect(visitor.after_login());
    }
    if let Err(f) = visitor.check_form(&form.csrf) {
        return render::failure_page(f);
    }
    let password = SecretString::from(form.password);
    let device = visitor.device_token().map(str::to_owned);
    match login.login_on_device_as::<BrowserToken>(&client.0, &form.username, &password, device.as_deref()).await {
        Ok(LoginOutcome::Tokens(browser)) => {
            visitor.start_session(&browser);
            redirect(visitor.after_login())
        }
        Ok(LoginOutcome::SecondFactor(due)) => {
            visitor.begin_login(&due.temporary_token, &form.username, Duration::from_secs(due.expires_in));
            redirect("/ui/code")
        }
        Err(e) => {
            let p = Problem::from(e);
            let shown = LoginPage {
                csrf: visitor.csrf_token(),
                username: &form.username,
                passkeys: sign_in.enabled(),
                notice: None,
                error: Some(sentence(&p)),
            };
            page_showing(Some(&p), &shown)
        }
    }
}

/// One way to answer, as the code page (and "Confirm it is you") offers it.
pub(super) struct Choice {
    pub(super) value: &'static str,
    pub(super) label: &'static str,
    pub(super) selected: bool,
}

pub fn label(m: Method) -> &'static str {
    match m {
        Method::Passkey => "Your passkey",
        Method::Totp => "Code from your authenticator app",
        Method::RecoveryCode => "Recovery code",
        Method::Email => "Code sent by mail",
        Method::Sms => "Code sent by SMS",
        Method::Whatsapp => "Code sent by WhatsApp",
    }
}

/// The code page's sentence for the current code: how it travels and
/// whether it left (`delivery`: `queued`, `sent`, `failed`).
pub(super) fn prompt(method: Method, delivery: Option<&str>) -> String {
    let by = match method {
        Method::Email => "by mail",
        Method::Sms => "by SMS",
        Method::Whatsapp => "by WhatsApp",
        Method::Totp => return "Enter the code your authenticator app shows now.".into(),
        Method::RecoveryCode => return "Enter one of your recovery codes.".into(),
        Method::Passkey => return "Use your passkey.".into(),
    };
    match delivery {
        Some("queued") => format!("A code is on its way to you {by}. Enter it below."),
        Some("failed") => format!("The code {by} could not be sent. Ask for a new one below, or answer another way."),
        _ => format!("We sent you a code {by}. Enter it below."),
    }
}

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage {
    csrf: String,
    choices: Vec<Choice>,
    /// What to do now, as a sentence: where the current code is.
    prompt: String,
    /// Whether a sent code is on the way (`queued`, `sent`, `failed`).
    delivery: Option<&'static str>,
    remaining_attempts: u32,
    /// A new code can be asked for: a sent method exists and resends are left.
    can_resend: bool,
    /// Whether the login can be answered with a passkey.
    passkey: bool,
    resend_wait: u64,
    resends_left: u32,
    /// "Remember this device for N days", when the server trusts devices.
    remember_days: Option<u64>,
    notice: Option<&'static str>,
    error: Option<String>,
}

impl CodePage {
    fn new(
        csrf: String,
        status: &CodeStatus,
        methods: &[Method],
        chosen: Option<Method>,
        remember: Option<Duration>,
    ) -> Self {
        let chosen = chosen.unwrap_or(status.method);
        let sendable = methods.iter().any(|m| m.channel().is_some());
        CodePage {
            csrf,
            // A passkey is no code to type: its button is beside the form.
            choices: methods
                .iter()
                .filter(|m| **m != Method::Passkey)
                .map(|&m| Choice { value: m.as_str(), label: label(m), selected: m == chosen })
                .collect(),
            prompt: prompt(status.method, status.delivery.map(|d| d.as_str())),
            delivery: status.delivery.map(|d| d.as_str()),
            remaining_attempts: status.remaining_attempts,
            can_resend: sendable && status.resends_left > 0,
            passkey: methods.contains(&Method::Passkey),
            resend_wait: status.resend_after.as_secs(),
            resends_left: status.resends_left,
            remember_days: remember.map(|d| d.as_secs() / 86_400),
            notice: None,
            error: None,
        }
    }
}

/// The pending login's page, or (when it is over) the login page saying why.
pub(super) async fn code_page(
    visitor: &Visitor,
    second_factor: &SecondFactor,
    chosen: Option<Method>,
    refused: Option<Problem>,
    notice: Option<&'static str>,
) -> Response {
    let Some(token) = visitor.pending_login() else {
        return redirect("/ui/login");
    };
    match second_factor.pending(token).await {
        Ok((status, methods)) => {
            let remember = second_factor.remembers_devices_for();
            let mut shown = CodePage::new(visitor.csrf_token(), &status, &methods, chosen, remember);
            shown.notice = notice;
            shown.error = refused.as_ref().map(sentence);
            page_showing(refused.as_ref(), &shown)
        }
        Err(e @ (domain::Error::Unavailable(_) | domain::Error::Internal(_))) => render::failure_page(e.into()),
        // The login is over: finished in another tab (on to the account),
        // or out of tries or expired (the login page at its own address says
        // why once, with the name still typed; it drops the pending login's cookie).
        Err(_) if visitor.caller().is_some() => redirect(visitor.after_login()),
        Err(domain::Error::OtpLocked) => redirect("/ui/login?done=too_many_codes"),
        Err(_) => redirect("/ui/login?done=login_expired"),
    }
}

/// Where a form of the login under way goes when there is none: on to the
/// account if the login finished meanwhile (in another tab), else to the login page.
pub(super) fn no_login_under_way(visitor: &Visitor) -> Response {
    redirect(if visitor.caller().is_some() { visitor.after_login() } else { "/ui/login" })
}

#[handler]
pub async fn code_form(visitor: Visitor, second_factor: Use<'_, SecondFactor>, done: Query<Done>) -> Response {
    code_page(&visitor, &second_factor, None, None, render::notice(done.done.as_deref())).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    csrf: String,
    code: String,
    method: String,
    /// `on` when "Remember this device" is ticked.
    remember: String,
}

/// The form's method; an empty field is none, an unknown word a method the login lacks.
fn method_of(name: &str) -> Result<Option<Method>, domain::Error> {
    Some(name).filter(|n| !n.is_empty()).map(|n| Method::parse(n).ok_or(domain::Error::MethodUnavailable)).transpose()
}

#[handler]
pub async fn code_submit(
    mut visitor: Visitor,
    second_factor: Use<'_, SecondFactor>,
    client: ClientAddr,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some(token) = visitor.pending_login().map(str::to_owned) else {
        return no_login_under_way(&visitor);
    };
    if let Err(f) = visitor.check_form(&form.csrf) {
        return render::failure_page(f);
    }
    let chosen = match method_of(&form.method) {
        Ok(m) => m,
        Err(e) => return code_page(&visitor, &second_factor, None, Some(Problem::from(e)), None).await,
    };
    let remember = remember(&visitor, &form.remember);
    match second_factor.verify_as::<BrowserToken>(&client.0, &token, form.code.trim(), chosen, remember).await {
        Ok(done) => finished(&mut visitor, &second_factor, done),
        Err(e) => code_page(&visitor, &second_factor, chosen, Some(Problem::from(e)), None).await,
    }
}

/// What a ticked (`on`) "Remember this device" asks of the second step.
pub(super) fn remember<'v>(visitor: &'v Visitor, ticked: &str) -> Remember<'v> {
    Remember { device: ticked == "on", user_agent: visitor.user_agent() }
}

/// A finished second step at the pages: the browser's session, and its
/// trusted device's cookie when it asked to be remembered.
pub(super) fn finished(visitor: &mut Visitor, second_factor: &SecondFactor, done: Verified<BrowserToken>) -> Response {
    visitor.start_session(&done.pair);
    if let (Some(token), Some(lasts)) = (&done.device_token, second_factor.remembers_devices_for()) {
        visitor.trust_device(token, lasts);
    }
    redirect(visitor.after_login())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResendForm {
    csrf: String,
    method: String,
}

#[handler]
pub async fn resend_submit(
    visitor: Visitor,
    second_factor: Use<'_, SecondFactor>,
    Form(form): Form<ResendForm>,
) -> Response {
    let Some(token) = visitor.pending_login() else {
        return no_login_under_way(&visitor);
    };
    if let Err(f) = visitor.check_form(&form.csrf) {
        return render::failure_page(f);
    }
    let chosen = match method_of(&form.method) {
        Ok(m) => m,
        Err(e) => return code_page(&visitor, &second_factor, None, Some(Problem::from(e)), None).await,
    };
    match second_factor.resend(token, chosen).await {
        Ok(_) => redirect("/ui/code?done=code_sent"),
        Err(e) => code_page(&visitor, &second_factor, chosen, Some(Problem::from(e)), None).await,
    }
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage {
    csrf: String,
}

/// Logging out is a POST (a link could be followed by another site); this
/// page holds its buttons.
#[handler]
pub async fn logout_form(visitor: Visitor) -> Response {
    if let Err(f) = visitor.require_session() {
        return render::failure_page(f);
    }
    page(StatusCode::OK, &LogoutPage { csrf: visitor.csrf_token() })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogoutForm {
    csrf: String,
    /// `everywhere`: every session of the user, not only this browser's.
    scope: String,
}

#[handler]
pub async fn logout_submit(
    mut visitor: Visitor,
    sessions: Use<'_, Sessions>,
    Form(form): Form<LogoutForm>,
) -> Response {
    // Logged out already (in another tab): the login page says so.
    let caller = match visitor.require_session() {
        Ok(c) => c,
        Err(f) => return render::failure_page(f),
    };
    if let Err(f) = visitor.check_form(&form.csrf) {
        return render::failure_page(f);
    }
    let all = form.scope == "everywhere";
    if let Err(e) = sessions.logout(&caller, all).await {
        return render::failure_page(Failure::from(e));
    }
    visitor.end_session();
    redirect(if all { "/ui/login?done=logged_out_everywhere" } else { "/ui/login?done=logged_out" })
}
