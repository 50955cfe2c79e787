//! `/api/v1/apps`: administrators registering the applications that use the
//! verification API, changing them, rotating their API keys and reading
//! their events. Administrators only.

use crate::http::state::Use;
use chrono::{DateTime, Utc};
use domain::app::registry::IssuedKey;
use domain::app::{App, AppChanges, AppForm, AppId, AppKey, Apps};
use domain::notify::Channel;
use domain::page::Page;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use crate::http::error::ApiResult;
use crate::http::security::AccessAuth;
use crate::v1::body_fields::{Omittable, Text};
use crate::v1::shared::EventPageResponse;
use crate::v1::shared::{ApiTags, NoContent};
use crate::v1::words::ChannelWord;

fn channels(words: Vec<ChannelWord>) -> Vec<Channel> {
    words.into_iter().map(Into::into).collect()
}

/// A new application.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewAppBody {
    /// Shown in the messages its codes go out in.
    #[oai(validator(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x1F\x7F]*$"
    ))]
    pub name: Text,
    /// The channels its codes may use; each needs a sender configured on this server.
    #[oai(validator(min_items = 1, max_items = 3))]
    pub channels: Vec<ChannelWord>,
    /// Digits in a code, 4 to 10 (default 6).
    #[oai(validator(minimum(value = "4"), maximum(value = "10")))]
    pub code_length: Omittable<u32>,
    /// How long a code lives, 60 to 3600 seconds (default 300).
    #[oai(validator(minimum(value = "60"), maximum(value = "3600")))]
    pub ttl_seconds: Omittable<u32>,
    /// Wrong codes a verification survives, 1 to 10 (default 5).
    #[oai(validator(minimum(value = "1"), maximum(value = "10")))]
    pub max_attempts: Omittable<u32>,
    /// Countries its SMS codes may go to, ISO 3166 alpha-2 (`["DE", "FR"]`),
    /// each one the server texts (`AUTHD_SMS_COUNTRIES`); absent or empty:
    /// every country the server texts. A number elsewhere is refused with
    /// `destination_not_allowed` before anything is sent or counted.
    #[oai(validator(max_items = 250, pattern = "^[A-Za-z]{2}$"))]
    pub sms_countries: Omittable<Vec<String>>,
    /// The same for its WhatsApp codes.
    #[oai(validator(max_items = 250, pattern = "^[A-Za-z]{2}$"))]
    pub whatsapp_countries: Omittable<Vec<String>>,
}

/// Settings to change; absent fields stay as they are.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AppPatchBody {
    #[oai(validator(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x1F\x7F]*$"
    ))]
    pub name: Omittable<Text>,
    #[oai(validator(min_items = 1, max_items = 3))]
    pub channels: Omittable<Vec<ChannelWord>>,
    #[oai(validator(minimum(value = "4"), maximum(value = "10")))]
    pub code_length: Omittable<u32>,
    #[oai(validator(minimum(value = "60"), maximum(value = "3600")))]
    pub ttl_seconds: Omittable<u32>,
    #[oai(validator(minimum(value = "1"), maximum(value = "10")))]
    pub max_attempts: Omittable<u32>,
    /// Replaces the list; `[]`: every country the server texts.
    #[oai(validator(max_items = 250, pattern = "^[A-Za-z]{2}$"))]
    pub sms_countries: Omittable<Vec<String>>,
    #[oai(validator(max_items = 250, pattern = "^[A-Za-z]{2}$"))]
    pub whatsapp_countries: Omittable<Vec<String>>,
    /// `false` refuses the app's keys from the next request on.
    pub is_active: Omittable<bool>,
}

/// A registered application.
#[derive(Debug, Object)]
pub struct AppBody {
    pub id: Uuid,
    pub name: String,
    pub channels: Vec<ChannelWord>,
    pub code_length: u32,
    pub ttl_seconds: u32,
    pub max_attempts: u32,
    /// Countries its SMS codes may go to; empty: every country the server texts.
    pub sms_countries: Vec<String>,
    /// Countries its WhatsApp codes may go to; empty: every country the server texts.
    pub whatsapp_countries: Vec<String>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
}

impl From<App> for AppBody {
    fn from(a: App) -> Self {
        Self {
            id: a.id.0,
            name: a.name,
            channels: a.channels.into_iter().map(Into::into).collect(),
            code_length: a.code_length,
            ttl_seconds: u32::try_from(a.code_ttl.as_secs()).unwrap_or(u32::MAX),
            max_attempts: a.max_attempts,
            sms_countries: a.sms_countries,
            whatsapp_countries: a.whatsapp_countries,
            is_active: a.is_active,
            created_at: a.created_at,
            modified_at: a.modified_at,
        }
    }
}

/// One of an application's keys, as an admin may see it: never the key.
#[derive(Debug, Object)]
pub struct KeyBody {
    /// The key's first characters, to tell keys apart.
    pub hint: String,
    pub created_at: DateTime<Utc>,
    /// When it stops working; absent for the current key.
    #[oai(skip_serializing_if_is_none)]
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<AppKey> for KeyBody {
    fn from(k: AppKey) -> Self {
        Self { hint: k.hint, created_at: k.created_at, expires_at: k.expires_at }
    }
}

/// An application with its keys.
#[derive(Debug, Object)]
pub struct AppDetailBody {
    #[oai(flatten)]
    pub app: AppBody,
    /// Newest first, expired ones included.
    pub keys: Vec<KeyBody>,
}

/// A newly registered application with its key.
#[derive(Debug, Object)]
pub struct CreatedAppBody {
    #[oai(flatten)]
    pub app: AppBody,
    /// `authd_app_…`: shown this once and stored only as a hash. Send it as
    /// `Authorization: Bearer <key>` or `X-API-Key: <key>`.
    pub api_key: String,
}

/// A new key.
#[derive(Debug, Object)]
pub struct NewKeyBody {
    /// Shown this once and stored only as a hash.
    pub api_key: String,
    /// When the keys it replaces stop working.
    pub previous_keys_expire_at: DateTime<Utc>,
}

impl From<IssuedKey> for NewKeyBody {
    fn from(k: IssuedKey) -> Self {
        Self { api_key: k.key.expose().to_owned(), previous_keys_expire_at: k.previous_until }
    }
}

/// A page of applications in registration order.
#[derive(Debug, Object)]
pub struct AppPageBody {
    pub items: Vec<AppBody>,
    /// Pass as `after` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<Uuid>,
}

#[derive(ApiResponse)]
pub enum CreatedApp {
    #[oai(status = 201)]
    Created(Json<CreatedAppBody>),
}

#[derive(ApiResponse)]
pub enum OneApp {
    #[oai(status = 200)]
    Ok(Json<AppBody>),
}

#[derive(ApiResponse)]
pub enum AppDetail {
    #[oai(status = 200)]
    Ok(Json<AppDetailBody>),
}

#[derive(ApiResponse)]
pub enum AppPage {
    #[oai(status = 200)]
    Ok(Json<AppPageBody>),
}

#[derive(ApiResponse)]
pub enum NewKey {
    #[oai(status = 201)]
    Created(Json<NewKeyBody>),
}

pub struct AppsApi;

#[OpenApi(prefix_path = "/apps", tag = "ApiTags::Apps")]
impl AppsApi {
    /// Register an application
    ///
    /// Answers its API key once; only a hash of it is stored. Each channel
    /// needs a sender configured on this server (`channel_unavailable` otherwise).
    #[oai(path = "/", method = "post")]
    async fn create(&self, apps: Use<'_, Apps>, caller: AccessAuth, body: Json<NewAppBody>) -> ApiResult<CreatedApp> {
        let b = body.0;
        let form = AppForm {
            name: b.name.into(),
            channels: channels(b.channels),
            code_length: b.code_length.0,
            ttl_seconds: b.ttl_seconds.0,
            max_attempts: b.max_attempts.0,
            sms_countries: b.sms_countries.0.unwrap_or_default(),
            whatsapp_countries: b.whatsapp_countries.0.unwrap_or_default(),
        };
        let (app, key) = apps.create(&caller.0, form).await?;
        Ok(CreatedApp::Created(Json(CreatedAppBody { app: app.into(), api_key: key.expose().to_owned() })))
    }

    /// List applications
    ///
    /// Keyset pages in registration order: pass `next_cursor` as `after`.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        apps: Use<'_, Apps>,
        caller: AccessAuth,
        /// Page size, 1 to 100.
        #[oai(default = "crate::v1::shared::default_limit", validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<u32>,
        /// `next_cursor` of the previous page.
        after: Query<Option<Uuid>>,
    ) -> ApiResult<AppPage> {
        let Page { items, next } = apps.list(&caller.0, after.0.map(AppId), limit.0).await?;
        Ok(AppPage::Ok(Json(AppPageBody {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor: next.map(|a| a.0),
        })))
    }

    /// Read an application
    ///
    /// With its keys' hints and lifetimes; never a key.
    #[oai(path = "/:id", method = "get")]
    async fn get(&self, apps: Use<'_, Apps>, caller: AccessAuth, id: Path<Uuid>) -> ApiResult<AppDetail> {
        let (app, keys) = apps.get(&caller.0, AppId(id.0)).await?;
        Ok(AppDetail::Ok(Json(AppDetailBody { app: app.into(), keys: keys.into_iter().map(Into::into).collect() })))
    }

    /// Change an application
    ///
    /// `is_active: false` refuses its keys from the next request on; its
    /// pending verifications can no longer be checked.
    #[oai(path = "/:id", method = "patch")]
    async fn patch(
        &self,
        apps: Use<'_, Apps>,
        caller: AccessAuth,
        id: Path<Uuid>,
        body: Json<AppPatchBody>,
    ) -> ApiResult<OneApp> {
        let b = body.0;
        let changes = AppChanges {
            name: b.name.into_string(),
            channels: b.channels.0.map(channels),
            code_length: b.code_length.0,
            ttl_seconds: b.ttl_seconds.0,
            max_attempts: b.max_attempts.0,
            sms_countries: b.sms_countries.0,
            whatsapp_countries: b.whatsapp_countries.0,
            is_active: b.is_active.0,
        };
        Ok(OneApp::Ok(Json(apps.update(&caller.0, AppId(id.0), changes).await?.into())))
    }

    /// Make a new API key
    ///
    /// The app's other keys keep working for the grace period
    /// (`AUTHD_APP_KEY_GRACE_SECONDS`, a day by default; the answer says
    /// until when), then stop.
    #[oai(path = "/:id/keys", method = "post")]
    async fn rotate_key(&self, apps: Use<'_, Apps>, caller: AccessAuth, id: Path<Uuid>) -> ApiResult<NewKey> {
        Ok(NewKey::Created(Json(apps.rotate_key(&caller.0, AppId(id.0)).await?.into())))
    }

    /// Delete an application
    ///
    /// Its keys stop at once; its events stay.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(&self, apps: Use<'_, Apps>, caller: AccessAuth, id: Path<Uuid>) -> ApiResult<NoContent> {
        apps.delete(&caller.0, AppId(id.0)).await?;
        Ok(NoContent::Done)
    }

    /// An application's events
    ///
    /// Changes made by admins and, for its verifications, every state
    /// change; newest first. Pass `next_cursor` as `before` for older ones.
    #[oai(path = "/:id/events", method = "get")]
    async fn events(
        &self,
        apps: Use<'_, Apps>,
        caller: AccessAuth,
        id: Path<Uuid>,
        /// Page size, 1 to 100.
        #[oai(default = "crate::v1::shared::default_limit", validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<u32>,
        /// `next_cursor` of the previous page.
        before: Query<Option<Uuid>>,
    ) -> ApiResult<EventPageResponse> {
        Ok(apps.events(&caller.0, AppId(id.0), before.0, limit.0).await?.into())
    }
}
