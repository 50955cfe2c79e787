//! An application and the limits its settings must keep: the channels its
//! codes may travel on (at least one, each served by this server), the
//! countries its texted codes may go to (its geo permissions), the code's
//! length, lifetime and the wrong answers it survives. The ranges are
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
    /// Countries (ISO 3166 alpha-2) its SMS codes may go to; empty: every
    /// country the deployment texts (`AUTHD_SMS_COUNTRIES`).
    pub sms_countries: Vec<String>,
    /// The same for its WhatsApp codes.
    pub whatsapp_countries: Vec<String>,
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
    pub sms_countries: Vec<String>,
    pub whatsapp_countries: Vec<String>,
}

/// Settings to change; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct AppChanges {
    pub name: Option<String>,
    pub channels: Option<Vec<Channel>>,
    pub code_length: Option<u32>,
    pub ttl_seconds: Option<u32>,
    pub max_attempts: Option<u32>,
    pub sms_countries: Option<Vec<String>>,
    pub whatsapp_countries: Option<Vec<String>>,
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
    pub sms_countries: Option<Vec<String>>,
    pub whatsapp_countries: Option<Vec<String>>,
    pub is_active: Option<bool>,
}

/// What this server can send: the channels it has a sender for, and the
/// countries it texts (`AUTHD_SMS_COUNTRIES`; empty: every country). An
/// app's settings stay within it.
#[derive(Debug, Clone, Copy)]
pub struct Served<'a> {
    pub channels: &'a [Channel],
    pub countries: &'a [String],
}

impl AppChanges {
    /// Each set setting checked as a new app's is.
    pub fn checked(self, served: Served<'_>) -> Result<AppPatch> {
        let ttl = self.ttl_seconds.map(|n| within("ttl_seconds", n, TTL_SECONDS)).transpose()?;
        Ok(AppPatch {
            name: self.name.as_deref().map(name).transpose()?,
            channels: self.channels.as_deref().map(|c| channels(c, served.channels)).transpose()?,
            code_length: self.code_length.map(|n| within("code_length", n, CODE_LENGTH)).transpose()?,
            code_ttl: ttl.map(|n| Duration::from_secs(u64::from(n))),
            max_attempts: self.max_attempts.map(|n| within("max_attempts", n, MAX_ATTEMPTS)).transpose()?,
            sms_countries: self.sms_countries.as_deref().map(|c| countries("sms_countries", c, served)).transpose()?,
            whatsapp_countries: self
                .whatsapp_countries
                .as_deref()
                .map(|c| countries("whatsapp_countries", c, served))
                .transpose()?,
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
            ("sms_countries", self.sms_countries.is_some()),
            ("whatsapp_countries", self.whatsapp_countries.is_some()),
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

/// Countries as an app sets them: ISO 3166 alpha-2 codes (any case, each
/// kept once, upper-cased), each one the deployment texts; empty: every
/// country the deployment texts.
fn countries(field: &'static str, raw: &[String], served: Served<'_>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for code in raw {
        let one = crate::sms_guard::parse_countries(code).map_err(|e| invalid(field, e))?;
        let [code] = one.as_slice() else {
            return Err(invalid(field, format!("{code:?} is not one ISO 3166 alpha-2 country code")));
        };
        if !served.countries.is_empty() && !served.countries.contains(code) {
            return Err(invalid(
                field,
                format!("{code} is not among the countries this server texts (AUTHD_SMS_COUNTRIES)"),
            ));
        }
        if !out.contains(code) {
            out.push(code.clone());
        }
    }
    Ok(out)
}

impl App {
    /// A new app `id` from `form`, checked against what this server can send.
    pub fn new(id: AppId, form: AppForm, served: Served<'_>, now: DateTime<Utc>) -> Result<Self> {
        let ttl = within("ttl_seconds", form.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS), TTL_SECONDS)?;
        Ok(Self {
            id,
            name: name(&form.name)?,
            channels: channels(&form.channels, served.channels)?,
            code_length: within("code_length", form.code_length.unwrap_or(DEFAULT_CODE_LENGTH), CODE_LENGTH)?,
            code_ttl: Duration::from_secs(u64::from(ttl)),
            max_attempts: within("max_attempts", form.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS), MAX_ATTEMPTS)?,
            sms_countries: countries("sms_countries", &form.sms_countries, served)?,
            whatsapp_countries: countries("whatsapp_countries", &form.whatsapp_countries, served)?,
            is_active: true,
            created_at: now,
            modified_at: now,
        })
    }

    /// Whether this app's codes may go out on `channel`.
    pub fn sends_on(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }

    /// Whether this app's codes may go on `channel` to a number of
    /// `country` (ISO 3166 alpha-2, empty for none); the refusal says why.
    /// Mail goes anywhere.
    pub fn texts_to(&self, channel: Channel, country: &str) -> Result<()> {
        let allowed = match channel {
            Channel::Email => return Ok(()),
            Channel::Sms => &self.sms_countries,
            Channel::Whatsapp => &self.whatsapp_countries,
        };
        if allowed.is_empty() || allowed.iter().any(|c| c == country) {
            return Ok(());
        }
        let to = if country.is_empty() { "numbers of no country".to_owned() } else { format!("{country} numbers") };
        let reason = format!("this application sends no {} codes to {to}", channel.as_str());
        Err(Error::DestinationNotAllowed { reason })
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
