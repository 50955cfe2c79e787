//! Proving the account's phone number at the account page, as
//! `POST /users/me/phone/verify` and `/confirm` do: a code by SMS (or
//! WhatsApp), typed back. The same use case, limits and lockout.

use domain::notify::Channel;
use domain::otp::CodeStatus;
use domain::phone::Phones;
use domain::session::Caller;
use poem::web::Form;
use poem::{Response, handler};
use serde::Deserialize;

use super::account_page::{AccountServices, enrol};
use super::browser::Visitor;
use super::render::redirect;
use super::totp_pages::ConfirmForm;

/// The code last sent to the phone, while it can still be typed.
pub(super) async fn code_under_way(phones: &Phones, caller: &Caller) -> domain::Result<Option<CodeStatus>> {
    match phones.code_status(caller).await {
        Ok(s) if s.remaining_attempts > 0 && s.expires_at > chrono::Utc::now() => Ok(Some(s)),
        Ok(_) | Err(domain::Error::NoCodePending) => Ok(None),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SendForm {
    csrf: String,
    /// `sms` (the default) or `whatsapp`.
    channel: String,
}

/// Sends a code to the account's phone (again, after the cooldown).
#[handler]
pub async fn send(visitor: Visitor, services: AccountServices<'_>, Form(form): Form<SendForm>) -> Response {
    enrol(visitor, &form.csrf.clone(), services, |caller| async move {
        let channel = match form.channel.as_str() {
            "" | "sms" => Channel::Sms,
            "whatsapp" => Channel::Whatsapp,
            _ => return Err(domain::Error::ChannelUnavailable),
        };
        services.phones.send_code(&caller, Some(channel)).await?;
        Ok(redirect("/ui/account?done=phone_code_sent#profile"))
    })
    .await
}

/// Checks the code typed back: the number is verified.
#[handler]
pub async fn confirm(visitor: Visitor, services: AccountServices<'_>, Form(form): Form<ConfirmForm>) -> Response {
    enrol(visitor, &form.csrf.clone(), services, |caller| async move {
        services.phones.confirm(&caller, form.code.trim()).await?;
        Ok(redirect("/ui/account?done=phone_verified"))
    })
    .await
}
