//! "Confirm it is you": where a sensitive change refused for want of a
//! recent two-factor proof (`reauthentication_required`, the same refusal
//! the API answers with RFC 9470's 401) leads. The person proves who they
//! are with the password and a code (the [`StepUp`] use case of `POST
//! /auth/reauthenticate`), the browser's session is renewed, and they make
//! the change again.

use askama::Template;
use domain::account::Accounts;
use domain::assurance::{Factor, StepUp};
use domain::otp::{Method, SecondFactor};
use domain::session::Caller;
use domain::token::BrowserToken;
use poem::web::{Form, Query};
use poem::{Response, handler};
use secrecy::SecretString;
use serde::Deserialize;

use super::browser::Visitor;
use super::login_pages::label;
use super::render::{self, Done, page_showing, redirect, sentence};
use crate::http::client_addr::ClientAddr;
use crate::http::error::Problem;
use crate::http::state::Use;

struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "reauthenticate.html")]
struct ReauthPage {
    csrf: String,
    /// The codes the second factor may be proved with; none: the password alone.
    choices: Vec<Choice>,
    /// The methods a code can be sent by.
    sendable: Vec<Choice>,
    /// Whether the user may confirm with a passkey (the script's button).
    passkey: bool,
    notice: Option<&'static str>,
    error: Option<String>,
}

/// The methods a person types a code for; a passkey needs the login page's script.
fn typed(m: &Method) -> bool {
    *m != Method::Passkey
}

pub(super) async fn reauth_page(
    visitor: &Visitor,
    caller: &Caller,
    accounts: &Accounts,
    second_factor: &SecondFactor,
    notice: Option<&'static str>,
    refused: Option<Problem>,
) -> Response {
    let methods = match accounts.me(caller).await {
        Ok(user) => second_factor.methods_for(&user).await,
        Err(e) => Err(e),
    };
    let methods = match methods {
        Ok(m) => m,
        Err(e) => return render::failure_page(render::Failure::Refused(Box::new(Problem::from(e)))),
    };
    let choice = |(i, m): (usize, &Method)| Choice { value: m.as_str(), label: label(*m), selected: i == 0 };
    let choices = methods.iter().filter(|m| typed(m)).enumerate().map(choice).collect();
    let sendable = methods
        .iter()
        .filter(|m| m.channel().is_some())
        .map(|m| Choice { value: m.as_str(), label: m.channel().map_or("", |c| channel_word(c)), selected: false })
        .collect();
    let shown = ReauthPage {
        csrf: visitor.csrf_token(),
        passkey: methods.contains(&Method::Passkey),
        choices,
        sendable,
        notice,
        error: refused.as_ref().map(sentence),
    };
    page_showing(refused.as_ref(), &shown)
}

fn channel_word(c: domain::notify::Channel) -> &'static str {
    match c {
        domain::notify::Channel::Email => "mail",
        domain::notify::Channel::Sms => "SMS",
        domain::notify::Channel::Whatsapp => "WhatsApp",
    }
}

#[handler]
pub async fn reauth_form(
    visitor: Visitor,
    accounts: Use<'_, Accounts>,
    second_factor: Use<'_, SecondFactor>,
    done: Query<Done>,
) -> Response {
    let Ok(caller) = visitor.require_caller() else {
        return redirect("/ui/login");
    };
    let notice = render::notice(done.done.as_deref());
    reauth_page(&visitor, &caller, &accounts, &second_factor, notice, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReauthForm {
    csrf: String,
    password: String,
    method: String,
    code: String,
}

#[handler]
pub async fn reauth_submit(
    mut visitor: Visitor,
    step_up: Use<'_, StepUp>,
    accounts: Use<'_, Accounts>,
    second_factor: Use<'_, SecondFactor>,
    client: ClientAddr,
    Form(form): Form<ReauthForm>,
) -> Response {
    let caller = match visitor.check_form(&form.csrf).and_then(|()| visitor.require_caller()) {
        Ok(c) => c,
        Err(f) => return render::failure_page(f),
    };
    let password = SecretString::from(form.password);
    let method = Method::parse(&form.method).filter(typed);
    let code = form.code.trim();
    let factor = (!code.is_empty()).then_some(Factor::Code { method, code });
    match step_up.reauthenticate::<BrowserToken>(&client.0, &caller, Some(&password), factor).await {
        Ok(browser) => {
            visitor.start_session(&browser);
            redirect("/ui/account?done=reauthenticated")
        }
        Err(e) => reauth_page(&visitor, &caller, &accounts, &second_factor, None, Some(Problem::from(e))).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SendForm {
    csrf: String,
    method: String,
}

#[handler]
pub async fn reauth_send(
    visitor: Visitor,
    step_up: Use<'_, StepUp>,
    accounts: Use<'_, Accounts>,
    second_factor: Use<'_, SecondFactor>,
    Form(form): Form<SendForm>,
) -> Response {
    let caller = match visitor.check_form(&form.csrf).and_then(|()| visitor.require_caller()) {
        Ok(c) => c,
        Err(f) => return render::failure_page(f),
    };
    let sent = match Method::parse(&form.method) {
        Some(method) => step_up.send_code(&caller, method).await,
        None => Err(domain::Error::MethodUnavailable),
    };
    match sent {
        Ok(_) => redirect("/ui/reauthenticate?done=code_sent"),
        Err(e) => reauth_page(&visitor, &caller, &accounts, &second_factor, None, Some(Problem::from(e))).await,
    }
}
