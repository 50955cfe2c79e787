//! Trusted devices ("remember this device"): after a second factor, a
//! browser or app may keep a device token that lets the same user's next
//! password logins skip the second factor for `AUTHD_TRUSTED_DEVICE_DAYS`.
//! Such a login proves the password alone (`amr` `pwd`, `aal1`), so a
//! sensitive change still asks for the factor. The token is random, shown
//! once, stored only as a keyed hash with its user, and worthless without
//! that user's password; every device ends when the password changes or
//! is reset, a second factor is removed, an admin resets them, or the user
//! logs out everywhere.

mod devices;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::user::UserId;

pub use devices::TrustedDevices;

/// A device token: 256 random bits as 64 hex digits. Never printed.
pub type DeviceToken = crate::random_token::RandomToken<32>;

/// A remembered device, as the user sees it in their list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedDevice {
    pub id: Uuid,
    pub user_id: UserId,
    /// What the device said it was when it was trusted ("Firefox on Linux").
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

/// The longest label kept.
pub const MAX_LABEL_CHARS: usize = 64;

/// A person's words for the device a `User-Agent` header names: the browser
/// and the system ("Firefox on Linux"), or the first characters of the
/// header when neither is recognised, or "Unknown device".
pub fn label_from(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.map(str::trim).filter(|u| !u.is_empty()) else {
        return "Unknown device".into();
    };
    // Order matters: Edge and Opera say Chrome too, Chrome says Safari.
    let browsers =
        [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")];
    let systems = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let find = |list: &[(&str, &'static str)]| list.iter().find(|(key, _)| ua.contains(key)).map(|(_, name)| *name);
    match (find(&browsers), find(&systems)) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => ua.chars().filter(|c| !c.is_control()).take(MAX_LABEL_CHARS).collect(),
    }
}
