//! `/api/v1/users/me/sessions` and `/users/me/events`: the caller's own live
//! sessions (ending one logs that device out) and security events; the
//! account page shows the same through the same use cases.

use crate::http::state::Use;
use chrono::{DateTime, Utc};
use domain::account::Accounts;
use domain::session::Sessions;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use crate::http::error::ApiResult;
use crate::http::security::AccessAuth;
use crate::v1::shared::EventPageResponse;
use crate::v1::shared::{ApiTags, NoContent};
use crate::v1::words::{AcrWord, AmrWord};

/// One live session of the caller: an API login or a browser's.
#[derive(Debug, Object)]
pub struct SessionBody {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    /// When it ends unless refreshed (an API session) or logged out.
    pub expires_at: DateTime<Utc>,
    /// Whether the request was made with this session's token.
    pub current: bool,
    /// How its user last proved who they are (RFC 8176), as its tokens say.
    pub amr: Vec<AmrWord>,
    /// The level that makes (`aal1`, `aal2`).
    pub acr: AcrWord,
    /// When they last proved a factor.
    pub auth_time: DateTime<Utc>,
}

/// The caller's live sessions, newest first (at most 50).
#[derive(Debug, Object)]
pub struct SessionListBody {
    pub items: Vec<SessionBody>,
}

#[derive(ApiResponse)]
pub enum SessionListResponse {
    #[oai(status = 200)]
    Ok(Json<SessionListBody>),
}

pub struct MySessionsApi;

#[OpenApi(prefix_path = "/users/me", tag = "ApiTags::Users")]
impl MySessionsApi {
    /// The caller's live sessions
    ///
    /// Every login that is neither logged out nor expired, API or browser.
    #[oai(path = "/sessions", method = "get")]
    async fn list(&self, sessions: Use<'_, Sessions>, caller: AccessAuth) -> ApiResult<SessionListResponse> {
        let items = sessions
            .list(&caller.0)
            .await?
            .into_iter()
            .map(|s| SessionBody {
                current: s.id == caller.0.session_id,
                id: s.id,
                created_at: s.created_at,
                expires_at: s.expires_at,
                amr: s.assurance.amr.methods().map(Into::into).collect(),
                acr: s.assurance.acr().into(),
                auth_time: s.assurance.auth_time,
            })
            .collect();
        Ok(SessionListResponse::Ok(Json(SessionListBody { items })))
    }

    /// End one of the caller's sessions
    ///
    /// Logs that device out: its tokens stop working at their next request.
    /// Another user's session, or one already ended, is `session_not_found`.
    #[oai(path = "/sessions/:id", method = "delete")]
    async fn end(&self, sessions: Use<'_, Sessions>, caller: AccessAuth, id: Path<Uuid>) -> ApiResult<NoContent> {
        sessions.end(&caller.0, id.0).await?;
        Ok(NoContent::Done)
    }

    /// The caller's security events
    ///
    /// Newest first; pass `next_cursor` as `before` for older ones.
    #[oai(path = "/events", method = "get")]
    async fn events(
        &self,
        accounts: Use<'_, Accounts>,
        caller: AccessAuth,
        /// Page size, 1 to 100.
        #[oai(default = "crate::v1::shared::default_limit", validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<u32>,
        /// `next_cursor` of the previous page.
        before: Query<Option<Uuid>>,
    ) -> ApiResult<EventPageResponse> {
        Ok(accounts.my_events(&caller.0, before.0, limit.0).await?.into())
    }
}
