//! The account page's authenticator app: enrolling one (its QR code and
//! secret), confirming it, removing it, and new recovery codes, each a form
//! posting to the use case `/users/me/totp…` calls.

use askama::Template;
use domain::recovery_code::RecoveryCode;
use poem::http::StatusCode;
use poem::web::Form;
use poem::{Response, handler};
use secrecy::SecretString;
use serde::Deserialize;

use super::account_forms::PasswordOnlyForm;
use super::account_page::{AccountServices, change, enrol};
use super::browser::Visitor;
use super::render::{page, redirect};

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpPage {
    csrf: String,
    qr_svg: String,
    secret: String,
    otpauth_url: String,
    error: Option<String>,
}

#[handler]
pub async fn totp_enrol(
    visitor: Visitor,
    services: AccountServices<'_>,
    Form(form): Form<PasswordOnlyForm>,
) -> Response {
    let PasswordOnlyForm { csrf, password } = form;
    let csrf_now = visitor.csrf_token();
    enrol(visitor, &csrf, services, |caller| async move {
        let e = services.authenticator.enrol(&caller, &SecretString::from(password)).await?;
        let shown = TotpPage {
            csrf: csrf_now,
            qr_svg: super::qr::svg(&e.otpauth_url)?,
            secret: e.secret,
            otpauth_url: e.otpauth_url,
            error: None,
        };
        Ok(page(StatusCode::OK, &shown))
    })
    .await
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    codes: Vec<String>,
    /// Whether the codes come with a newly confirmed app.
    new_app: bool,
}

fn codes_page(codes: &[RecoveryCode], new_app: bool) -> Response {
    page(StatusCode::OK, &RecoveryCodesPage { codes: codes.iter().map(RecoveryCode::display).collect(), new_app })
}

/// A code typed back to confirm an app or a phone number.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    pub(super) csrf: String,
    pub(super) code: String,
}

#[handler]
pub async fn totp_confirm(visitor: Visitor, services: AccountServices<'_>, Form(form): Form<ConfirmForm>) -> Response {
    enrol(visitor, &form.csrf.clone(), services, |caller| async move {
        let codes = services.authenticator.confirm(&caller, form.code.trim()).await?;
        Ok(codes_page(&codes, true))
    })
    .await
}

#[handler]
pub async fn totp_remove(
    visitor: Visitor,
    services: AccountServices<'_>,
    Form(form): Form<PasswordOnlyForm>,
) -> Response {
    let PasswordOnlyForm { csrf, password } = form;
    change(visitor, &csrf, services, |caller| async move {
        services.authenticator.disable(&caller, &SecretString::from(password)).await?;
        Ok(redirect("/ui/account?done=totp_removed"))
    })
    .await
}

#[handler]
pub async fn recovery_codes(
    visitor: Visitor,
    services: AccountServices<'_>,
    Form(form): Form<PasswordOnlyForm>,
) -> Response {
    let PasswordOnlyForm { csrf, password } = form;
    change(visitor, &csrf, services, |caller| async move {
        let codes = services.authenticator.regenerate_recovery_codes(&caller, &SecretString::from(password)).await?;
        Ok(codes_page(&codes, false))
    })
    .await
}
