//! `/api/v1/auth/password-reset`: a forgotten password, replaced by what a
//! mail to the account's proved address carries. The request is answered
//! before anything about the address is looked up, so every address gets
//! the same answer at the same time; the confirmation goes on exactly as a
//! password login (the second factor, when the account has one).

use domain::reset::{Requested, Resets};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Union};
use secrecy::SecretString;

use crate::http::client_addr::ClientAddr;
use crate::http::error::ApiResult;
use crate::http::state::Use;
use crate::v1::body_fields::Text;
use crate::v1::login_body::LoginResponse;
use crate::v1::shared::ApiTags;

/// The address of the account whose password is forgotten.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ResetRequestBody {
    #[oai(validator(max_length = 254))]
    pub email: Text,
}

#[derive(Debug, Object)]
pub struct ResetRequestedBody {
    pub message: String,
}

#[derive(ApiResponse)]
pub enum ResetRequested {
    /// The same answer for every address.
    #[oai(status = 202)]
    Accepted(Json<ResetRequestedBody>),
}

/// The reset mail's link `token`, and the new password twice.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ResetByLink {
    #[oai(validator(max_length = 64))]
    pub token: Text,
    /// The new password: 8 to 128 characters, not a common or guessable one.
    #[oai(validator(max_length = 1024))]
    pub password: Text,
    #[oai(validator(max_length = 1024))]
    pub confirm_password: Text,
}

/// The account's `email` and the reset mail's `code`, and the new password twice.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ResetByCode {
    #[oai(validator(max_length = 254))]
    pub email: Text,
    /// The eight digits from the mail.
    #[oai(validator(max_length = 64))]
    pub code: Text,
    /// The new password: 8 to 128 characters, not a common or guessable one.
    #[oai(validator(max_length = 1024))]
    pub password: Text,
    #[oai(validator(max_length = 1024))]
    pub confirm_password: Text,
}

/// The reset mail's link token, or the account's address and the mail's
/// code; and the new password, twice.
#[derive(Debug, Union)]
#[oai(one_of)]
pub enum ResetConfirmBody {
    Link(ResetByLink),
    Code(ResetByCode),
}

pub struct ResetApi;

#[OpenApi(prefix_path = "/auth/password-reset", tag = "ApiTags::Auth")]
impl ResetApi {
    /// Ask for a password reset
    ///
    /// Always 202 with the same body, at once: a mail with a link and a code
    /// goes, afterwards, only to the proved address of an active account
    /// with this email, at most `AUTHD_RATE_RESET_MAILS_PER_HOUR` an hour.
    /// 429 only past `AUTHD_RATE_RESET_REQUESTS_PER_HOUR` requests from
    /// this client address, which says nothing about the address asked for.
    #[oai(path = "/", method = "post")]
    async fn request(
        &self,
        resets: Use<'_, Resets>,
        client: ClientAddr,
        body: Json<ResetRequestBody>,
    ) -> ApiResult<ResetRequested> {
        // A malformed address is refused (it says nothing about any account).
        let email = domain::user::Email::parse(&body.0.email.0)?;
        resets.admit(&client.0).await?;
        let (resets, email) = (resets.clone(), email.as_str().to_owned());
        tokio::spawn(async move {
            let outcome = match resets.request(&email).await {
                Ok(Requested::Mailed) => "mailed",
                Ok(Requested::Nothing) => "nothing",
                Ok(Requested::Throttled) => "throttled",
                Err(e) => {
                    tracing::warn!(error = %e, "a password-reset request failed");
                    "failed"
                }
            };
            metrics::counter!("authd_password_reset_requests_total", "outcome" => outcome).increment(1);
        });
        let message = "If an account has this address, a mail to reset its password is on its way.".into();
        Ok(ResetRequested::Accepted(Json(ResetRequestedBody { message })))
    }

    /// Set a new password with the reset mail
    ///
    /// With the mailed link's `token`, or the account's `email` and the
    /// mail's `code`, once, within `AUTHD_RESET_TTL`. Then as a password
    /// login: the token pair, or, for an account with a second factor, the
    /// temporary token and its `methods` (the second factor is still
    /// required). Every other session ends and the lockout is lifted. A
    /// refused password spends nothing. 400 `reset_invalid` for wrong,
    /// used, expired or unknown.
    #[oai(path = "/confirm", method = "post")]
    async fn confirm(
        &self,
        resets: Use<'_, Resets>,
        client: ClientAddr,
        body: Json<ResetConfirmBody>,
    ) -> ApiResult<LoginResponse> {
        let secrets = |p: Text, c: Text| (SecretString::from(p.0), SecretString::from(c.0));
        let outcome = match body.0 {
            ResetConfirmBody::Link(b) => {
                let (password, confirm) = secrets(b.password, b.confirm_password);
                resets.confirm_link(&client.0, &b.token.0, &password, &confirm).await?
            }
            ResetConfirmBody::Code(b) => {
                let (password, confirm) = secrets(b.password, b.confirm_password);
                resets.confirm_code(&client.0, &b.email.0, &b.code.0, &password, &confirm).await?
            }
        };
        Ok(LoginResponse::Ok(Json(outcome.into())))
    }
}
