//! Administration under `/api/v1/users`: list, read, change and delete any
//! user, and read their security events. Administrators only.

use crate::http::state::Use;
use domain::admin::{Admin, AdminChanges};
use domain::page::Page;
use domain::user::{UserId, UserQuery};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use crate::http::error::ApiResult;
use crate::http::security::AccessAuth;
use crate::v1::body_fields::Omittable;
use crate::v1::shared::{ApiTags, EventPageResponse, NoContent, default_limit, profile_patch_body};
use crate::v1::shared::{OneUser, UserBody};

/// A page of users in registration order, written with `json_body::Direct`.
#[derive(Debug, Object, serde::Serialize)]
pub struct UserPageBody {
    pub items: Vec<UserBody>,
    /// Pass as `after` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<Uuid>,
}

profile_patch_body! {
    /// Fields to change; absent or null fields stay as they are, except
    /// `phone`, which `null` removes.
    pub struct AdminPatchBody {
        /// Grant or withdraw administration. The last active administrator cannot lose it.
        pub is_admin: Omittable<bool>,
        /// `false` deactivates the user: their sessions end and they cannot log in.
        pub is_active: Omittable<bool>,
        /// `true` marks the address proved without a mail; `false` forgets
        /// every proved address (mail then goes to `email` again).
        pub email_verified: Omittable<bool>,
    }
}

#[derive(ApiResponse)]
pub enum UserPageResponse {
    #[oai(status = 200)]
    Ok(crate::http::json_body::Direct<UserPageBody>),
}

pub struct AdminApi;

#[OpenApi(tag = "ApiTags::Admin")]
impl AdminApi {
    /// List users
    ///
    /// Keyset pages in registration order: pass the answer's `next_cursor` as
    /// `after` for the next page. `q` matches part of the email, username,
    /// name or last name, ignoring case.
    #[oai(path = "/users", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        admin: Use<'_, Admin>,
        caller: AccessAuth,
        /// Page size, 1 to 100.
        #[oai(default = "default_limit", validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<u32>,
        /// `next_cursor` of the previous page.
        after: Query<Option<Uuid>>,
        /// Search text: part of an email, username or name, up to 100 characters.
        #[oai(validator(max_length = 100))]
        q: Query<Option<String>>,
        is_active: Query<Option<bool>>,
        is_admin: Query<Option<bool>>,
        is_2fa: Query<Option<bool>>,
    ) -> ApiResult<UserPageResponse> {
        let query = UserQuery {
            search: q.0,
            is_active: is_active.0,
            is_admin: is_admin.0,
            is_2fa: is_2fa.0,
            after: after.0.map(UserId),
            limit: limit.0,
        };
        let Page { items, next } = admin.list_users(&caller.0, query).await?;
        Ok(UserPageResponse::Ok(crate::http::json_body::Direct(UserPageBody {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor: next.map(|id| id.0),
        })))
    }

    /// Read a user
    #[oai(path = "/users/:id", method = "get")]
    async fn get(&self, admin: Use<'_, Admin>, caller: AccessAuth, id: Path<Uuid>) -> ApiResult<OneUser> {
        Ok(OneUser::Ok(Json(admin.get_user(&caller.0, UserId(id.0)).await?.into())))
    }

    /// Change a user
    ///
    /// Any profile field, plus `is_admin` and `is_active`. Deactivating ends
    /// the user's sessions. The last active administrator cannot be demoted
    /// or deactivated (409).
    #[oai(path = "/users/:id", method = "patch")]
    async fn patch(
        &self,
        admin: Use<'_, Admin>,
        caller: AccessAuth,
        id: Path<Uuid>,
        body: Json<AdminPatchBody>,
    ) -> ApiResult<OneUser> {
        let mut b = body.0;
        let changes = AdminChanges {
            // An administrator's change needs no user's password.
            profile: b.take_profile(None),
            is_admin: b.is_admin.0,
            is_active: b.is_active.0,
            email_verified: b.email_verified.0,
        };
        Ok(OneUser::Ok(Json(admin.update_user(&caller.0, UserId(id.0), changes).await?.into())))
    }

    /// Delete a user
    ///
    /// Their sessions and pending codes go too; their events stay. The last
    /// active administrator cannot be deleted (409).
    #[oai(path = "/users/:id", method = "delete")]
    async fn delete(&self, admin: Use<'_, Admin>, caller: AccessAuth, id: Path<Uuid>) -> ApiResult<NoContent> {
        admin.delete_user(&caller.0, UserId(id.0)).await?;
        Ok(NoContent::Done)
    }

    /// Remove a user's authenticator app and recovery codes
    ///
    /// For a user who lost both. Recorded with the acting admin. Their next
    /// login asks for what remains: a sent code if `is_2fa` is on.
    #[oai(path = "/users/:id/second-factors", method = "delete")]
    async fn reset_second_factors(
        &self,
        admin: Use<'_, Admin>,
        caller: AccessAuth,
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        admin.reset_second_factors(&caller.0, UserId(id.0)).await?;
        Ok(NoContent::Done)
    }

    /// A user's security events
    ///
    /// Newest first; pass `next_cursor` as `before` for older ones.
    #[oai(path = "/users/:id/events", method = "get")]
    async fn events(
        &self,
        admin: Use<'_, Admin>,
        caller: AccessAuth,
        id: Path<Uuid>,
        /// Page size, 1 to 100.
        #[oai(default = "default_limit", validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<u32>,
        /// `next_cursor` of the previous page.
        before: Query<Option<Uuid>>,
    ) -> ApiResult<EventPageResponse> {
        Ok(admin.user_events(&caller.0, UserId(id.0), before.0, limit.0).await?.into())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use poem_openapi::types::ToJSON;

    use super::*;

    #[test]
    fn a_user_page_written_directly_is_the_json_poem_openapi_writes() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap() + chrono::Duration::microseconds(123_456);
        let user = |phone: Option<&str>| UserBody {
            id: Uuid::new_v4(),
            email: "ada@example.com".into(),
            username: "ada".into(),
            name: "Ada \"the\" first".into(),
            lastname: "Lovelace\n".into(),
            full_name: "Ada Lovelace".into(),
            is_admin: true,
            is_2fa: false,
            is_active: true,
            phone: phone.map(str::to_owned),
            phone_verified: phone.is_some(),
            email_verified: phone.is_none(),
            created_at: at,
            modified_at: at + chrono::Duration::days(1),
        };
        for next_cursor in [Some(Uuid::new_v4()), None] {
            let page = UserPageBody { items: vec![user(Some("+14155550132")), user(None)], next_cursor };
            let direct: serde_json::Value = serde_json::to_value(&page).unwrap();
            assert_eq!(Some(direct), page.to_json(), "next_cursor {next_cursor:?}");
        }
    }
}
