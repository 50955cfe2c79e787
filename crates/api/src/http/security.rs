//! The two bearer schemes. An access token is checked (signature, kind,
//! lifetime, live session) before the handler runs; a temporary token is
//! handed to the second-factor use cases, which check it themselves.

use domain::session::{Caller, Sessions};
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

use crate::http::error::ApiError;

/// An access token from `POST /auth/token`, `/auth/verify-otp` or `/auth/refresh-token`.
#[derive(SecurityScheme)]
#[oai(rename = "AccessToken", ty = "bearer", bearer_format = "JWT", checker = "check_access")]
pub struct AccessAuth(pub Caller);

async fn check_access(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    let sessions = crate::http::state::part::<Sessions>(req);
    let caller = sessions.authenticate(&bearer.token).await.map_err(ApiError::from)?;
    crate::http::request_log::record_caller(&caller);
    Ok(caller)
}

/// The temporary token `POST /auth/token` returns to a two-factor user.
#[derive(SecurityScheme)]
#[oai(rename = "TemporaryToken", ty = "bearer", bearer_format = "JWT")]
pub struct TemporaryAuth(pub Bearer);
