//! The pages of account recovery and of proving an address: "Forgot your
//! password?" (`/ui/reset`), the reset mail's link (`/ui/reset/confirm`),
//! and the proof mail's link (`/ui/verify-email`). They call the same use
//! cases as the API ([`Resets`], [`Emails`]); a link opened by a mail
//! scanner changes nothing (each page asks for a click, a POST).

use std::time::Duration;

use askama::Template;
use domain::email::Emails;
use domain::login::LoginOutcome;
use domain::reset::Resets;
use domain::token::BrowserToken;
use poem::http::StatusCode;
use poem::web::{Form, Query};
use poem::{Response, handler};
use secrecy::SecretString;
use serde::Deserialize;

use super::browser::Visitor;
use super::render::{self, page, page_showing, redirect, sentence};
use crate::http::client_addr::ClientAddr;
use crate::http::error::Problem;
use crate::http::state::Use;

#[derive(Template)]
#[template(path = "reset_request.html")]
struct ResetRequestPage<'a> {
    csrf: String,
    email: &'a str,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "reset_confirm.html")]
struct ResetConfirmPage<'a> {
    csrf: String,
    token: &'a str,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "verify_email.html")]
struct VerifyEmailPage<'a> {
    csrf: String,
    token: &'a str,
    done: bool,
    error: Option<String>,
}

/// `?token=…` of a mailed link.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkQuery {
    token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetRequestForm {
    csrf: String,
    email: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetConfirmForm {
    csrf: String,
    token: String,
    password: String,
    confirm: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VerifyEmailForm {
    csrf: String,
    token: String,
}

#[handler]
pub async fn reset_form(visitor: Visitor) -> Response {
    page(StatusCode::OK, &ResetRequestPage { csrf: visitor.csrf_token(), email: "", error: None })
}

/// Asks for a reset as `POST /auth/password-reset` does: the same answer
/// for every address, the lookup and the mail after it.
#[handler]
pub async fn reset_submit(
    visitor: Visitor,
    resets: Use<'_, Resets>,
    client: ClientAddr,
    Form(form): Form<ResetRequestForm>,
) -> Response {
    if let Err(f) = visitor.check_form(&form.csrf) {
        return render::failure_page(f);
    }
    let admitted = async {
        let email = domain::user::Email::parse(&form.email)?;
        resets.admit(&client.0).await?;
        Ok::<_, domain::Error>(email)
    };
    match admitted.await {
        Ok(email) => {
            let resets = resets.clone();
            tokio::spawn(async move {
                if let Err(e) = resets.request(email.as_str()).await {
                    tracing::warn!(error = %e, "a password-reset request failed");
                }
            });
            redirect("/ui/login?done=reset_sent")
        }
        Err(e) => {
            let p = Problem::from(e);
            let shown = ResetRequestPage { csrf: visitor.csrf_token(), email: &form.email, error: Some(sentence(&p)) };
            page_showing(Some(&p), &shown)
        }
    }
}

#[handler]
pub async fn reset_confirm_form(visitor: Visitor, Query(link): Query<LinkQuery>) -> Response {
    page(StatusCode::OK, &ResetConfirmPage { csrf: visitor.csrf_token(), token: &link.token, error: None })
}

/// Sets the new password, then goes on as a login at the pages: the
/// account, or the second factor's page.
#[handler]
pub async fn reset_confirm_submit(
    mut visitor: Visitor,
    resets: Use<'_, Resets>,
    client: ClientAddr,
    Form(form): Form<ResetConfirmForm>,
) -> Response {
    if let Err(f) = visitor.check_form(&form.csrf) {
        return render::failure_page(f);
    }
    let (password, confirm) = (SecretString::from(form.password), SecretString::from(form.confirm));
    match resets.confirm_link::<BrowserToken>(&client.0, &form.token, &password, &confirm).await {
        Ok(LoginOutcome::Tokens(browser)) => {
            visitor.start_session(&browser);
            redirect("/ui/account?done=password_reset")
        }
        Ok(LoginOutcome::SecondFactor(due)) => {
            visitor.begin_login(&due.temporary_token, "", Duration::from_secs(due.expires_in));
            redirect("/ui/code")
        }
        Err(e) => {
            let p = Problem::from(e);
            let shown = ResetConfirmPage { csrf: visitor.csrf_token(), token: &form.token, error: Some(sentence(&p)) };
            page_showing(Some(&p), &shown)
        }
    }
}

#[handler]
pub async fn verify_email_form(visitor: Visitor, Query(link): Query<LinkQuery>) -> Response {
    let shown = VerifyEmailPage { csrf: visitor.csrf_token(), token: &link.token, done: false, error: None };
    page(StatusCode::OK, &shown)
}

#[handler]
pub async fn verify_email_submit(
    visitor: Visitor,
    emails: Use<'_, Emails>,
    client: ClientAddr,
    Form(form): Form<VerifyEmailForm>,
) -> Response {
    if let Err(f) = visitor.check_form(&form.csrf) {
        return render::failure_page(f);
    }
    let csrf = visitor.csrf_token();
    match emails.confirm_link(&client.0, &form.token).await {
        Ok(_) => page(StatusCode::OK, &VerifyEmailPage { csrf, token: "", done: true, error: None }),
        Err(e) => {
            let p = Problem::from(e);
            let shown = VerifyEmailPage { csrf, token: &form.token, done: false, error: Some(sentence(&p)) };
            page_showing(Some(&p), &shown)
        }
    }
}
