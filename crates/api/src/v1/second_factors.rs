//! `/api/v1/users/me/…`: the caller's authenticator app and recovery codes.

use crate::http::state::Use;
use chrono::{DateTime, Utc};
use domain::recovery_code::RecoveryCode;
use domain::totp::{Authenticator, SecondFactors};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use secrecy::SecretString;

use crate::http::error::{ApiResult, Problem};
use crate::http::security::{AccessAuth, EnrolAuth};
use crate::v1::body_fields::Text;
use crate::v1::shared::PasswordBody;
use crate::v1::shared::{ApiTags, NoContent};

/// A new authenticator-app enrolment. Shown once; the secret is never shown again.
#[derive(Debug, Object)]
pub struct EnrolmentBody {
    /// The shared secret, base32, for typing into an app.
    pub secret: String,
    /// `otpauth://totp/authd:<email>?secret=…&issuer=authd&algorithm=SHA1&digits=6&period=30`.
    pub otpauth_url: String,
    /// The same URI as a QR code: a PNG, base64.
    pub qr_png: String,
}

#[derive(ApiResponse)]
pub enum EnrolmentResponse {
    /// Enrolment is pending: confirm it with a code from the app.
    #[oai(status = 201)]
    Created(Json<EnrolmentBody>),
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ConfirmBody {
    /// The six digits the app shows now.
    #[oai(validator(max_length = 64))]
    pub code: Text,
}

/// Recovery codes, shown once: each logs in once when the app is lost.
#[derive(Debug, Object)]
pub struct RecoveryCodesBody {
    /// Ten codes like `abcd-efgh-jkmn`.
    pub recovery_codes: Vec<String>,
}

#[derive(ApiResponse)]
pub enum RecoveryCodesResponse {
    /// The app is active (after confirming) and these are the recovery codes.
    #[oai(status = 200)]
    Ok(Json<RecoveryCodesBody>),
}

#[derive(Debug, Object)]
pub struct TotpStatusBody {
    /// Whether an authenticator app guards logins.
    pub active: bool,
    /// When the active app was enrolled; null without one.
    #[oai(nullable)]
    pub created_at: Option<DateTime<Utc>>,
}

/// What second factors the account has.
#[derive(Debug, Object)]
pub struct SecondFactorsBody {
    /// What a login offers, the default first (`passkey`, `totp`, `recovery_code`, `sms`, `whatsapp`, `email`); empty: the password suffices.
    pub methods: Vec<String>,
    pub totp: TotpStatusBody,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
    /// How many passkeys the account has.
    pub passkeys: u32,
}

#[derive(ApiResponse)]
pub enum SecondFactorsResponse {
    #[oai(status = 200)]
    Ok(Json<SecondFactorsBody>),
}

impl From<SecondFactors> for SecondFactorsBody {
    fn from(s: SecondFactors) -> Self {
        Self {
            methods: s.methods.iter().map(|m| m.as_str().to_owned()).collect(),
            totp: TotpStatusBody { active: s.totp_since.is_some(), created_at: s.totp_since },
            recovery_codes_left: s.recovery_codes_left,
            passkeys: s.passkeys,
        }
    }
}

fn shown(codes: Vec<RecoveryCode>) -> Json<RecoveryCodesBody> {
    Json(RecoveryCodesBody { recovery_codes: codes.iter().map(RecoveryCode::display).collect() })
}

pub struct SecondFactorsApi;

#[OpenApi(prefix_path = "/users/me", tag = "ApiTags::Users")]
impl SecondFactorsApi {
    /// Start enrolling an authenticator app
    ///
    /// Needs the password. Returns the secret, its `otpauth://` URI and a QR
    /// code of it, once. Logins are unaffected until a code confirms it.
    #[oai(path = "/totp", method = "post")]
    async fn enrol(
        &self,
        authenticator: Use<'_, Authenticator>,
        caller: EnrolAuth,
        body: Json<PasswordBody>,
    ) -> ApiResult<EnrolmentResponse> {
        let e = authenticator.enrol(&caller.0, &SecretString::from(body.0.password)).await?;
        let qr_png = qrcodegen_image::draw_base64(&e.otpauth_url).map_err(|why| Problem::internal(&why))?;
        Ok(EnrolmentResponse::Created(Json(EnrolmentBody { secret: e.secret, otpauth_url: e.otpauth_url, qr_png })))
    }

    /// Confirm the authenticator app with a code it shows
    ///
    /// Activates the app, switches two-factor login on, and returns ten
    /// recovery codes, shown once.
    #[oai(path = "/totp/confirm", method = "post")]
    async fn confirm(
        &self,
        authenticator: Use<'_, Authenticator>,
        caller: EnrolAuth,
        body: Json<ConfirmBody>,
    ) -> ApiResult<RecoveryCodesResponse> {
        Ok(RecoveryCodesResponse::Ok(shown(authenticator.confirm(&caller.0, &body.code).await?)))
    }

    /// Remove the authenticator app
    ///
    /// Needs the password. Its recovery codes go too, and every other
    /// session of the account ends. Mailed codes stay on if `is_2fa` is.
    #[oai(path = "/totp", method = "delete")]
    async fn disable(
        &self,
        authenticator: Use<'_, Authenticator>,
        caller: AccessAuth,
        body: Json<PasswordBody>,
    ) -> ApiResult<NoContent> {
        authenticator.disable(&caller.0, &SecretString::from(body.0.password)).await?;
        Ok(NoContent::Done)
    }

    /// Make a new set of recovery codes
    ///
    /// Needs the password and an active app. The old set stops working.
    #[oai(path = "/recovery-codes", method = "post")]
    async fn regenerate(
        &self,
        authenticator: Use<'_, Authenticator>,
        caller: AccessAuth,
        body: Json<PasswordBody>,
    ) -> ApiResult<RecoveryCodesResponse> {
        let codes = authenticator.regenerate_recovery_codes(&caller.0, &SecretString::from(body.0.password)).await?;
        Ok(RecoveryCodesResponse::Ok(shown(codes)))
    }

    /// The caller's second factors
    #[oai(path = "/second-factors", method = "get")]
    async fn status(
        &self,
        authenticator: Use<'_, Authenticator>,
        caller: EnrolAuth,
    ) -> ApiResult<SecondFactorsResponse> {
        Ok(SecondFactorsResponse::Ok(Json(authenticator.status(&caller.0).await?.into())))
    }
}
