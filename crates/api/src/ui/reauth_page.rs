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
use super::login_pages::{Choice, label};
use super::render::{self, Done, page_showing, redirect, sentence};
use crate::http::client_addr::ClientAddr;
use crate::http::error::Problem;
use crate::http::state::Use;

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
    let caller = match visitor.require_session() {
        Ok(c) => c,
        Err(f) => return render::failure_page(f),
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
    visitor: Visitor,
    services: ReauthServices<'_>,
    client: ClientAddr,
    Form(form): Form<ReauthForm>,
) -> Response {
    let password = SecretString::from(form.password);
    let method = Method::parse(&form.method).filter(typed);
    let code = form.code.trim();
    let factor = (!code.is_empty()).then_some(Factor::Code { method, code });
    confirm(visitor, services, &client, &form.csrf, Some(&password), factor).await
}

/// The use cases "Confirm it is you" calls and shows.
#[derive(Clone, Copy)]
pub struct ReauthServices<'a> {
    pub(super) step_up: &'a StepUp,
    pub(super) accounts: &'a Accounts,
    pub(super) second_factor: &'a SecondFactor,
}

impl<'a> poem::FromRequest<'a> for ReauthServices<'a> {
    async fn from_request(req: &'a poem::Request, _body: &mut poem::RequestBody) -> poem::Result<Self> {
        Ok(ReauthServices {
            step_up: crate::http::state::part::<StepUp>(req),
            accounts: crate::http::state::part::<Accounts>(req),
            second_factor: crate::http::state::part::<SecondFactor>(req),
        })
    }
}

/// A "Confirm it is you" form (a code's, or the passkey button's): the
/// browser's session renewed and back to the account, or the page saying
/// why not.
pub(super) async fn confirm(
    mut visitor: Visitor,
    services: ReauthServices<'_>,
    client: &ClientAddr,
    csrf: &str,
    password: Option<&SecretString>,
    factor: Option<Factor<'_>>,
) -> Response {
    let caller = match visitor.session_form(csrf) {
        Ok(c) => c,
        Err(f) => return render::failure_page(f),
    };
    match services.step_up.reauthenticate::<BrowserToken>(&client.0, &caller, password, factor).await {
        Ok(browser) => {
            visitor.start_session(&browser);
            match visitor.authorizing() {
                Some(_) => redirect(visitor.after_login()),
                None => redirect("/ui/account?done=reauthenticated"),
            }
        }
        Err(e) => {
            let refused = Some(Problem::from(e));
            reauth_page(&visitor, &caller, services.accounts, services.second_factor, None, refused).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SendForm {
    csrf: String,
    method: String,
}

#[handler]
pub async fn reauth_send(visitor: Visitor, services: ReauthServices<'_>, Form(form): Form<SendForm>) -> Response {
    let caller = match visitor.session_form(&form.csrf) {
        Ok(c) => c,
        Err(f) => return render::failure_page(f),
    };
    let sent = match Method::parse(&form.method) {
        Some(method) => services.step_up.send_code(&caller, method).await,
        None => Err(domain::Error::MethodUnavailable),
    };
    match sent {
        Ok(_) => redirect("/ui/reauthenticate?done=code_sent"),
        Err(e) => {
            let refused = Some(Problem::from(e));
            reauth_page(&visitor, &caller, services.accounts, services.second_factor, None, refused).await
        }
    }
}
