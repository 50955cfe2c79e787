//! The web pages under `/ui`: log in, answer the second factor, register,
//! see and manage the account, log out. Server-rendered (askama templates in
//! `crates/api/templates`), one stylesheet, one small script for passkeys
//! (everything else works without it). Every page calls the
//! same use cases as the JSON API, so the same lockout, rate limits and
//! events apply, and domain errors are worded by the one mapping in
//! [`crate::http::error`].
//!
//! - [`browser`]: the cookies (session, pending login, CSRF) and who is asking;
//! - [`login_pages`]: login, the code, logout;
//! - [`recovery_pages`]: a forgotten password, and proving the address;
//! - [`passkey_pages`]: signing in, the second step and the account's passkeys;
//! - [`reauth_page`]: "confirm it is you" before a sensitive change (a step-up);
//! - [`authorize_pages`]: the OpenID Connect authorization endpoint and its consent page;
//! - [`logout_app_page`]: an application's request to sign the person out (RP-initiated logout);
//! - [`register_page`], [`account_page`]: the rest ([`account_forms`]: its profile, password and session forms; [`totp_pages`]: the authenticator app, [`qr`]: its QR code;
//!   [`phone_page`]: proving the phone; [`event_words`]: the security events as sentences);
//! - [`render`]: templates, redirects and error pages.

pub mod account_forms;
pub mod account_page;
pub mod authorize_pages;
pub mod browser;
pub mod event_words;
pub mod login_pages;
pub mod logout_app_page;
pub mod passkey_pages;
pub mod phone_page;
pub mod qr;
pub mod reauth_page;
pub mod recovery_pages;
pub mod register_page;
pub mod render;
pub mod totp_pages;

use poem::http::StatusCode;
use poem::middleware::CookieJarManager;
use poem::{EndpointExt, Response, Route, get, handler, post};

pub use browser::UiConfig;

/// The pages' Content-Security-Policy: their own stylesheet, their own one
/// script (passkeys), requests and forms to this origin, and nothing else
/// (no inline script, frame or font; the one image, the icon, from here). The JSON API keeps its
/// deny-all policy.
pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The one stylesheet, compiled into the binary.
const STYLESHEET: &str = include_str!("../../static/authd.css");

/// The one script: the passkey buttons (`navigator.credentials`).
const SCRIPT: &str = include_str!("../../static/passkeys.js");

/// Every page, to be nested at `/ui`.
pub fn routes(config: UiConfig) -> impl poem::Endpoint<Output = Response> {
    Route::new()
        .at("/", get(home))
        .at("/static/authd.css", get(stylesheet))
        .at("/static/passkeys.js", get(script))
        .at("/passkey/options", post(passkey_pages::sign_in_options))
        .at("/passkey", post(passkey_pages::sign_in_finish))
        .at("/code/passkey/options", post(passkey_pages::code_options))
        .at("/code/passkey", post(passkey_pages::code_answer))
        .at("/account/passkeys/options", post(passkey_pages::add_options))
        .at("/account/passkeys", post(passkey_pages::add))
        .at("/account/passkeys/rename", post(passkey_pages::rename))
        .at("/account/passkeys/remove", post(passkey_pages::remove))
        .at("/login", get(login_pages::login_form).post(login_pages::login_submit))
        .at("/code", get(login_pages::code_form).post(login_pages::code_submit))
        .at("/code/resend", post(login_pages::resend_submit))
        .at("/logout", get(login_pages::logout_form).post(login_pages::logout_submit))
        .at("/logout/app", post(logout_app_page::confirm))
        .at("/register", get(register_page::register_form).post(register_page::register_submit))
        .at("/reset", get(recovery_pages::reset_form).post(recovery_pages::reset_submit))
        .at("/reset/confirm", get(recovery_pages::reset_confirm_form).post(recovery_pages::reset_confirm_submit))
        .at("/verify-email", get(recovery_pages::verify_email_form).post(recovery_pages::verify_email_submit))
        .at("/account", get(account_page::show))
        .at("/account/profile", post(account_forms::profile))
        .at("/account/password", post(account_forms::password_submit))
        .at("/account/mailed-codes", post(account_forms::mailed_codes))
        .at("/account/verify-email", post(account_forms::email_proof))
        .at("/account/phone/verify", post(phone_page::send))
        .at("/account/phone/confirm", post(phone_page::confirm))
        .at("/account/sessions/end", post(account_forms::end_session))
        .at("/account/devices/forget", post(account_forms::forget_device))
        .at("/account/totp", post(totp_pages::totp_enrol))
        .at("/account/totp/confirm", post(totp_pages::totp_confirm))
        .at("/account/totp/remove", post(totp_pages::totp_remove))
        .at("/account/recovery-codes", post(totp_pages::recovery_codes))
        .at("/authorize", get(authorize_pages::resume))
        .at("/consent", get(authorize_pages::consent_form).post(authorize_pages::consent_submit))
        .at("/reauthenticate", get(reauth_page::reauth_form).post(reauth_page::reauth_submit))
        .at("/reauthenticate/send", post(reauth_page::reauth_send))
        .at("/reauthenticate/passkey/options", post(passkey_pages::reauth_options))
        .at("/reauthenticate/passkey", post(passkey_pages::reauth_answer))
        .data(config)
        .with(CookieJarManager::new())
        .catch_error(not_found)
        .map_to_response()
}

/// `/oauth2/authorize`: served with the pages (it reads and sets their cookies).
pub fn authorize_endpoint(config: UiConfig) -> impl poem::Endpoint<Output = Response> {
    get(authorize_pages::authorize_get)
        .post(authorize_pages::authorize_post)
        .data(config)
        .with(CookieJarManager::new())
        .map_to_response()
}

/// `/oauth2/logout`: served with the pages (it reads their cookies).
pub fn end_session_endpoint(config: UiConfig) -> impl poem::Endpoint<Output = Response> {
    get(logout_app_page::end_session_get)
        .post(logout_app_page::end_session_post)
        .data(config)
        .with(CookieJarManager::new())
        .map_to_response()
}

/// An unknown address under `/ui` is a page for a person, not a problem document.
async fn not_found(_: poem::error::NotFoundError) -> Response {
    render::page(
        StatusCode::NOT_FOUND,
        &render::MessagePage {
            title: "Page not found",
            message: "There is no such page.".into(),
            link: "/ui",
            link_text: "To the start",
        },
    )
}

#[handler]
async fn home(visitor: browser::Visitor) -> Response {
    render::redirect(if visitor.caller().is_some() { "/ui/account" } else { "/ui/login" })
}

#[handler]
fn stylesheet() -> Response {
    Response::builder().status(StatusCode::OK).content_type("text/css; charset=utf-8").body(STYLESHEET)
}

#[handler]
fn script() -> Response {
    Response::builder().status(StatusCode::OK).content_type("text/javascript; charset=utf-8").body(SCRIPT)
}
