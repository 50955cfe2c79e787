//! Proving the caller's email address: `POST /users/me/email/verify` mails
//! a new link and code; `POST /auth/verify-email` takes either back, without
//! a login (the link may be opened on another device).

use domain::email::Emails;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Union};

use crate::http::client_addr::ClientAddr;
use crate::http::error::ApiResult;
use crate::http::security::AccessAuth;
use crate::http::state::Use;
use crate::v1::body_fields::Text;
use crate::v1::shared::{ApiTags, CodeStatusResponse};

/// The mailed link's `token`.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct EmailByLink {
    #[oai(validator(max_length = 64))]
    pub token: Text,
}

/// The address the mail went to, and the eight digits from it.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct EmailByCode {
    #[oai(validator(max_length = 254))]
    pub email: Text,
    #[oai(validator(max_length = 64))]
    pub code: Text,
}

/// What a mail proving an address carries back: its link's `token`, or
/// the `email` it went to and its `code`.
#[derive(Debug, Union)]
#[oai(one_of)]
pub enum VerifyEmailBody {
    Link(EmailByLink),
    Code(EmailByCode),
}

#[derive(Debug, Object)]
pub struct EmailVerifiedBody {
    pub email_verified: bool,
}

#[derive(ApiResponse)]
pub enum EmailVerified {
    /// The address is proved.
    #[oai(status = 200)]
    Ok(Json<EmailVerifiedBody>),
}

pub struct EmailApi;

#[OpenApi]
impl EmailApi {
    /// Mail a new proof of the caller's email address
    ///
    /// A link and an eight-digit code to the current address, valid for
    /// `AUTHD_EMAIL_VERIFICATION_TTL`. Not within the cooldown of the last
    /// mail (the registration's included: 429 `otp_resend_cooldown`), at
    /// most `AUTHD_RATE_EMAIL_CODES_PER_HOUR` an hour; 409
    /// `already_verified` once proved.
    #[oai(path = "/users/me/email/verify", method = "post", tag = "ApiTags::Users")]
    async fn send(&self, emails: Use<'_, Emails>, caller: AccessAuth) -> ApiResult<CodeStatusResponse> {
        Ok(CodeStatusResponse::Accepted(Json(emails.resend(&caller.0).await?.into())))
    }

    /// Prove an email address
    ///
    /// With the mailed link's `token`, or the `email` and the `code` from
    /// the same mail. Each works once, while the address is still the
    /// account's; five wrong codes end the mail. One answer for wrong,
    /// used, expired or unknown: 400 `verification_invalid`.
    #[oai(path = "/auth/verify-email", method = "post", tag = "ApiTags::Auth")]
    async fn verify(
        &self,
        emails: Use<'_, Emails>,
        client: ClientAddr,
        body: Json<VerifyEmailBody>,
    ) -> ApiResult<EmailVerified> {
        let proved = match body.0 {
            VerifyEmailBody::Link(b) => emails.confirm_link(&client.0, &b.token.0).await?,
            VerifyEmailBody::Code(b) => emails.confirm_code(&client.0, &b.email.0, &b.code.0).await?,
        };
        Ok(EmailVerified::Ok(Json(EmailVerifiedBody { email_verified: proved.email_verified() })))
    }
}
