//! `/api/v1/verifications`: the verification API, called by a registered
//! application with its API key (`Authorization: Bearer authd_app_…` or
//! `X-API-Key: authd_app_…`). An application sees only its own.

use crate::http::state::Use;
use chrono::{DateTime, Utc};
use domain::verification::{Verification, Verifications};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use crate::http::error::ApiResult;
use crate::http::security::AppCaller;
use crate::v1::body_fields::Text;
use crate::v1::shared::ApiTags;
use crate::v1::words::ChannelWord;

/// Where to send a code.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewVerificationBody {
    /// An email address for `email` (a dotted domain of letters, digits and
    /// dashes); an international number (`+14155550100`; spaces, dots, dashes
    /// and brackets allowed) for `sms` and `whatsapp`.
    #[oai(validator(
        min_length = 3,
        max_length = 254,
        pattern = r"^(\+[0-9 ().-]+|[^@\s\x00-\x1F\x7F]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$"
    ))]
    pub to: Text,
    /// One of the channels the application enabled.
    pub channel: ChannelWord,
}

/// The code the person typed.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct CheckBody {
    /// The digits from the message.
    #[oai(validator(max_length = 64))]
    pub code: Text,
}

/// A verification as its application sees it.
#[derive(Debug, Object)]
pub struct VerificationBody {
    pub id: Uuid,
    /// `pending`, `approved`, `expired`, `failed` (too many wrong codes) or `canceled`.
    pub status: String,
    pub channel: ChannelWord,
    /// The destination, masked.
    pub to: String,
    /// Wrong codes given so far.
    pub attempts: u32,
    pub remaining_attempts: u32,
    /// New codes that may still be sent.
    pub resends_left: u32,
    /// Seconds until a new code may be sent.
    pub resend_after: u64,
    /// Where the current code's message is: `queued`, `sent` or `failed`.
    #[oai(skip_serializing_if_is_none)]
    pub delivery: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<Verification> for VerificationBody {
    fn from(v: Verification) -> Self {
        Self {
            id: v.id,
            status: v.status.as_str().to_owned(),
            channel: v.channel.into(),
            to: v.to,
            attempts: v.attempts,
            remaining_attempts: v.remaining_attempts,
            resends_left: v.resends_left,
            resend_after: v.resend_after.as_secs(),
            delivery: v.delivery.map(|d| d.as_str().to_owned()),
            created_at: v.created_at,
            expires_at: v.expires_at,
        }
    }
}

#[derive(ApiResponse)]
pub enum VerificationResponse {
    #[oai(status = 200)]
    Ok(Json<VerificationBody>),
    /// A verification was started and its code queued.
    #[oai(status = 201)]
    Created(Json<VerificationBody>),
    /// A new code was queued.
    #[oai(status = 202)]
    Accepted(Json<VerificationBody>),
}

pub struct VerificationsApi;

#[OpenApi(prefix_path = "/verifications", tag = "ApiTags::Verifications")]
impl VerificationsApi {
    /// Send a code
    ///
    /// A code of the application's length goes to `to` on `channel`, in its
    /// name. Limited per application and minute, per destination and hour,
    /// and in how many may be pending for one destination (429 with `Retry-After`).
    #[oai(path = "/", method = "post")]
    async fn send(
        &self,
        verifications: Use<'_, Verifications>,
        app: AppCaller,
        body: Json<NewVerificationBody>,
    ) -> ApiResult<VerificationResponse> {
        let v = verifications.send(&app.0, &body.to, body.channel.into()).await?;
        Ok(VerificationResponse::Created(Json(v.into())))
    }

    /// Check a code
    ///
    /// 200 `approved` for the right code, once: a second check is 410. A wrong
    /// code is 400 `otp_invalid` with `remaining_attempts`; after the last one
    /// the verification is `failed` (429 `otp_locked`).
    #[oai(path = "/:id/check", method = "post")]
    async fn check(
        &self,
        verifications: Use<'_, Verifications>,
        app: AppCaller,
        id: Path<Uuid>,
        body: Json<CheckBody>,
    ) -> ApiResult<VerificationResponse> {
        Ok(VerificationResponse::Ok(Json(verifications.check(&app.0, id.0, &body.code).await?.into())))
    }

    /// Read a verification
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        verifications: Use<'_, Verifications>,
        app: AppCaller,
        id: Path<Uuid>,
    ) -> ApiResult<VerificationResponse> {
        Ok(VerificationResponse::Ok(Json(verifications.status(&app.0, id.0).await?.into())))
    }

    /// Cancel a verification
    ///
    /// Its code stops working and a message not yet sent is not sent. 409
    /// when it is no longer pending.
    #[oai(path = "/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        verifications: Use<'_, Verifications>,
        app: AppCaller,
        id: Path<Uuid>,
    ) -> ApiResult<VerificationResponse> {
        Ok(VerificationResponse::Ok(Json(verifications.cancel(&app.0, id.0).await?.into())))
    }

    /// Send a new code
    ///
    /// In place of the current one, on the same channel: not within the
    /// cooldown of the last (429 `otp_resend_cooldown`), at most three times.
    #[oai(path = "/:id/resend", method = "post")]
    async fn resend(
        &self,
        verifications: Use<'_, Verifications>,
        app: AppCaller,
        id: Path<Uuid>,
    ) -> ApiResult<VerificationResponse> {
        Ok(VerificationResponse::Accepted(Json(verifications.resend(&app.0, id.0).await?.into())))
    }
}
