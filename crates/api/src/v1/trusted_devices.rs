//! `/api/v1/users/me/trusted-devices`: the devices whose password logins
//! skip the second factor ("remember this device"), and forgetting one. The
//! account page lists and forgets the same through the same use case.

use chrono::{DateTime, Utc};
use domain::trusted_device::{TrustedDevice, TrustedDevices};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use crate::http::error::ApiResult;
use crate::http::security::AccessAuth;
use crate::http::state::Use;
use crate::v1::shared::{ApiTags, NoContent};

/// A device the caller trusted after a second factor.
#[derive(Debug, Object)]
pub struct TrustedDeviceBody {
    pub id: Uuid,
    /// What the device said it was when it was trusted ("Firefox on Linux").
    pub label: String,
    pub created_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// When its logins ask for the second factor again.
    pub expires_at: DateTime<Utc>,
}

impl From<TrustedDevice> for TrustedDeviceBody {
    fn from(d: TrustedDevice) -> Self {
        Self {
            id: d.id,
            label: d.label,
            created_at: d.created_at,
            last_used_at: d.last_used_at,
            expires_at: d.expires_at,
        }
    }
}

/// The caller's trusted devices, newest first.
#[derive(Debug, Object)]
pub struct TrustedDeviceListBody {
    pub items: Vec<TrustedDeviceBody>,
}

#[derive(ApiResponse)]
pub enum TrustedDeviceListResponse {
    #[oai(status = 200)]
    Ok(Json<TrustedDeviceListBody>),
}

pub struct TrustedDevicesApi;

#[OpenApi(prefix_path = "/users/me/trusted-devices", tag = "ApiTags::Users")]
impl TrustedDevicesApi {
    /// The caller's trusted devices
    ///
    /// Devices trusted with `remember_device` after a second factor, until
    /// they expire (`AUTHD_TRUSTED_DEVICE_DAYS`). All are forgotten when the
    /// password changes or is reset, a second factor is removed, or the user
    /// logs out everywhere.
    #[oai(path = "/", method = "get")]
    async fn list(&self, devices: Use<'_, TrustedDevices>, caller: AccessAuth) -> ApiResult<TrustedDeviceListResponse> {
        let items = devices.list(&caller.0).await?.into_iter().map(Into::into).collect();
        Ok(TrustedDeviceListResponse::Ok(Json(TrustedDeviceListBody { items })))
    }

    /// Forget one of the caller's trusted devices
    ///
    /// Its next login asks for the second factor again. Another user's
    /// device, or one already forgotten, is `trusted_device_not_found`.
    #[oai(path = "/:id", method = "delete")]
    async fn forget(
        &self,
        devices: Use<'_, TrustedDevices>,
        caller: AccessAuth,
        id: Path<Uuid>,
    ) -> ApiResult<NoContent> {
        devices.forget(&caller.0, id.0).await?;
        Ok(NoContent::Done)
    }
}
