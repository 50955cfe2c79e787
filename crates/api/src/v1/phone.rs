//! `/api/v1/users/me/phone`: proving the caller's phone number, so that it
//! can receive login codes.

use crate::http::state::Use;
use domain::notify::Channel;
use domain::phone::Phones;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::http::error::ApiResult;
use crate::http::security::EnrolAuth;
use crate::v1::body_fields::{Omittable, Text};
use crate::v1::shared::OneUser;
use crate::v1::shared::{ApiTags, CodeStatusResponse};
use crate::v1::words::PhoneChannelWord;

/// How to send the code.
#[derive(Debug, Default, Object)]
#[oai(deny_unknown_fields)]
pub struct PhoneVerifyBody {
    /// `sms` (the default) or `whatsapp`, if the server has a sender for it.
    pub channel: Omittable<PhoneChannelWord>,
}

/// The code that was sent to the phone.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PhoneConfirmBody {
    /// The six digits from the message.
    #[oai(validator(max_length = 64))]
    pub code: Text,
}

pub struct PhoneApi;

#[OpenApi(prefix_path = "/users/me/phone", tag = "ApiTags::Users")]
impl PhoneApi {
    /// Send a code to the caller's phone
    ///
    /// By SMS, or WhatsApp with `{"channel": "whatsapp"}`. While the last
    /// code is still open this sends a new one in its place (at most three
    /// times, not within the cooldown); a few requests per hour per user
    /// (`AUTHD_RATE_PHONE_CODES_PER_HOUR`), since each message costs money.
    #[oai(path = "/verify", method = "post")]
    async fn verify(
        &self,
        phones: Use<'_, Phones>,
        caller: EnrolAuth,
        body: Json<Option<PhoneVerifyBody>>,
    ) -> ApiResult<CodeStatusResponse> {
        let channel = body.0.unwrap_or_default().channel.0.map(Channel::from);
        Ok(CodeStatusResponse::Accepted(Json(phones.send_code(&caller.0, channel).await?.into())))
    }

    /// Where the caller's phone code is
    ///
    /// Whether the provider took the message (`delivery`), and the tries and resends left.
    #[oai(path = "/verification", method = "get")]
    async fn status(&self, phones: Use<'_, Phones>, caller: EnrolAuth) -> ApiResult<CodeStatusResponse> {
        Ok(CodeStatusResponse::Ok(Json(phones.code_status(&caller.0).await?.into())))
    }

    /// Confirm the code sent to the phone
    ///
    /// Marks the number verified, if it is still the account's number. A
    /// wrong code counts against the code (five tries) and the account's
    /// lockout, like a login's.
    #[oai(path = "/confirm", method = "post")]
    async fn confirm(
        &self,
        phones: Use<'_, Phones>,
        caller: EnrolAuth,
        body: Json<PhoneConfirmBody>,
    ) -> ApiResult<OneUser> {
        Ok(OneUser::Ok(Json(phones.confirm(&caller.0, &body.code).await?.into())))
    }
}
