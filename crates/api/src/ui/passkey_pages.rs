//! Passkeys at the pages: signing in with one (the login page), answering a
//! login's second step with one (the code page), and adding, renaming and
//! removing them (the account page). The browser's part runs in
//! `static/passkeys.js`: it posts a form to an options route here (JSON
//! back), asks `navigator.credentials`, then posts the form with the
//! credential to its action. The same use cases as `/api/v1/…passkey…`,
//! under the same limits and lockout.

use domain::assurance::{Factor, StepUp};
use domain::otp::SecondFactor;
use domain::passkey::{PasskeySignIn, Passkeys};
use domain::token::BrowserToken;
use poem::http::StatusCode;
use poem::web::{Form, Json};
use poem::{IntoResponse, Response, handler};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::account_page::{AccountServices, change, enrol};
use super::browser::Visitor;
use super::login_pages::{code_page, finished, login_page_with, remember};
use super::reauth_page::{ReauthServices, confirm};
use super::render::{self, Failure, redirect};
use crate::http::client_addr::ClientAddr;
use crate::http::error::Problem;
use crate::http::state::Use;

/// The JSON an options route answers: the ceremony (if the answer must name
/// it) and the options for `navigator.credentials`.
fn options(ceremony_id: Option<Uuid>, options: &str) -> Response {
    match serde_json::from_str::<Value>(options) {
        Ok(options) => Json(json!({"ceremony_id": ceremony_id, "options": options})).into_response(),
        Err(e) => Problem::internal(&e).into_response(),
    }
}

/// A refusal for the script: the problem document, whose `detail` it shows.
fn refused(f: Failure) -> Response {
    match f {
        Failure::Refused(p) => p.into_response(),
        Failure::Forged => Problem::new(
            StatusCode::FORBIDDEN,
            "form_forged",
            "This form was not sent from an open authd page (or it is out of date). Nothing was changed. Open the page again and retry",
        )
        .into_response(),
        Failure::LoggedOut | Failure::SessionOver => {
            Problem::new(StatusCode::UNAUTHORIZED, "logged_out", "You are logged out; log in again").into_response()
        }
        Failure::EnrolFirst => Problem::from(domain::Error::SecondFactorRequired).into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AnswerForm {
    csrf: String,
    ceremony_id: String,
    credential: String,
    /// `on` when "Remember this device" is ticked (the second step).
    remember: String,
}

/// Options to sign in with a passkey alone (the login page's button).
#[handler]
pub async fn sign_in_options(
    visitor: Visitor,
    sign_in: Use<'_, PasskeySignIn>,
    client: ClientAddr,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(f) = visitor.check_form(&form.csrf) {
        return refused(f);
    }
    match sign_in.start(&client.0).await {
        Ok(started) => options(Some(started.ceremony_id), &started.options),
        Err(e) => refused(e.into()),
    }
}

/// The passkey's answer: a session, or the login page saying why not.
#[handler]
pub async fn sign_in_finish(
    mut visitor: Visitor,
    sign_in: Use<'_, PasskeySignIn>,
    client: ClientAddr,
    Form(form): Form<AnswerForm>,
) -> Response {
    if let Err(f) = visitor.check_form(&form.csrf) {
        return render::failure_page(f);
    }
    let ceremony = form.ceremony_id.parse().unwrap_or_default();
    match sign_in.finish_as::<BrowserToken>(&client.0, ceremony, &form.credential).await {
        Ok(browser) => {
            visitor.start_session(&browser);
            redirect(visitor.after_login())
        }
        Err(e) => login_page_with(&visitor, sign_in.enabled(), Problem::from(e)),
    }
}

/// Options to answer the pending login with a passkey (the code page's button).
#[handler]
pub async fn code_options(
    visitor: Visitor,
    second_factor: Use<'_, SecondFactor>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(f) = visitor.check_form(&form.csrf) {
        return refused(f);
    }
    let Some(token) = visitor.pending_login() else {
        return refused(Failure::LoggedOut);
    };
    match second_factor.passkey_options(token).await {
        Ok(text) => options(None, &text),
        Err(e) => refused(e.into()),
    }
}

/// The passkey's answer to the pending login.
#[handler]
pub async fn code_answer(
    mut visitor: Visitor,
    second_factor: Use<'_, SecondFactor>,
    client: ClientAddr,
    Form(form): Form<AnswerForm>,
) -> Response {
    let Some(token) = visitor.pending_login().map(str::to_owned) else {
        return super::login_pages::no_login_under_way(&visitor);
    };
    if let Err(f) = visitor.check_form(&form.csrf) {
        return render::failure_page(f);
    }
    let remember = remember(&visitor, &form.remember);
    match second_factor.verify_passkey_as::<BrowserToken>(&client.0, &token, &form.credential, remember).await {
        Ok(done) => finished(&mut visitor, &second_factor, done),
        Err(e) => code_page(&visitor, &second_factor, None, Some(Problem::from(e)), None).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    csrf: String,
    password: String,
    name: String,
    ceremony_id: String,
    credential: String,
}

/// Options to add a passkey (the account page's form, with the password).
#[handler]
pub async fn add_options(visitor: Visitor, passkeys: Use<'_, Passkeys>, Form(form): Form<AddForm>) -> Response {
    let caller = match visitor.session_form(&form.csrf) {
        Ok(c) => c,
        Err(f) => return refused(f),
    };
    match passkeys.begin(&caller, &SecretString::from(form.password)).await {
        Ok(reg) => options(Some(reg.ceremony_id), &reg.options),
        Err(e) => refused(e.into()),
    }
}

/// The new passkey, named as the form says.
#[handler]
pub async fn add(
    visitor: Visitor,
    services: AccountServices<'_>,
    passkeys: Use<'_, Passkeys>,
    Form(form): Form<AddForm>,
) -> Response {
    let AddForm { csrf, name, ceremony_id, credential, .. } = form;
    enrol(visitor, &csrf, services, |caller| async move {
        let ceremony = ceremony_id.parse().unwrap_or_default();
        passkeys.finish(&caller, ceremony, &name, &credential).await?;
        Ok(redirect("/ui/account?done=passkey_added"))
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasskeyForm {
    csrf: String,
    id: String,
    name: String,
    password: String,
}

fn passkey_id(form: &PasskeyForm) -> Result<Uuid, domain::Error> {
    form.id.parse().map_err(|_| domain::Error::PasskeyNotFound)
}

#[handler]
pub async fn rename(
    visitor: Visitor,
    services: AccountServices<'_>,
    passkeys: Use<'_, Passkeys>,
    Form(form): Form<PasskeyForm>,
) -> Response {
    change(visitor, &form.csrf.clone(), services, |caller| async move {
        passkeys.rename(&caller, passkey_id(&form)?, &form.name).await?;
        Ok(redirect("/ui/account?done=passkey_renamed"))
    })
    .await
}

#[handler]
pub async fn remove(
    visitor: Visitor,
    services: AccountServices<'_>,
    passkeys: Use<'_, Passkeys>,
    Form(form): Form<PasskeyForm>,
) -> Response {
    change(visitor, &form.csrf.clone(), services, |caller| async move {
        passkeys.remove(&caller, passkey_id(&form)?, &SecretString::from(form.password.clone())).await?;
        Ok(redirect("/ui/account?done=passkey_removed"))
    })
    .await
}

/// Options to confirm it is you with a passkey ("Confirm it is you").
#[handler]
pub async fn reauth_options(visitor: Visitor, step_up: Use<'_, StepUp>, Form(form): Form<CsrfForm>) -> Response {
    let caller = match visitor.session_form(&form.csrf) {
        Ok(c) => c,
        Err(f) => return refused(f),
    };
    match step_up.passkey_options(&caller).await {
        Ok(text) => options(None, &text),
        Err(e) => refused(e.into()),
    }
}

/// The passkey's answer to "Confirm it is you".
#[handler]
pub async fn reauth_answer(
    visitor: Visitor,
    services: ReauthServices<'_>,
    client: ClientAddr,
    Form(form): Form<AnswerForm>,
) -> Response {
    let factor = Some(Factor::Passkey(&form.credential));
    confirm(visitor, services, &client, &form.csrf, None, factor).await
}
