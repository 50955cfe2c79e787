//! Passkeys (WebAuthn): `/api/v1/users/me/passkeys…` for the caller's own,
//! `/api/v1/auth/passkey/…` and `/api/v1/auth/verify-passkey` to log in with
//! one. Options are the W3C JSON form (`{"publicKey": {...}}`, binary as
//! base64url) that `PublicKeyCredential.parseCreationOptionsFromJSON` and
//! `parseRequestOptionsFromJSON` take; a `credential` is what
//! `PublicKeyCredential.toJSON()` returns.

use chrono::{DateTime, Utc};
use domain::otp::{Remember, SecondFactor};
use domain::passkey::{Passkey, PasskeySignIn, Passkeys};
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use secrecy::SecretString;
use serde_json::Value;
use uuid::Uuid;

use crate::http::client_addr::ClientAddr;
use crate::http::error::ApiResult;
use crate::http::security::{AccessAuth, EnrolAuth, TemporaryAuth};
use crate::http::state::Use;
use crate::v1::body_fields::Text;
use crate::v1::login_body::{PairResponse, TokenPairBody};
use crate::v1::shared::{ApiTags, NoContent, OptionsBody, OptionsResponse, PasswordBody, options};

/// A registered passkey.
#[derive(Debug, Object)]
pub struct PasskeyBody {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    #[oai(nullable)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Whether the passkey may be synced to the user's other devices.
    pub backup_eligible: bool,
    /// Whether it is synced now (as its last use said).
    pub backed_up: bool,
}

impl From<Passkey> for PasskeyBody {
    fn from(p: Passkey) -> Self {
        Self {
            id: p.id,
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
            backup_eligible: p.backup_eligible,
            backed_up: p.backed_up,
        }
    }
}

#[derive(Debug, Object)]
pub struct PasskeyListBody {
    /// Newest first.
    pub passkeys: Vec<PasskeyBody>,
}

/// A ceremony begun: answer `options` within five minutes, naming `ceremony_id`.
#[derive(Debug, Object)]
pub struct CeremonyBody {
    pub ceremony_id: Uuid,
    /// `{"publicKey": {...}}` for `navigator.credentials.create` or `.get`.
    pub options: Value,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewPasskeyBody {
    /// From `POST /users/me/passkeys/options`.
    pub ceremony_id: Uuid,
    /// What the user calls it, 1 to 64 characters.
    #[oai(validator(min_length = 1, max_length = 64))]
    pub name: Text,
    /// What `PublicKeyCredential.toJSON()` returned for `navigator.credentials.create`.
    pub credential: Value,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RenameBody {
    /// 1 to 64 characters.
    #[oai(validator(min_length = 1, max_length = 64))]
    pub name: Text,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AssertionBody {
    /// What `PublicKeyCredential.toJSON()` returned for `navigator.credentials.get`.
    pub credential: Value,
    /// Trust this device, as at `/auth/verify-otp`.
    #[oai(default)]
    pub remember_device: bool,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct SignInBody {
    /// From `POST /auth/passkey/start`.
    pub ceremony_id: Uuid,
    /// What `PublicKeyCredential.toJSON()` returned for `navigator.credentials.get`.
    pub credential: Value,
}

#[derive(ApiResponse)]
pub enum CeremonyResponse {
    #[oai(status = 200)]
    Ok(Json<CeremonyBody>),
}

#[derive(ApiResponse)]
pub enum PasskeyResponse {
    /// The passkey is added; logins now ask for a second factor.
    #[oai(status = 201)]
    Created(Json<PasskeyBody>),
    #[oai(status = 200)]
    Ok(Json<PasskeyBody>),
}

#[derive(ApiResponse)]
pub enum PasskeyListResponse {
    #[oai(status = 200)]
    Ok(Json<PasskeyListBody>),
}

/// The options a ceremony sends, as JSON for the body.
#[allow(clippy::result_large_err)] // Problem is what every refusal is; this one is never expected.
pub struct MyPasskeysApi;

#[OpenApi(prefix_path = "/users/me/passkeys", tag = "ApiTags::Users")]
impl MyPasskeysApi {
    /// Begin adding a passkey
    ///
    /// Needs the password. The options ask for a discoverable credential
    /// with user verification and exclude the passkeys the account has.
    #[oai(path = "/options", method = "post")]
    async fn begin(
        &self,
        passkeys: Use<'_, Passkeys>,
        caller: EnrolAuth,
        body: Json<PasswordBody>,
    ) -> ApiResult<CeremonyResponse> {
        let reg = passkeys.begin(&caller.0, &SecretString::from(body.0.password)).await?;
        Ok(CeremonyResponse::Ok(Json(CeremonyBody { ceremony_id: reg.ceremony_id, options: options(&reg.options)? })))
    }

    /// Add the passkey the browser made
    ///
    /// Spends the ceremony, right or wrong. Two-factor login is on from now.
    #[oai(path = "/", method = "post")]
    async fn add(
        &self,
        passkeys: Use<'_, Passkeys>,
        caller: EnrolAuth,
        body: Json<NewPasskeyBody>,
    ) -> ApiResult<PasskeyResponse> {
        let b = body.0;
        let added = passkeys.finish(&caller.0, b.ceremony_id, &b.name, &b.credential.to_string()).await?;
        Ok(PasskeyResponse::Created(Json(added.into())))
    }

    /// The caller's passkeys
    #[oai(path = "/", method = "get")]
    async fn list(&self, passkeys: Use<'_, Passkeys>, caller: AccessAuth) -> ApiResult<PasskeyListResponse> {
        let list = passkeys.list(&caller.0).await?.into_iter().map(PasskeyBody::from).collect();
        Ok(PasskeyListResponse::Ok(Json(PasskeyListBody { passkeys: list })))
    }

    /// Rename one of the caller's passkeys
    #[oai(path = "/:id", method = "patch")]
    async fn rename(
        &self,
        passkeys: Use<'_, Passkeys>,
        caller: AccessAuth,
        id: Path<Uuid>,
        body: Json<RenameBody>,
    ) -> ApiResult<PasskeyResponse> {
        Ok(PasskeyResponse::Ok(Json(passkeys.rename(&caller.0, id.0, &body.name).await?.into())))
    }

    /// Remove one of the caller's passkeys
    ///
    /// Needs the password; every other session of the account ends.
    #[oai(path = "/:id", method = "delete")]
    async fn remove(
        &self,
        passkeys: Use<'_, Passkeys>,
        caller: AccessAuth,
        id: Path<Uuid>,
        body: Json<PasswordBody>,
    ) -> ApiResult<NoContent> {
        passkeys.remove(&caller.0, id.0, &SecretString::from(body.0.password)).await?;
        Ok(NoContent::Done)
    }
}

pub struct PasskeyLoginApi;

#[OpenApi(prefix_path = "/auth", tag = "ApiTags::Auth")]
impl PasskeyLoginApi {
    /// Options to answer a login's second step with a passkey
    ///
    /// A fresh challenge at each call, replacing the login's earlier one;
    /// `allowCredentials` lists the user's passkeys.
    #[oai(path = "/passkey/options", method = "post")]
    async fn login_options(
        &self,
        second_factor: Use<'_, SecondFactor>,
        token: TemporaryAuth,
    ) -> ApiResult<OptionsResponse> {
        let text = second_factor.passkey_options(&token.0.token).await?;
        Ok(OptionsResponse::Ok(Json(OptionsBody { options: options(&text)? })))
    }

    /// Answer a login's second step with a passkey
    ///
    /// As `/auth/verify-otp`: a wrong answer counts against the login's
    /// five tries and the account's lockout.
    #[oai(path = "/verify-passkey", method = "post")]
    async fn verify_passkey(
        &self,
        second_factor: Use<'_, SecondFactor>,
        client: ClientAddr,
        token: TemporaryAuth,
        #[oai(name = "User-Agent")] user_agent: Header<Option<String>>,
        body: Json<AssertionBody>,
    ) -> ApiResult<PairResponse> {
        let credential = body.0.credential.to_string();
        let remember = Remember { device: body.0.remember_device, user_agent: user_agent.0.as_deref() };
        let done = second_factor
            .verify_passkey_as::<domain::token::TokenPair>(&client.0, &token.0.token, &credential, remember)
            .await?;
        Ok(PairResponse::Ok(Json(TokenPairBody::from(done))))
    }

    /// Begin signing in with a passkey alone
    ///
    /// No name, no password: the browser offers the user's passkeys for
    /// this site. Counts against the per-address login limit.
    #[oai(path = "/passkey/start", method = "post")]
    async fn start(&self, sign_in: Use<'_, PasskeySignIn>, client: ClientAddr) -> ApiResult<CeremonyResponse> {
        let started = sign_in.start(&client.0).await?;
        let body = CeremonyBody { ceremony_id: started.ceremony_id, options: options(&started.options)? };
        Ok(CeremonyResponse::Ok(Json(body)))
    }

    /// Finish signing in with a passkey alone
    ///
    /// A passkey that verified its user is both factors. An unknown
    /// passkey, a bad signature and a spent ceremony get one answer.
    #[oai(path = "/passkey/finish", method = "post")]
    async fn finish(
        &self,
        sign_in: Use<'_, PasskeySignIn>,
        client: ClientAddr,
        body: Json<SignInBody>,
    ) -> ApiResult<PairResponse> {
        let pair = sign_in.finish(&client.0, body.ceremony_id, &body.0.credential.to_string()).await?;
        Ok(PairResponse::Ok(Json(pair.into())))
    }
}
