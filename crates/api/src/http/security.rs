//! The security schemes. An access token is checked (signature, kind,
//! lifetime, live session) before the handler runs; a temporary token is
//! handed to the second-factor use cases, which check it themselves; an
//! application's API key is checked before the handler runs, which gets
//! the [`App`] ([`AppCaller`]).

use domain::app::{App, Apps};
use domain::oidc::ClientGrant;
use domain::session::{Caller, Sessions};
use poem::{Request, RequestBody};
use poem_openapi::auth::{ApiKey, Bearer};
use poem_openapi::registry::Registry;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions, SecurityScheme};

use crate::http::error::ApiError;

/// An access token from `POST /auth/token`, `/auth/verify-otp` or
/// `/auth/refresh-token`, of any live session: also one that may only enrol
/// a second factor (`AUTHD_REQUIRE_2FA`). Only the routes such a session
/// may use take it: reading the account and its second factors, enrolling
/// one, stepping up, logging out. Every other route takes [`AccessAuth`].
#[derive(SecurityScheme)]
#[oai(rename = "AccessToken", ty = "bearer", bearer_format = "JWT", checker = "check_access")]
pub struct EnrolAuth(pub Caller);

async fn check_access(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    let sessions = crate::http::state::part::<Sessions>(req);
    let caller = sessions.authenticate(&bearer.token).await.map_err(ApiError::from)?;
    crate::http::request_log::record_caller(&caller);
    Ok(caller)
}

/// An access token (the same scheme as [`EnrolAuth`]) of a session that may
/// do anything: one that may only enrol a second factor is refused with
/// 403 `second_factor_required` ([`Caller::unrestricted`]).
pub struct AccessAuth(pub Caller);

impl<'a> ApiExtractor<'a> for AccessAuth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <EnrolAuth as ApiExtractor>::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        <EnrolAuth as ApiExtractor>::security_schemes()
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        _: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let EnrolAuth(caller) =
            <EnrolAuth as ApiExtractor>::from_request(req, body, ExtractParamOptions::default()).await?;
        Ok(AccessAuth(caller.unrestricted().map_err(ApiError::from)?))
    }
}

/// An access token of authd's own or of a session opened for an OpenID
/// Connect client (its audience that client's id): what a resource server
/// asks about (`verify-token`). Only that route takes it; authd's own
/// routes refuse a client's token ([`EnrolAuth`], [`AccessAuth`]).
pub struct ResourceAuth(pub Caller, pub Option<ClientGrant>);

impl<'a> ApiExtractor<'a> for ResourceAuth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <EnrolAuth as ApiExtractor>::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        <EnrolAuth as ApiExtractor>::security_schemes()
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let bearer = <Bearer as poem_openapi::auth::BearerAuthorization>::from_request(req)?;
        let sessions = crate::http::state::part::<Sessions>(req);
        let (caller, grant) = sessions.authenticate_resource(&bearer.token).await.map_err(ApiError::from)?;
        crate::http::request_log::record_caller(&caller);
        Ok(ResourceAuth(caller, grant))
    }
}

/// The temporary token `POST /auth/token` returns to a two-factor user.
#[derive(SecurityScheme)]
#[oai(rename = "TemporaryToken", ty = "bearer", bearer_format = "JWT")]
pub struct TemporaryAuth(pub Bearer);

/// An application's API key in the `X-API-Key` header.
#[derive(SecurityScheme)]
#[oai(rename = "AppKey", ty = "api_key", key_name = "X-API-Key", key_in = "header")]
pub struct AppKeyHeader(ApiKey);

/// An application's API key as a bearer token.
#[derive(SecurityScheme)]
#[oai(rename = "AppBearer", ty = "bearer", bearer_format = "authd_app_…")]
pub struct AppKeyBearer(Bearer);

/// Either way of presenting an application's key.
#[derive(SecurityScheme)]
pub enum AppAuth {
    Header(AppKeyHeader),
    Bearer(AppKeyBearer),
}

impl AppAuth {
    fn key(&self) -> &str {
        match self {
            AppAuth::Header(h) => &h.0.key,
            AppAuth::Bearer(b) => &b.0.token,
        }
    }
}

/// A handler parameter: the application whose key the request presents
/// (either way of [`AppAuth`]), checked by [`Apps::authenticate`] before the
/// handler runs: one lookup, one answer for every bad key (401
/// `api_key_invalid`). The document lists `AppAuth`'s schemes for it.
pub struct AppCaller(pub App);

impl<'a> ApiExtractor<'a> for AppCaller {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <AppAuth as ApiExtractor>::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        <AppAuth as ApiExtractor>::security_schemes()
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        _: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let auth = <AppAuth as ApiExtractor>::from_request(req, body, ExtractParamOptions::default()).await?;
        let app = crate::http::state::part::<Apps>(req).authenticate(auth.key()).await.map_err(ApiError::from)?;
        Ok(AppCaller(app))
    }
}
