//! `/api/v1/auth`: login, the second factor, refresh, verification, logout.

use crate::http::state::Use;
use domain::login::Login;
use domain::otp::{Method, Remember, SecondFactor};
use domain::session::Sessions;
use domain::token::TokenPair;
use poem_openapi::param::Header;
use poem_openapi::payload::{Form, Json};
use poem_openapi::{ApiRequest, ApiResponse, Object, OpenApi};
use serde::Deserialize;

use crate::http::client_addr::ClientAddr;
use crate::http::error::ApiResult;
use crate::http::security::{EnrolAuth, ResourceAuth, TemporaryAuth};
use crate::v1::body_fields::{Omittable, Text};
use crate::v1::login_body::{LoginResponse, PairResponse};
use crate::v1::shared::{ApiTags, CodeStatusResponse, NoContent};
use crate::v1::words::{AcrWord, AmrWord, ChannelWord, MethodWord};

/// Credentials, as an OAuth2 password grant would send them.
#[derive(Debug, Deserialize, Object)]
pub struct Credentials {
    /// The user's email address or username.
    #[oai(validator(max_length = 254))]
    pub username: Text,
    /// The user's password.
    #[oai(validator(max_length = 1024))]
    pub password: Text,
    /// Accepted for OAuth2 clients; only `password` is meaningful.
    #[serde(default)]
    pub grant_type: Option<Text>,
    /// The token a trusted device kept (`device_token` from `/auth/verify-otp`
    /// or `/auth/verify-passkey` with `remember_device`): with the right
    /// password of the same user, the second factor is skipped (`aal1`).
    #[serde(default)]
    #[oai(validator(max_length = 128))]
    pub device_token: Option<Text>,
}

#[derive(ApiRequest)]
pub enum CredentialsRequest {
    /// `application/x-www-form-urlencoded`, as OAuth2 clients send it.
    Form(Form<Credentials>),
    /// The same fields as JSON.
    Json(Json<Credentials>),
}

/// The answer to the second factor.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct OtpBody {
    /// Six digits (`totp`, `email`, `sms`, `whatsapp`) or a recovery code like `abcd-efgh-jkmn`.
    #[oai(validator(max_length = 64))]
    pub otp: Text,
    /// One of the login's `methods`; default: the first. A sent code is
    /// the one sent last, whichever channel it took.
    pub method: Omittable<MethodWord>,
    /// Trust this device: the answer carries a `device_token` whose logins
    /// skip the second factor for `AUTHD_TRUSTED_DEVICE_DAYS`.
    #[oai(default)]
    pub remember_device: bool,
}

/// Which factor to send a new code for.
#[derive(Debug, Default, Object)]
#[oai(deny_unknown_fields)]
pub struct ResendRequest {
    /// `email`, `sms` or `whatsapp`, if the login lists it; default: the
    /// channel of the current code, else the first sent method listed.
    pub method: Omittable<ChannelWord>,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RefreshBody {
    /// The refresh token of the latest pair.
    #[oai(validator(max_length = 4096))]
    pub refresh_token: Text,
}

/// What a valid access token says.
#[derive(Debug, Object)]
pub struct VerifiedBody {
    /// Always `true`: invalid tokens get 401.
    pub message: bool,
    /// The user the token belongs to.
    pub user_id: uuid::Uuid,
    /// The session the token belongs to.
    pub session_id: uuid::Uuid,
    /// When the token expires (RFC 3339, as every time authd answers).
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The same instant as the token's `exp` claim: Unix seconds (RFC 7519 §4.1.4).
    pub exp: i64,
    /// The methods the user proved (RFC 8176), as the token's `amr` claim.
    pub amr: Vec<AmrWord>,
    /// The level they make (NIST SP 800-63B): `aal2` with two factors or a
    /// user-verified passkey, else `aal1`.
    pub acr: AcrWord,
    /// When the user last proved a factor (not when the token was refreshed).
    pub auth_time: chrono::DateTime<chrono::Utc>,
    /// `true` when the session may only enrol a second factor: its user
    /// must have one (`AUTHD_REQUIRE_2FA`) and has not proved one yet, so
    /// authd refuses it everything else (403 `second_factor_required`).
    pub second_factor_required: bool,
    /// For a token an OpenID Connect client got from `/oauth2/token`: the
    /// client (the token's audience).
    #[oai(skip_serializing_if_is_none)]
    pub client_id: Option<uuid::Uuid>,
    /// And the scopes the user granted it, space-separated.
    #[oai(skip_serializing_if_is_none)]
    pub scope: Option<String>,
}

#[derive(ApiResponse)]
pub enum VerifiedResponse {
    /// The token is valid and its session live.
    #[oai(status = 200)]
    Ok(Json<VerifiedBody>),
}

#[derive(Debug, Default, Object)]
#[oai(deny_unknown_fields)]
pub struct LogoutBody {
    /// End every session of the user, not only this one.
    #[oai(default)]
    pub all: bool,
}

pub struct AuthApi;

#[OpenApi(prefix_path = "/auth", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Log in with a username or email and a password
    ///
    /// Accepts a form (OAuth2 password grant) or JSON. A user without a
    /// second factor gets a token pair; a two-factor user gets a temporary
    /// token and the `methods` they may answer with, the default first. A
    /// code is sent only when a sent method is the default. Unknown users
    /// and wrong passwords get the same answer.
    #[oai(path = "/token", method = "post")]
    async fn token(
        &self,
        login: Use<'_, Login>,
        client: ClientAddr,
        body: CredentialsRequest,
    ) -> ApiResult<LoginResponse> {
        let creds = match body {
            CredentialsRequest::Form(Form(c)) | CredentialsRequest::Json(Json(c)) => c,
        };
        let password = secrecy::SecretString::from(creds.password);
        let device = creds.device_token.as_ref().map(|t| t.0.as_str());
        let outcome = login.login_on_device_as(&client.0, &creds.username, &password, device).await?;
        Ok(LoginResponse::Ok(Json(outcome.into())))
    }

    /// Answer the second factor
    ///
    /// With the authenticator app's code, a recovery code, or a sent code
    /// (`method`; default: the first the login listed). A wrong answer of
    /// any method counts against this login; after five, it is dead and the
    /// user must log in again. Every code works once; an app's code, once
    /// per user, so a replayed one is refused with `otp_used`.
    #[oai(path = "/verify-otp", method = "post")]
    async fn verify_otp(
        &self,
        second_factor: Use<'_, SecondFactor>,
        client: ClientAddr,
        token: TemporaryAuth,
        #[oai(name = "User-Agent")] user_agent: Header<Option<String>>,
        body: Json<OtpBody>,
    ) -> ApiResult<PairResponse> {
        let remember = Remember { device: body.remember_device, user_agent: user_agent.0.as_deref() };
        let method = body.method.0.map(Method::from);
        let done = second_factor.verify_as::<TokenPair>(&client.0, &token.0.token, &body.otp, method, remember).await?;
        Ok(PairResponse::Ok(Json(done.into())))
    }

    /// Send a new code for the same login
    ///
    /// By `email`, `sms` or `whatsapp` (`method`), if the login lists it;
    /// the new code replaces the previous one. At most three times per
    /// login, and not within the cooldown of the last code.
    #[oai(path = "/resend-otp", method = "post")]
    async fn resend_otp(
        &self,
        second_factor: Use<'_, SecondFactor>,
        token: TemporaryAuth,
        body: Json<Option<ResendRequest>>,
    ) -> ApiResult<CodeStatusResponse> {
        let wanted = body.0.unwrap_or_default().method;
        let status = second_factor.resend(&token.0.token, wanted.0.map(ChannelWord::sent_method)).await?;
        Ok(CodeStatusResponse::Accepted(Json(status.into())))
    }

    /// Where this login's code is
    ///
    /// How it was sent, whether the provider took it (`delivery`), and the
    /// tries and resends left. A `failed` delivery will not arrive: ask for
    /// a new code, or use another method.
    #[oai(path = "/otp-status", method = "get")]
    async fn otp_status(
        &self,
        second_factor: Use<'_, SecondFactor>,
        token: TemporaryAuth,
    ) -> ApiResult<CodeStatusResponse> {
        Ok(CodeStatusResponse::Ok(Json(second_factor.status(&token.0.token).await?.into())))
    }

    /// Exchange a refresh token for a new pair
    ///
    /// Each refresh token works once. Presenting one that was already used
    /// revokes its whole session.
    #[oai(path = "/refresh-token", method = "post")]
    async fn refresh_token(&self, sessions: Use<'_, Sessions>, body: Json<RefreshBody>) -> ApiResult<PairResponse> {
        let pair = sessions.refresh(&body.refresh_token).await?;
        Ok(PairResponse::Ok(Json(pair.into())))
    }

    /// Check an access token
    ///
    /// For other services: 200 while the token is valid and its session live, 401 otherwise.
    #[oai(path = "/verify-token", method = "post")]
    async fn verify_token(&self, caller: ResourceAuth) -> ApiResult<VerifiedResponse> {
        let ResourceAuth(c, grant) = caller;
        Ok(VerifiedResponse::Ok(Json(VerifiedBody {
            message: true,
            user_id: c.user_id.0,
            session_id: c.session_id,
            expires_at: chrono::DateTime::from_timestamp(c.expires_at, 0).unwrap_or_default(),
            exp: c.expires_at,
            amr: c.assurance.amr.methods().map(Into::into).collect(),
            acr: c.assurance.acr().into(),
            auth_time: c.assurance.auth_time,
            second_factor_required: c.assurance.second_factor_due,
            client_id: grant.as_ref().map(|g| g.client_id.0),
            scope: grant.map(|g| g.scope_words()),
        })))
    }

    /// End this session, or all of the user's sessions
    #[oai(path = "/logout", method = "post")]
    async fn logout(
        &self,
        sessions: Use<'_, Sessions>,
        caller: EnrolAuth,
        body: Json<Option<LogoutBody>>,
    ) -> ApiResult<NoContent> {
        let all = body.0.unwrap_or_default().all;
        sessions.logout(&caller.0, all).await?;
        Ok(NoContent::Done)
    }
}
