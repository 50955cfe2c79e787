//! An application and the limits its settings must keep: the channels its
//! codes may travel on (at least one, each served by this server), the
//! code's length, lifetime and the wrong answers it survives. The ranges are
//! CHECK constraints of the `apps` table too.

use std::ops::RangeInclusive;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::notify::Channel;

/// Digits in a code.
pub const CODE_LENGTH: RangeInclusive<u32> = 4..=10;
pub const DEFAULT_CODE_LENGTH: u32 = 6;
/// Seconds a code lives.
pub const TTL_SECONDS: RangeInclusive<u32> = 60..=3600;
pub const DEFAULT_TTL_SECONDS: u32 = 300;
/// Wrong answers that close a verification.
pub const MAX_ATTEMPTS: RangeInclusive<u32> = 1..=10;
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Characters in an app's name.
pub const NAME_LEN: RangeInclusive<usize> = 1..=100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(pub Uuid);

impl std::fmt::Display for AppId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A registered application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub id: AppId,
    /// Shown to the people who receive its codes ("Your Acme code is …").
    pub name: String,
    /// Channels its codes may be sent on, in the order given.
    pub channels: Vec<Channel>,
    pub code_length: u32,
    pub code_ttl: Duration,
    pub max_attempts: u32,
    /// A deactivated app's keys are refused until it is activated again.
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
}

/// A new application as an admin describes it; absent numbers take the defaults.
#[derive(Debug, Clone, Default)]
pub struct AppForm {
    pub name: String,
    pub channels: Vec<Channel>,
    pub code_length: Option<u32>,
    pub ttl_seconds: Option<u32>,
    pub max_attempts: Option<u32>,
}

/// Settings to change; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct AppChanges {
    pub name: Option<String>,
    pub channels: Option<Vec<Channel>>,
    pub code_length: Option<u32>,
    pub ttl_seconds: Option<u32>,
    pub max_attempts: Option<u32>,
    pub is_active: Option<bool>,
}

/// Changes checked one by one. Each setting is valid on its own, so
/// storage applies them to whatever the row holds when the UPDATE runs:
/// two admins changing different settings at once both keep theirs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppPatch {
    pub name: Option<String>,
    pub channels: Option<Vec<Channel>>,
    pub code_length: Option<u32>,
    pub code_ttl: Option<Duration>,
    pub max_attempts: Option<u32>,
    pub is_active: Option<bool>,
}

impl AppChanges {
    /// Each set setting checked as a new app's is; `served` are the
    /// channels this server has a sender for.
    pub fn checked(self, served: &[Channel]) -> Result<AppPatch> {
        let ttl = self.ttl_seconds.map(|n| within("ttl_seconds", n, TTL_SECONDS)).transpose()?;
        Ok(AppPatch {
            name: self.name.as_deref().map(name).transpose()?,
            channels: self.channels.as_deref().map(|c| channels(c, served)).transpose()?,
            code_length: self.code_length.map(|n| within("code_length", n, CODE_LENGTH)).transpose()?,
            code_ttl: ttl.map(|n| Duration::from_secs(u64::from(n))),
            max_attempts: self.max_attempts.map(|n| within("max_attempts", n, MAX_ATTEMPTS)).transpose()?,
            is_active: self.is_active,
        })
    }

    /// The settings these changes set, for the event that records them.
    pub fn field_names(&self) -> Vec<&'static str> {
        let set = [
            ("name", self.name.is_some()),
            ("channels", self.channels.is_some()),
            ("code_length", self.code_length.is_some()),
            ("ttl_seconds", self.ttl_seconds.is_some()),
            ("max_attempts", self.max_attempts.is_some()),
            ("is_active", self.is_active.is_some()),
        ];
        set.iter().filter(|(_, s)| *s).map(|(n, _)| *n).collect()
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidField { field, reason: reason.into() }
}

fn within(field: &'static str, value: u32, range: RangeInclusive<u32>) -> Result<u32> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(invalid(field, format!("must be between {} and {}", range.start(), range.end())))
    }
}

/// A name trimmed, 1 to 100 characters, without control characters (it
/// goes into messages).
fn name(raw: &str) -> Result<String> {
    let s = raw.trim();
    if !NAME_LEN.contains(&s.chars().count()) {
        return Err(invalid("name", "must be 1 to 100 characters"));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid("name", "must not contain control characters"));
    }
    Ok(s.to_owned())
}

/// At least one channel, each at most once, each one this server sends on.
fn channels(raw: &[Channel], served: &[Channel]) -> Result<Vec<Channel>> {
    let mut out: Vec<Channel> = Vec::new();
    for c in raw {
        if !out.contains(c) {
            out.push(*c);
        }
    }
    if out.is_empty() {
        return Err(invalid("channels", "must name at least one of email, sms, whatsapp"));
    }
    if out.iter().any(|c| !served.contains(c)) {
        return Err(Error::ChannelUnavailable);
    }
    Ok(out)
}

impl App {
    /// A new app `id` from `form`, checked; `served` are the channels this
    /// server has a sender for.
    pub fn new(id: AppId, form: AppForm, served: &[Channel], now: DateTime<Utc>) -> Result<Self> {
        let ttl = within("ttl_seconds", form.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS), TTL_SECONDS)?;
        Ok(Self {
            id,
            name: name(&form.name)?,
            channels: channels(&form.channels, served)?,
            code_length: within("code_length", form.code_length.unwrap_or(DEFAULT_CODE_LENGTH), CODE_LENGTH)?,
            code_ttl: Duration::from_secs(u64::from(ttl)),
            max_attempts: within("max_attempts", form.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS), MAX_ATTEMPTS)?,
            is_active: true,
            created_at: now,
            modified_at: now,
        })
    }

    /// Whether this app's codes may go out on `channel`.
    pub fn sends_on(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::Whatsapp];

    fn form() -> AppForm {
        AppForm {
            name: "  Acme shop ".into(),
            channels: vec![Channel::Sms, Channel::Email, Channel::Sms],
            ..Default::default()
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn a_new_app_takes_the_defaults_and_keeps_each_channel_once_in_order() {
        let app = App::new(AppId(Uuid::nil()), form(), &ALL, now()).unwrap();
        assert_eq!(app.name, "Acme shop");
        assert_eq!(app.channels, [Channel::Sms, Channel::Email]);
        assert_eq!((app.code_length, app.code_ttl.as_secs(), app.max_attempts), (6, 300, 5));
        assert!(app.is_active);
    }

    #[test]
    fn app_settings_outside_their_ranges_are_refused_naming_the_field() {
        let cases: [(AppForm, &str); 9] = [
            (AppForm { code_length: Some(3), ..form() }, "code_length"),
            (AppForm { code_length: Some(11), ..form() }, "code_length"),
            (AppForm { ttl_seconds: Some(59), ..form() }, "ttl_seconds"),
            (AppForm { ttl_seconds: Some(3601), ..form() }, "ttl_seconds"),
            (AppForm { max_attempts: Some(0), ..form() }, "max_attempts"),
            (AppForm { max_attempts: Some(11), ..form() }, "max_attempts"),
            (AppForm { name: " ".into(), ..form() }, "name"),
            (AppForm { name: "a\nb".into(), ..form() }, "name"),
            (AppForm { channels: vec![], ..form() }, "channels"),
        ];
        for (f, field) in cases {
            match App::new(AppId(Uuid::nil()), f, &ALL, now()) {
                Err(Error::InvalidField { field: got, .. }) => assert_eq!(got, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let edges = AppForm { code_length: Some(10), ttl_seconds: Some(60), max_attempts: Some(1), ..form() };
        assert!(App::new(AppId(Uuid::nil()), edges, &ALL, now()).is_ok());
        let edges = AppForm { code_length: Some(4), ttl_seconds: Some(3600), max_attempts: Some(10), ..form() };
        assert!(App::new(AppId(Uuid::nil()), edges, &ALL, now()).is_ok());
        assert!(App::new(AppId(Uuid::nil()), AppForm { name: "x".repeat(100), ..form() }, &ALL, now()).is_ok());
        assert!(App::new(AppId(Uuid::nil()), AppForm { name: "x".repeat(101), ..form() }, &ALL, now()).is_err());
    }

    #[test]
    fn an_app_may_only_enable_channels_the_server_sends_on() {
        let e = App::new(AppId(Uuid::nil()), form(), &[Channel::Email], now()).unwrap_err();
        assert!(matches!(e, Error::ChannelUnavailable), "{e:?}");
        let app = App::new(
            AppId(Uuid::nil()),
            AppForm { channels: vec![Channel::Email], ..form() },
            &[Channel::Email],
            now(),
        )
        .unwrap();
        assert_eq!(app.channels, [Channel::Email]);
        let e = AppChanges { channels: Some(vec![Channel::Whatsapp]), ..Default::default() }.checked(&[Channel::Email]);
        assert!(matches!(e, Err(Error::ChannelUnavailable)));
    }

    #[test]
    fn changing_an_app_checks_each_setting_and_leaves_the_rest_unset() {
        let changes =
            AppChanges { max_attempts: Some(3), is_active: Some(false), ttl_seconds: Some(60), ..Default::default() };
        let patch = changes.checked(&ALL).unwrap();
        assert_eq!(
            (patch.max_attempts, patch.is_active, patch.code_ttl),
            (Some(3), Some(false), Some(Duration::from_secs(60)))
        );
        assert_eq!((patch.name, patch.channels, patch.code_length), (None, None, None));
        let renamed = AppChanges {
            name: Some("  Shop ".into()),
            channels: Some(vec![Channel::Sms, Channel::Sms]),
            ..Default::default()
        };
        let patch = renamed.checked(&ALL).unwrap();
        assert_eq!(
            (patch.name.as_deref(), patch.channels),
            (Some("Shop"), Some(vec![Channel::Sms])),
            "checked as a new app's"
        );
        for bad in [
            AppChanges { code_length: Some(2), ..Default::default() },
            AppChanges { ttl_seconds: Some(3601), ..Default::default() },
            AppChanges { max_attempts: Some(0), ..Default::default() },
            AppChanges { name: Some(" ".into()), ..Default::default() },
            AppChanges { channels: Some(vec![]), ..Default::default() },
        ] {
            assert!(matches!(bad.clone().checked(&ALL), Err(Error::InvalidField { .. })), "{bad:?}");
        }
        assert!(AppChanges::default().field_names().is_empty());
        let two = AppChanges { is_active: Some(true), name: Some("x".into()), ..Default::default() };
        assert_eq!(two.field_names(), ["name", "is_active"]);
    }
}
