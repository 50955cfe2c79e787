//! Settings: built-in defaults, then an optional TOML file (`--config` or
//! `AUTHD_CONFIG`), then `AUTHD_*` environment variables (and `DATABASE_URL`).
//!
//! One file per section ([`server`], [`database`], [`tokens`], [`delivery`],
//! [`limits`], [`apps`], [`sms_guard`], [`factors`], [`bootstrap`]); each setting is written
//! once there, with its doc and default. Names stay flat: the field
//! `listen` of [`Server`] is `AUTHD_LISTEN`, and `listen` in the TOML file.
//! Reading the environment and the file is this module's only IO: what is
//! built from the settings (senders, keys, the sealer) is built in `boot/`.
//! Secrets are `SecretString`s and never printed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use domain::notify::DeliveryPolicy;
use domain::policy::Policy;
use domain::throttle::RateLimits;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};

pub mod section;

pub mod apps;
pub mod bootstrap;
pub mod database;
pub mod delivery;
pub mod factors;
pub mod limits;
pub mod server;
pub mod sms_guard;
pub mod tokens;

pub use apps::Apps;
pub use bootstrap::Bootstrap;
pub use database::{Database, SqliteSynchronous};
pub use delivery::{Delivery, MailSender, PhoneSender, Provider, SenderPlan};
pub use factors::Factors;
pub use limits::Limits;
pub use section::Key;
pub use server::{LogFormat, RunEnv, Server};
pub use sms_guard::SmsGuard;
pub use tokens::{JwtAlg, Tokens};

/// Every setting, by section.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub server: Server,
    pub database: Database,
    pub tokens: Tokens,
    pub delivery: Delivery,
    pub limits: Limits,
    pub apps: Apps,
    pub sms_guard: SmsGuard,
    pub factors: Factors,
    pub bootstrap: Bootstrap,
}

/// Variables under `AUTHD_` that are not settings of the server.
const NOT_SETTINGS: [&str; 3] = ["config", "base_url", "test_database_url"];

impl Settings {
    /// Every setting's key, section by section.
    pub fn keys() -> impl Iterator<Item = &'static Key> {
        [
            Server::KEYS,
            Database::KEYS,
            Tokens::KEYS,
            Delivery::KEYS,
            Limits::KEYS,
            Apps::KEYS,
            SmsGuard::KEYS,
            Factors::KEYS,
            Bootstrap::KEYS,
        ]
        .into_iter()
        .flatten()
    }

    /// The environment variable a key is read from.
    pub fn variable(key: &Key) -> String {
        match key.name {
            "database_url" => "DATABASE_URL".to_owned(),
            name => format!("AUTHD_{}", name.to_uppercase()),
        }
    }

    /// Loads defaults → file → environment, and checks the result: an error
    /// lists every problem, one a line.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut fig = Figment::new();
        if let Some(path) = file {
            if !path.exists() {
                anyhow::bail!("config file {} does not exist", path.display());
            }
            fig = fig.merge(Toml::file(path));
        }
        let text: Vec<&str> = Self::keys().filter(|k| k.text).map(|k| k.name).collect();
        // The text settings set in the environment, verbatim.
        let verbatim: figment::value::Dict = text
            .iter()
            .filter_map(|key| {
                Some(((*key).to_owned(), std::env::var(format!("AUTHD_{}", key.to_uppercase())).ok()?.into()))
            })
            .collect();
        let ignored: Vec<&str> = NOT_SETTINGS.iter().copied().chain(text.iter().copied()).collect();
        let fig = fig
            .merge(Env::prefixed("AUTHD_").ignore(&ignored))
            .merge(Serialized::defaults(verbatim))
            .merge(Env::raw().only(&["database_url"]));
        let mut problems = Vec::new();
        let settings = Settings {
            server: read(&fig, &mut problems),
            database: read(&fig, &mut problems),
            tokens: read(&fig, &mut problems),
            delivery: read(&fig, &mut problems),
            limits: read(&fig, &mut problems),
            apps: read(&fig, &mut problems),
            sms_guard: read(&fig, &mut problems),
            factors: read(&fig, &mut problems),
            bootstrap: read(&fig, &mut problems),
        };
        if problems.is_empty() {
            problems = settings.problems();
        }
        if !problems.is_empty() {
            anyhow::bail!("{}", problems.join("\n"));
        }
        Ok(settings)
    }

    /// Refuses settings that cannot work, and unsafe ones in production.
    pub fn check(&self) -> anyhow::Result<()> {
        let problems = self.problems();
        if problems.is_empty() { Ok(()) } else { anyhow::bail!("{}", problems.join("\n")) }
    }

    /// Every problem of these settings, each a line naming its setting.
    pub fn problems(&self) -> Vec<String> {
        let production = self.server.production();
        let mut problems = Vec::new();
        self.server.problems(&mut problems);
        self.database.problems(&mut problems);
        self.tokens.problems(production, &mut problems);
        self.delivery.problems(production, &mut problems);
        self.apps.problems(&mut problems);
        self.sms_guard.problems(&mut problems);
        self.factors.problems(&self.server.public_url(None), &mut problems);
        self.bootstrap.problems(&mut problems);
        problems
    }

    /// The domain's policy with these settings' lifetimes and limits.
    pub fn policy(&self) -> Policy {
        let (tokens, limits, apps) = (&self.tokens, &self.limits, &self.apps);
        let delivery = &self.delivery;
        Policy {
            access_ttl: Duration::from_secs(tokens.access_ttl),
            refresh_ttl: Duration::from_secs(tokens.refresh_ttl),
            temporary_ttl: Duration::from_secs(tokens.temp_ttl),
            otp_resend_cooldown: Duration::from_secs(self.factors.otp_resend_cooldown),
            rate_limits: RateLimits {
                token_per_minute: limits.rate_token_per_minute,
                verify_otp_per_minute: limits.rate_otp_per_minute,
                registrations_per_hour: limits.rate_registrations_per_hour,
                phone_codes_per_hour: limits.rate_phone_codes_per_hour,
                email_codes_per_hour: limits.rate_email_codes_per_hour,
                reset_requests_per_hour: limits.rate_reset_requests_per_hour,
                reset_mails_per_hour: limits.rate_reset_mails_per_hour,
                verifications_per_app_per_minute: apps.rate_verifications_per_app_per_minute,
                verifications_per_destination_per_hour: apps.rate_verifications_per_destination_per_hour,
            },
            totp_mail_fallback: self.factors.totp_mail_fallback,
            passkeys: self.factors.passkeys,
            delivery: DeliveryPolicy {
                retry_base: Duration::from_millis(delivery.delivery_retry_base_ms),
                retry_cap: Duration::from_millis(delivery.delivery_retry_cap_ms),
                max_attempts: delivery.delivery_max_attempts,
                ..DeliveryPolicy::default()
            },
            retention: domain::retention::Retention {
                events: (self.database.event_retention_days > 0)
                    .then(|| Duration::from_secs(self.database.event_retention_days * 24 * 3600)),
                ..Default::default()
            },
            app_key_grace: Duration::from_secs(apps.app_key_grace_seconds),
            verification_max_pending: apps.verification_max_pending,
            public_url: self.server.public_url(None),
            email_verification_ttl: Duration::from_secs(tokens.email_verification_ttl),
            reset_ttl: Duration::from_secs(tokens.reset_ttl),
            require_verified_email: self.factors.require_verified_email,
            reauth_max_age: Duration::from_secs(tokens.reauth_max_age),
            trusted_device_ttl: Duration::from_secs(self.factors.trusted_device_days * 86_400),
            require_2fa: self.factors.require_2fa,
            sms_numbers: self.sms_guard.numbers(),
            sms_prefixes: self.sms_guard.prefixes(),
        }
    }

    /// The database: as configured, else SQLite in the data dir.
    pub fn database_url(&self) -> String {
        self.database
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.server.data_dir.join("authd.db").display()))
    }

    /// Where the file log writes messages: as configured, else in the data dir.
    pub fn mail_log(&self) -> PathBuf {
        self.delivery.mail_log.clone().unwrap_or_else(|| self.server.data_dir.join("mail.log"))
    }

    /// Which sender each channel gets (checked by [`Settings::problems`]).
    pub fn senders(&self) -> anyhow::Result<SenderPlan> {
        self.delivery.plan(self.server.production()).map_err(|problems| anyhow::anyhow!("{}", problems.join("\n")))
    }
}

/// One section read from `fig`; its problems are added to `problems`.
fn read<T: serde::de::DeserializeOwned + Default>(fig: &Figment, problems: &mut Vec<String>) -> T {
    fig.extract().unwrap_or_else(|errors: figment::Error| {
        problems.extend(errors.into_iter().map(|e| format!("invalid configuration: {e}")));
        T::default()
    })
}

#[cfg(test)]
mod sms_guard_tests;
#[cfg(test)]
mod tests;
