//! `TrustedDevices`: trusting a device after a second factor, recognising
//! it at a later password login, listing and forgetting devices.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use super::{DeviceToken, TrustedDevice, label_from};
use crate::audit::{Audit, EventKind};
use crate::clock::{Clock, after};
use crate::error::{Error, Result};
use crate::ports::{KeyedHasher, TrustedDeviceRepo};
use crate::rng::Rng;
use crate::session::Caller;
use crate::user::UserId;

#[derive(Clone)]
pub struct TrustedDevices {
    pub(crate) repo: Arc<dyn TrustedDeviceRepo>,
    pub(crate) keyed_hasher: Arc<dyn KeyedHasher>,
    pub(crate) audit: Audit,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Arc<dyn Rng>,
    /// How long a device stays trusted (`AUTHD_TRUSTED_DEVICE_DAYS`); zero:
    /// no device is ever trusted.
    pub(crate) ttl: Duration,
}

impl TrustedDevices {
    /// Whether devices may be trusted on this server.
    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// Trusts the device `user` just proved a second factor on, opening
    /// `session`: its token, to be kept by the client and shown nowhere
    /// else. `None` when the feature is off, or when the session was ended
    /// meanwhile (its "log out everywhere" forgets this device too).
    pub(crate) async fn remember(
        &self,
        user: UserId,
        session: Uuid,
        user_agent: Option<&str>,
    ) -> Result<Option<DeviceToken>> {
        if !self.enabled() {
            return Ok(None);
        }
        let now = self.clock.now();
        let token = DeviceToken::generate(self.rng.as_ref());
        let device = TrustedDevice {
            id: self.rng.uuid_v7(now),
            user_id: user,
            label: label_from(user_agent),
            created_at: now,
            last_used_at: None,
            expires_at: after(now, self.ttl),
        };
        if !self.repo.add(&device, &self.keyed_hasher.hash_device_token(&token), session).await? {
            return Ok(None);
        }
        let detail = [("device", device.id.to_string().into()), ("label", device.label.clone().into())];
        self.audit.record(user, None, EventKind::TrustedDeviceAdded, &detail).await?;
        Ok(Some(token))
    }

    /// Whether `presented` is a live device token of `user`'s (who just
    /// proved their password): then its use is recorded. Anyone else's
    /// token, an expired or forgotten one, or garbage is no device.
    pub(crate) async fn recognise(&self, user: UserId, presented: Option<&str>) -> Result<bool> {
        let Some(token) = presented.filter(|_| self.enabled()).and_then(DeviceToken::parse) else {
            return Ok(false);
        };
        let hash = self.keyed_hasher.hash_device_token(&token);
        let Some(device) = self.repo.use_token(user, &hash, self.clock.now()).await? else {
            return Ok(false);
        };
        let detail = [("device", device.id.to_string().into()), ("label", device.label.into())];
        self.audit.record(user, None, EventKind::TrustedDeviceUsed, &detail).await?;
        Ok(true)
    }

    /// The caller's trusted devices, newest first.
    pub async fn list(&self, caller: &Caller) -> Result<Vec<TrustedDevice>> {
        self.repo.list(caller.user_id, self.clock.now()).await
    }

    /// Forgets one of the caller's devices; anyone else's is not found.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn forget(&self, caller: &Caller, id: Uuid) -> Result<()> {
        if !self.repo.delete_owned(caller.user_id, id).await? {
            return Err(Error::TrustedDeviceNotFound);
        }
        self.audit
            .record(caller.user_id, None, EventKind::TrustedDeviceRemoved, &[("device", id.to_string().into())])
            .await
    }

    /// Forgets every device of `user`: after a new password, a reset, a
    /// second factor removed, an admin's reset, or "log out everywhere".
    pub(crate) async fn forget_all(&self, user: UserId) -> Result<u64> {
        let forgotten = self.repo.delete_all(user).await?;
        if forgotten > 0 {
            let detail = [("count", forgotten.into())];
            self.audit.record(user, None, EventKind::TrustedDevicesRevoked, &detail).await?;
        }
        Ok(forgotten)
    }
}
