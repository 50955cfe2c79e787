//! Settings: built-in defaults, then an optional TOML file (`--config` or
//! `AUTHD_CONFIG`), then `AUTHD_*` environment variables (and `DATABASE_URL`).
//! Secrets are `SecretString`s and never printed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use domain::notify::DeliveryPolicy;
use domain::policy::Policy;
use domain::throttle::RateLimits;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunEnv {
    Dev,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// What tokens are signed with (`AUTHD_JWT_ALG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum JwtAlg {
    /// HMAC-SHA-256 with `AUTHD_JWT_SECRET`: only authd can check a token.
    #[serde(rename = "HS256", alias = "hs256")]
    Hs256,
    /// Ed25519 keys from the `signing_keys` table, rotated with `authd keys
    /// rotate` and published at `/.well-known/jwks.json`: anyone can check.
    #[serde(rename = "EdDSA", alias = "eddsa", alias = "EDDSA")]
    EdDsa,
}

/// Who delivers a phone channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// The channel is not offered.
    None,
    /// The file log (development).
    File,
    /// Vonage's SMS API (SMS only).
    Vonage,
    /// Twilio's Messages API (SMS and WhatsApp).
    Twilio,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// `AUTHD_ENV`: `dev` or `production` (which refuses unsafe defaults).
    pub env: RunEnv,
    /// `AUTHD_LISTEN`: address to serve on; port 0 picks a free one.
    pub listen: String,
    /// `DATABASE_URL`: `postgres://…` or `sqlite://…`; default: SQLite in the data dir.
    pub database_url: Option<String>,
    /// `AUTHD_DATA_DIR`: where the embedded defaults live.
    pub data_dir: PathBuf,
    /// `AUTHD_MAIL_LOG`: file-log mailer output; default `<data dir>/mail.log`.
    pub mail_log: Option<PathBuf>,
    /// `AUTHD_ACCESS_TTL`, seconds.
    pub access_ttl: u64,
    /// `AUTHD_REFRESH_TTL`, seconds.
    pub refresh_ttl: u64,
    /// `AUTHD_TEMP_TTL`, seconds: temporary token and one-time code lifetime.
    pub temp_ttl: u64,
    /// `AUTHD_OTP_RESEND_COOLDOWN`, seconds between codes for one login.
    pub otp_resend_cooldown: u64,
    /// `AUTHD_JWT_SECRET`: HS256 secret, at least 32 bytes. Generated into the
    /// data dir in dev when unset; required in production.
    pub jwt_secret: Option<SecretString>,
    /// `AUTHD_JWT_ALG`: `HS256` (the default) or `EdDSA`.
    pub jwt_alg: JwtAlg,
    /// `AUTHD_JWT_KEY_FILE`: with EdDSA, an Ed25519 private key (PKCS#8 PEM,
    /// `openssl genpkey -algorithm ed25519`) to sign with. Stored (sealed) in
    /// the key table at start when new, as a rotation would; unset, dev
    /// generates the first key and production needs `authd keys rotate`.
    pub jwt_key_file: Option<PathBuf>,
    /// `AUTHD_JWT_KEY_PUBLISH_SECONDS`: how long a rotated key is published
    /// (in the JWKS and to every node) before it signs (default 600). The
    /// JWKS is cacheable for half of it.
    pub jwt_key_publish_seconds: u64,
    /// `AUTHD_JWT_KEYS_RELOAD_MS`: how often each node rereads the signing
    /// keys (default 10 000; at most half the publish time).
    pub jwt_keys_reload_ms: u64,
    /// `AUTHD_ISSUER`: the `iss` of every token.
    pub issuer: String,
    /// `AUTHD_AUDIENCE`: the `aud` of access tokens, which resource servers
    /// check (the other kinds carry audiences of their own, `urn:authd:…`).
    pub audience: String,
    /// `AUTHD_DB_MAX_CONNECTIONS`: database pool size.
    pub db_max_connections: u32,
    /// `AUTHD_PURGE_INTERVAL_MS`: how often each node purges finished data.
    pub purge_interval_ms: u64,
    /// `AUTHD_EVENT_RETENTION_DAYS`: security events older than this are
    /// purged; 0 keeps them forever.
    pub event_retention_days: u64,
    /// `AUTHD_APP_KEY_GRACE_SECONDS`: how long an application's previous API
    /// key keeps working after a rotation (default a day; 0 ends it at once).
    pub app_key_grace_seconds: u64,
    /// `AUTHD_DB_ACQUIRE_TIMEOUT_MS`: how long a request waits for a
    /// database connection before it is answered 503.
    pub db_acquire_timeout_ms: u64,
    /// `AUTHD_DB_STATEMENT_TIMEOUT_MS`: how long one statement may run or
    /// wait for a lock before the request is answered 503; 0: no bound.
    pub db_statement_timeout_ms: u64,
    /// `AUTHD_DB_CONNECT_TIMEOUT`, seconds: how long authd waits at start
    /// for a PostgreSQL server that is not reachable yet before giving up.
    pub db_connect_timeout: u64,
    /// `AUTHD_HASH_CONCURRENCY`: password hashes run at once; default: CPU count.
    pub hash_concurrency: Option<usize>,
    /// `AUTHD_HASH_QUEUE_MAX_WAIT_MS`: a login (or any password check) that
    /// would wait longer than this for a hashing thread is answered 503
    /// `overloaded` at once; 0 queues without bound.
    pub hash_queue_max_wait_ms: u64,
    /// `AUTHD_BODY_LIMIT`: largest request body in bytes.
    pub body_limit: usize,
    /// `AUTHD_HEADER_TIMEOUT_MS`: a request head must arrive whole within
    /// this time of its first byte (or of the connection opening).
    pub header_timeout_ms: u64,
    /// `AUTHD_BODY_TIMEOUT_MS`: a request body must arrive whole within this
    /// time of its head; past it the answer is 408 and the connection closes.
    pub body_timeout_ms: u64,
    /// `AUTHD_KEEP_ALIVE_TIMEOUT_MS`: a connection idle between requests
    /// this long is closed.
    pub keep_alive_timeout_ms: u64,
    /// `AUTHD_MAX_CONNECTIONS`: connections open at once; one more is
    /// answered 503. Default: 10 000, or 3/4 of the open-file limit if lower.
    pub max_connections: Option<usize>,
    /// `AUTHD_SHUTDOWN_GRACE_MS`: on SIGTERM, how long requests in flight
    /// may take to finish before their connections are cut.
    pub shutdown_grace_ms: u64,
    /// `AUTHD_LOG_FORMAT`: `pretty` or `json`; default: json in production.
    pub log_format: Option<LogFormat>,
    /// `AUTHD_ALLOW_FILE_MAILER`: let production run with the file log as a sender.
    pub allow_file_mailer: bool,
    /// `AUTHD_SMTP_URL`: send mail over SMTP: `smtps://user:pass@host:465`,
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://host:25`.
    /// Unset: mail goes to the file log.
    pub smtp_url: Option<SecretString>,
    /// `AUTHD_MAIL_FROM`: the sender of every mail.
    pub mail_from: String,
    /// `AUTHD_SMS_PROVIDER`: `vonage`, `twilio`, `file` or `none`; default
    /// `file` in dev, `none` in production.
    pub sms_provider: Option<Provider>,
    /// `AUTHD_WHATSAPP_PROVIDER`: `twilio`, `file` or `none` (the default).
    pub whatsapp_provider: Provider,
    /// `AUTHD_VONAGE_API_KEY`.
    pub vonage_api_key: Option<String>,
    /// `AUTHD_VONAGE_API_SECRET`.
    pub vonage_api_secret: Option<SecretString>,
    /// `AUTHD_VONAGE_FROM`: the sender id or number SMS come from.
    pub vonage_from: Option<String>,
    /// `AUTHD_VONAGE_BASE_URL`.
    pub vonage_base_url: String,
    /// `AUTHD_TWILIO_ACCOUNT_SID`.
    pub twilio_account_sid: Option<String>,
    /// `AUTHD_TWILIO_AUTH_TOKEN`.
    pub twilio_auth_token: Option<SecretString>,
    /// `AUTHD_TWILIO_FROM`: the number (or Messaging Service SID `MG…`) SMS come from.
    pub twilio_from: Option<String>,
    /// `AUTHD_TWILIO_WHATSAPP_FROM`: the WhatsApp-enabled number messages come from.
    pub twilio_whatsapp_from: Option<String>,
    /// `AUTHD_TWILIO_BASE_URL`.
    pub twilio_base_url: String,
    /// `AUTHD_AUTO_MIGRATE`: apply pending migrations when serving.
    pub auto_migrate: bool,
    /// `AUTHD_RATE_TOKEN_PER_MINUTE`: `/auth/token` requests per client address and minute (0: no limit).
    pub rate_token_per_minute: u32,
    /// `AUTHD_RATE_OTP_PER_MINUTE`: `/auth/verify-otp` requests per client address and minute.
    pub rate_otp_per_minute: u32,
    /// `AUTHD_RATE_REGISTRATIONS_PER_HOUR`: registrations per client address and hour.
    pub rate_registrations_per_hour: u32,
    /// `AUTHD_RATE_PHONE_CODES_PER_HOUR`: phone-verification code requests per user and hour.
    pub rate_phone_codes_per_hour: u32,
    /// `AUTHD_RATE_VERIFICATIONS_PER_APP_PER_MINUTE`: verifications one application may start per minute.
    pub rate_verifications_per_app_per_minute: u32,
    /// `AUTHD_RATE_VERIFICATIONS_PER_DESTINATION_PER_HOUR`: verifications one application may start for one destination per hour.
    pub rate_verifications_per_destination_per_hour: u32,
    /// `AUTHD_VERIFICATION_MAX_PENDING`: verifications of one application pending at once for one destination (0: no cap).
    pub verification_max_pending: u32,
    /// `AUTHD_TRUSTED_PROXIES`: comma-separated addresses or networks whose
    /// `X-Forwarded-For` is believed. Empty: the peer address is the client.
    pub trusted_proxies: String,
    /// `AUTHD_CORS_ORIGINS`: comma-separated origins browsers may call from. Empty: CORS off.
    pub cors_origins: String,
    /// `AUTHD_ENCRYPTION_KEY`: at least 32 bytes; seals authenticator-app
    /// secrets at rest. Unset: derived from `AUTHD_JWT_SECRET`, which then
    /// cannot change without unsealing (and re-enrolling) every app.
    pub encryption_key: Option<SecretString>,
    /// `AUTHD_TOTP_MAIL_FALLBACK`: let users with an authenticator app also
    /// answer with a mailed code (weaker: the mailbox becomes a second factor).
    pub totp_mail_fallback: bool,
    /// `AUTHD_UI`: serve the web pages under `/ui` (default `true`).
    pub ui: bool,
    /// `AUTHD_REVOCATION_PUSH`: on PostgreSQL, keep what this node knows of
    /// sessions in memory and hear every revocation as it commits (LISTEN/
    /// NOTIFY), so token checks skip the database (default `true`). `false`
    /// checks the database on every request, as SQLite always does (for a
    /// pooler in transaction mode, which cannot LISTEN).
    pub revocation_push: bool,
    /// `AUTHD_REVOCATION_PING_MS`: how often the listener proves it is
    /// caught up (default 500). The memory is trusted for three times this
    /// after each proof: a listener gone silent falls back to the database
    /// within that.
    pub revocation_ping_ms: u64,
    /// `AUTHD_REVOCATION_RETRY_MS`: the first wait before the listener
    /// reconnects (default 250, doubling to 5 s); it checks the database meanwhile.
    pub revocation_retry_ms: u64,
    /// `AUTHD_SESSION_CACHE_MS` was the TTL cache that revocation push
    /// replaced: refused with a pointer to its successor.
    pub session_cache_ms: Option<u64>,
    /// `AUTHD_DELIVERY_POLL_MS`: how often a node looks for messages queued
    /// by other nodes or due for a retry (its own are sent at once).
    pub delivery_poll_ms: u64,
    /// `AUTHD_DELIVERY_RETRY_BASE_MS`: wait after a message's first failed
    /// attempt; each further failure doubles it.
    pub delivery_retry_base_ms: u64,
    /// `AUTHD_DELIVERY_RETRY_CAP_MS`: the longest wait between attempts.
    pub delivery_retry_cap_ms: u64,
    /// `AUTHD_DELIVERY_MAX_ATTEMPTS`: attempts before a message is given up.
    pub delivery_max_attempts: u32,
    /// `AUTHD_METRICS_LISTEN`: serve `/metrics` on this address only (say,
    /// one the load balancer does not expose); unset: on `AUTHD_LISTEN`.
    pub metrics_listen: Option<String>,
    /// `AUTHD_HSTS_SECONDS`: send `Strict-Transport-Security` with this max-age (0: off; set it behind TLS).
    pub hsts_seconds: u64,
    /// `AUTHD_BOOTSTRAP_ADMIN_EMAIL`: with `…_USERNAME` and `…_PASSWORD`, makes
    /// this the first administrator at start, when no active one exists.
    pub bootstrap_admin_email: Option<String>,
    /// `AUTHD_BOOTSTRAP_ADMIN_USERNAME`.
    pub bootstrap_admin_username: Option<String>,
    /// `AUTHD_BOOTSTRAP_ADMIN_PASSWORD`: needed unless the user already exists.
    pub bootstrap_admin_password: Option<SecretString>,
    /// `AUTHD_BOOTSTRAP_ADMIN_NAME` (default `Admin`).
    pub bootstrap_admin_name: String,
    /// `AUTHD_BOOTSTRAP_ADMIN_LASTNAME` (default `User`).
    pub bootstrap_admin_lastname: String,
}

impl Default for Settings {
    /// Lifetimes and limits start from the domain's [`Policy`] defaults, so
    /// each default is written once.
    fn default() -> Self {
        let policy = Policy::default();
        Self {
            env: RunEnv::Dev,
            listen: "127.0.0.1:8000".into(),
            database_url: None,
            data_dir: PathBuf::from("./data"),
            mail_log: None,
            access_ttl: policy.access_ttl.as_secs(),
            refresh_ttl: policy.refresh_ttl.as_secs(),
            temp_ttl: policy.temporary_ttl.as_secs(),
            otp_resend_cooldown: policy.otp_resend_cooldown.as_secs(),
            jwt_secret: None,
            jwt_alg: JwtAlg::Hs256,
            jwt_key_file: None,
            jwt_key_publish_seconds: 600,
            jwt_keys_reload_ms: 10_000,
            issuer: "authd".into(),
            audience: "authd".into(),
            db_max_connections: 16,
            db_connect_timeout: 30,
            db_acquire_timeout_ms: 3000,
            db_statement_timeout_ms: 5000,
            purge_interval_ms: 10 * 60 * 1000,
            event_retention_days: 365,
            app_key_grace_seconds: policy.app_key_grace.as_secs(),
            hash_concurrency: None,
            hash_queue_max_wait_ms: 1000,
            body_limit: 64 * 1024,
            header_timeout_ms: 10_000,
            body_timeout_ms: 10_000,
            keep_alive_timeout_ms: 75_000,
            max_connections: None,
            shutdown_grace_ms: 10_000,
            log_format: None,
            allow_file_mailer: false,
            smtp_url: None,
            mail_from: "authd <no-reply@localhost>".into(),
            sms_provider: None,
            whatsapp_provider: Provider::None,
            vonage_api_key: None,
            vonage_api_secret: None,
            vonage_from: None,
            vonage_base_url: "https://rest.nexmo.com".into(),
            twilio_account_sid: None,
            twilio_auth_token: None,
            twilio_from: None,
            twilio_whatsapp_from: None,
            twilio_base_url: "https://api.twilio.com".into(),
            auto_migrate: true,
            rate_token_per_minute: policy.rate_limits.token_per_minute,
            rate_otp_per_minute: policy.rate_limits.verify_otp_per_minute,
            rate_registrations_per_hour: policy.rate_limits.registrations_per_hour,
            rate_phone_codes_per_hour: policy.rate_limits.phone_codes_per_hour,
            rate_verifications_per_app_per_minute: policy.rate_limits.verifications_per_app_per_minute,
            rate_verifications_per_destination_per_hour: policy.rate_limits.verifications_per_destination_per_hour,
            verification_max_pending: policy.verification_max_pending,
            trusted_proxies: String::new(),
            cors_origins: String::new(),
            hsts_seconds: 0,
            metrics_listen: None,
            delivery_poll_ms: 1000,
            delivery_retry_base_ms: policy.delivery.retry_base.as_millis() as u64,
            delivery_retry_cap_ms: policy.delivery.retry_cap.as_millis() as u64,
            delivery_max_attempts: policy.delivery.max_attempts,
            revocation_push: true,
            revocation_ping_ms: 500,
            revocation_retry_ms: 250,
            session_cache_ms: None,
            encryption_key: None,
            totp_mail_fallback: policy.totp_mail_fallback,
            ui: true,
            bootstrap_admin_email: None,
            bootstrap_admin_username: None,
            bootstrap_admin_password: None,
            bootstrap_admin_name: "Admin".into(),
            bootstrap_admin_lastname: "User".into(),
        }
    }
}

/// Settings that are text whatever they look like. Figment reads other
/// variables as typed values, so `+14155550100` would become a number
/// (losing its `+`) and an all-digit secret would not load at all.
const TEXT_SETTINGS: [&str; 27] = [
    "listen",
    "data_dir",
    "mail_log",
    "jwt_secret",
    "jwt_alg",
    "jwt_key_file",
    "issuer",
    "audience",
    "smtp_url",
    "mail_from",
    "vonage_api_key",
    "vonage_api_secret",
    "vonage_from",
    "vonage_base_url",
    "twilio_account_sid",
    "twilio_auth_token",
    "twilio_from",
    "twilio_whatsapp_from",
    "twilio_base_url",
    "trusted_proxies",
    "cors_origins",
    "encryption_key",
    "bootstrap_admin_email",
    "bootstrap_admin_username",
    "bootstrap_admin_password",
    "bootstrap_admin_name",
    "bootstrap_admin_lastname",
];

/// The [`TEXT_SETTINGS`] set in the environment, verbatim.
fn text_settings() -> figment::value::Dict {
    TEXT_SETTINGS
        .iter()
        .filter_map(|key| {
            let value = std::env::var(format!("AUTHD_{}", key.to_uppercase())).ok()?;
            Some(((*key).to_owned(), value.into()))
        })
        .collect()
}

impl Settings {
    /// Loads defaults → file → environment, and checks the result.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut fig = Figment::new();
        if let Some(path) = file {
            if !path.exists() {
                bail!("config file {} does not exist", path.display());
            }
            fig = fig.merge(Toml::file(path));
        }
        let mut ignored = vec!["config", "base_url", "test_database_url"];
        ignored.extend(TEXT_SETTINGS);
        let settings: Settings = fig
            .merge(Env::prefixed("AUTHD_").ignore(&ignored))
            .merge(Serialized::defaults(text_settings()))
            .merge(Env::raw().only(&["database_url"]))
            .extract()
            .context("invalid configuration")?;
        settings.check()?;
        Ok(settings)
    }

    /// Refuses settings that cannot work, and unsafe ones in production, with
    /// one line naming the setting.
    pub fn check(&self) -> anyhow::Result<()> {
        for (name, v) in [
            ("AUTHD_ACCESS_TTL", self.access_ttl),
            ("AUTHD_REFRESH_TTL", self.refresh_ttl),
            ("AUTHD_TEMP_TTL", self.temp_ttl),
        ] {
            if v == 0 || v > 10 * 365 * 24 * 3600 {
                bail!("{name} must be between 1 and 315360000 seconds");
            }
        }
        if let Some(secret) = &self.jwt_secret
            && secret.expose_secret().len() < infra::jwt::MIN_SECRET_BYTES
        {
            bail!("AUTHD_JWT_SECRET must be at least {} bytes long", infra::jwt::MIN_SECRET_BYTES);
        }
        if let Some(key) = &self.encryption_key
            && key.expose_secret().len() < infra::sealer::MIN_KEY_BYTES
        {
            bail!(
                "AUTHD_ENCRYPTION_KEY must be at least {} bytes long; generate one with `openssl rand -hex 32`",
                infra::sealer::MIN_KEY_BYTES
            );
        }
        if infra::jwt::reserved_audience(&self.audience) {
            bail!(
                "AUTHD_AUDIENCE may not start with urn:authd: (the audiences of authd's own refresh, temporary and browser tokens)"
            );
        }
        if self.bootstrap_admin_email.is_some() != self.bootstrap_admin_username.is_some() {
            bail!("AUTHD_BOOTSTRAP_ADMIN_EMAIL and AUTHD_BOOTSTRAP_ADMIN_USERNAME go together: set both or neither");
        }
        crate::client_addr::TrustedProxies::parse(&self.trusted_proxies)?;
        if self.delivery_poll_ms == 0 || self.delivery_retry_base_ms == 0 || self.delivery_max_attempts == 0 {
            bail!(
                "AUTHD_DELIVERY_POLL_MS, AUTHD_DELIVERY_RETRY_BASE_MS and AUTHD_DELIVERY_MAX_ATTEMPTS must be at least 1"
            );
        }
        if self.db_acquire_timeout_ms == 0 {
            bail!("AUTHD_DB_ACQUIRE_TIMEOUT_MS must be at least 1");
        }
        for (name, v) in [
            ("AUTHD_HEADER_TIMEOUT_MS", self.header_timeout_ms),
            ("AUTHD_BODY_TIMEOUT_MS", self.body_timeout_ms),
            ("AUTHD_KEEP_ALIVE_TIMEOUT_MS", self.keep_alive_timeout_ms),
        ] {
            if v == 0 {
                bail!("{name} must be at least 1");
            }
        }
        if self.max_connections == Some(0) {
            bail!("AUTHD_MAX_CONNECTIONS must be at least 1");
        }
        if self.purge_interval_ms == 0 {
            bail!("AUTHD_PURGE_INTERVAL_MS must be at least 1");
        }
        if self.app_key_grace_seconds > 90 * 24 * 3600 {
            bail!("AUTHD_APP_KEY_GRACE_SECONDS must be at most 7776000 (90 days): a replaced key must stop");
        }
        if self.event_retention_days > 100 * 365 {
            bail!("AUTHD_EVENT_RETENTION_DAYS must be at most 36500 (0 keeps events forever)");
        }
        if self.delivery_retry_cap_ms < self.delivery_retry_base_ms {
            bail!("AUTHD_DELIVERY_RETRY_CAP_MS must be at least AUTHD_DELIVERY_RETRY_BASE_MS");
        }
        if self.session_cache_ms.is_some() {
            bail!(
                "AUTHD_SESSION_CACHE_MS is gone: revocations are pushed to every node now (AUTHD_REVOCATION_PUSH, on by default); unset it"
            );
        }
        if !(10..=60_000).contains(&self.revocation_ping_ms) || !(1..=60_000).contains(&self.revocation_retry_ms) {
            bail!(
                "AUTHD_REVOCATION_PING_MS must be between 10 and 60000, AUTHD_REVOCATION_RETRY_MS between 1 and 60000"
            );
        }
        if self.jwt_keys_reload_ms < 100 || self.jwt_key_publish_seconds * 1000 < 2 * self.jwt_keys_reload_ms {
            bail!(
                "AUTHD_JWT_KEYS_RELOAD_MS must be at least 100 and at most half of AUTHD_JWT_KEY_PUBLISH_SECONDS: every node must have read a rotated key before it signs"
            );
        }
        if self.jwt_key_file.is_some() && self.jwt_alg != JwtAlg::EdDsa {
            bail!("AUTHD_JWT_KEY_FILE is an Ed25519 key: it needs AUTHD_JWT_ALG=EdDSA");
        }
        if self.env == RunEnv::Production && self.jwt_secret.is_none() {
            bail!(
                "AUTHD_JWT_SECRET must be set (at least {} bytes) when AUTHD_ENV=production; generate one with `openssl rand -hex 32`",
                infra::jwt::MIN_SECRET_BYTES
            );
        }
        crate::senders::check_production(self)?;
        crate::senders::build(self)?;
        Ok(())
    }

    /// Who sends SMS: as configured, else the file log in dev and nobody in production.
    pub fn sms_provider(&self) -> Provider {
        self.sms_provider.unwrap_or(if self.env == RunEnv::Production { Provider::None } else { Provider::File })
    }

    /// The first administrator asked for by the `AUTHD_BOOTSTRAP_ADMIN_*` settings, if any.
    pub fn bootstrap_admin(&self) -> Option<domain::account::Registration> {
        let (email, username) = (self.bootstrap_admin_email.as_deref()?, self.bootstrap_admin_username.as_deref()?);
        Some(domain::admin::admin_form(
            email,
            username,
            &self.bootstrap_admin_name,
            &self.bootstrap_admin_lastname,
            self.bootstrap_admin_password.clone(),
        ))
    }

    /// Seals what must be read back (authenticator secrets, signing keys):
    /// under `AUTHD_ENCRYPTION_KEY`, or a key derived from the JWT secret.
    pub fn sealer(&self) -> anyhow::Result<std::sync::Arc<infra::sealer::ChaChaSealer>> {
        Ok(std::sync::Arc::new(match &self.encryption_key {
            Some(key) => infra::sealer::ChaChaSealer::derived_from(key.expose_secret().as_bytes()),
            None => infra::sealer::ChaChaSealer::derived_from(self.jwt_secret_bytes()?.expose_secret().as_bytes()),
        }))
    }

    /// The domain's policy with these settings' lifetimes and limits.
    pub fn policy(&self) -> Policy {
        Policy {
            access_ttl: Duration::from_secs(self.access_ttl),
            refresh_ttl: Duration::from_secs(self.refresh_ttl),
            temporary_ttl: Duration::from_secs(self.temp_ttl),
            otp_resend_cooldown: Duration::from_secs(self.otp_resend_cooldown),
            rate_limits: RateLimits {
                token_per_minute: self.rate_token_per_minute,
                verify_otp_per_minute: self.rate_otp_per_minute,
                registrations_per_hour: self.rate_registrations_per_hour,
                phone_codes_per_hour: self.rate_phone_codes_per_hour,
                verifications_per_app_per_minute: self.rate_verifications_per_app_per_minute,
                verifications_per_destination_per_hour: self.rate_verifications_per_destination_per_hour,
            },
            totp_mail_fallback: self.totp_mail_fallback,
            delivery: DeliveryPolicy {
                retry_base: Duration::from_millis(self.delivery_retry_base_ms),
                retry_cap: Duration::from_millis(self.delivery_retry_cap_ms),
                max_attempts: self.delivery_max_attempts,
                ..DeliveryPolicy::default()
            },
            retention: domain::retention::Retention {
                events: (self.event_retention_days > 0)
                    .then(|| Duration::from_secs(self.event_retention_days * 24 * 3600)),
                ..Default::default()
            },
            app_key_grace: Duration::from_secs(self.app_key_grace_seconds),
            verification_max_pending: self.verification_max_pending,
        }
    }

    /// Origins allowed by CORS; none means CORS is off.
    pub fn cors_origins(&self) -> Vec<String> {
        self.cors_origins.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("authd.db").display()))
    }

    pub fn mail_log(&self) -> PathBuf {
        self.mail_log.clone().unwrap_or_else(|| self.data_dir.join("mail.log"))
    }

    /// The HS256 secret: the configured one, or in dev one generated once
    /// into `<data dir>/jwt_secret` (mode 0600) and reused after.
    pub fn jwt_secret_bytes(&self) -> anyhow::Result<SecretString> {
        if let Some(s) = &self.jwt_secret {
            return Ok(s.clone());
        }
        if self.env == RunEnv::Production {
            bail!("AUTHD_JWT_SECRET must be set when AUTHD_ENV=production");
        }
        let path = self.data_dir.join("jwt_secret");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            let existing = existing.trim();
            if existing.len() >= infra::jwt::MIN_SECRET_BYTES {
                return Ok(existing.into());
            }
            bail!(
                "{} holds a secret shorter than {} bytes; delete it to generate a new one",
                path.display(),
                infra::jwt::MIN_SECRET_BYTES
            );
        }
        let mut raw = [0u8; 32];
        getrandom_fill(&mut raw);
        let secret = hex_encode(&raw);
        write_private(&path, secret.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
        tracing::info!(path = %path.display(), "generated a development signing secret");
        Ok(secret.into())
    }
}

fn getrandom_fill(buf: &mut [u8]) {
    use domain::rng::Rng;
    infra::rng::OsRng.fill(buf);
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn text_settings_are_read_verbatim_even_when_they_look_like_numbers() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("AUTHD_TWILIO_FROM", "+14155550100");
            jail.set_env("AUTHD_VONAGE_FROM", "4915112345678");
            jail.set_env("AUTHD_JWT_SECRET", "12345678901234567890123456789012");
            jail.set_env("AUTHD_BOOTSTRAP_ADMIN_NAME", "true");
            jail.set_env("AUTHD_RATE_PHONE_CODES_PER_HOUR", "3");
            let s = Settings::load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.twilio_from.as_deref(), Some("+14155550100"));
            assert_eq!(s.vonage_from.as_deref(), Some("4915112345678"));
            assert_eq!(s.jwt_secret.as_ref().map(|k| k.expose_secret().len()), Some(32));
            assert_eq!(s.bootstrap_admin_name, "true");
            assert_eq!(s.rate_phone_codes_per_hour, 3, "numbers are still numbers");
            Ok(())
        });
    }

    use super::*;

    #[test]
    fn production_refuses_to_start_without_a_jwt_secret() {
        let s = Settings { env: RunEnv::Production, allow_file_mailer: true, ..Default::default() };
        let err = s.check().unwrap_err().to_string();
        assert!(err.contains("AUTHD_JWT_SECRET"), "{err}");
    }

    #[test]
    fn an_app_key_grace_over_ninety_days_is_refused() {
        let s = Settings { app_key_grace_seconds: 90 * 24 * 3600 + 1, ..Default::default() };
        assert!(s.check().unwrap_err().to_string().contains("AUTHD_APP_KEY_GRACE_SECONDS"));
        let s = Settings { app_key_grace_seconds: 90 * 24 * 3600, ..Default::default() };
        assert!(s.check().is_ok());
        assert_eq!(s.policy().app_key_grace.as_secs(), 90 * 24 * 3600);
    }

    #[test]
    fn a_key_reload_slower_than_half_the_publish_time_is_refused() {
        // A node that rereads the keys less often could meet a token signed
        // with a key it has not read yet.
        let s = Settings { jwt_key_publish_seconds: 10, jwt_keys_reload_ms: 5001, ..Default::default() };
        assert!(s.check().unwrap_err().to_string().contains("AUTHD_JWT_KEYS_RELOAD_MS"));
        let s = Settings { jwt_key_publish_seconds: 10, jwt_keys_reload_ms: 5000, ..Default::default() };
        s.check().unwrap();
        let s = Settings { jwt_keys_reload_ms: 99, ..Default::default() };
        assert!(s.check().is_err());
    }

    #[test]
    fn a_key_file_without_eddsa_is_refused() {
        let s = Settings { jwt_key_file: Some("k.pem".into()), ..Default::default() };
        assert!(s.check().unwrap_err().to_string().contains("AUTHD_JWT_ALG=EdDSA"));
        let s = Settings { jwt_key_file: Some("k.pem".into()), jwt_alg: JwtAlg::EdDsa, ..Default::default() };
        s.check().unwrap();
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
    fn the_jwt_algorithm_is_read_by_its_jose_name() {
        for (text, alg) in [("EdDSA", JwtAlg::EdDsa), ("eddsa", JwtAlg::EdDsa), ("HS256", JwtAlg::Hs256)] {
            figment::Jail::expect_with(|jail| {
                jail.set_env("AUTHD_JWT_ALG", text);
                assert_eq!(Settings::load(None).unwrap().jwt_alg, alg);
                Ok(())
            });
        }
        figment::Jail::expect_with(|jail| {
            jail.set_env("AUTHD_JWT_ALG", "RS256");
            assert!(Settings::load(None).is_err(), "no algorithm but the two");
            Ok(())
        });
    }

    #[test]
    fn production_refuses_a_short_jwt_secret() {
        let s = Settings {
            env: RunEnv::Production,
            allow_file_mailer: true,
            jwt_secret: Some("short".into()),
            ..Default::default()
        };
        assert!(s.check().unwrap_err().to_string().contains("at least 32 bytes"));
    }

    #[test]
    fn an_access_audience_under_urn_authd_is_refused_naming_the_setting() {
        let s = Settings { audience: "urn:authd:refresh".into(), ..Default::default() };
        assert!(s.check().unwrap_err().to_string().contains("AUTHD_AUDIENCE"));
        let s = Settings { audience: "https://api.example.com".into(), ..Default::default() };
        s.check().unwrap();
    }

    #[test]
    fn production_refuses_the_file_mailer_unless_allowed() {
        let secret = Some(SecretString::from("x".repeat(32)));
        let s = Settings { env: RunEnv::Production, jwt_secret: secret.clone(), ..Default::default() };
        assert!(s.check().unwrap_err().to_string().contains("AUTHD_ALLOW_FILE_MAILER"));
        let s = Settings { env: RunEnv::Production, jwt_secret: secret, allow_file_mailer: true, ..Default::default() };
        s.check().unwrap();
    }

    #[test]
    fn production_names_the_missing_sender_setting() {
        let secret = Some(SecretString::from("x".repeat(32)));
        let prod = Settings { env: RunEnv::Production, jwt_secret: secret, ..Default::default() };
        assert!(prod.check().unwrap_err().to_string().contains("AUTHD_SMTP_URL"));
        let smtp = Some(SecretString::from("smtp://127.0.0.1:2525"));
        let with_smtp = Settings { smtp_url: smtp.clone(), ..prod.clone() };
        with_smtp.check().unwrap();
        assert_eq!(with_smtp.sms_provider(), Provider::None, "no SMS in production unless chosen");
        let file_sms = Settings { sms_provider: Some(Provider::File), ..with_smtp.clone() };
        assert!(file_sms.check().unwrap_err().to_string().contains("AUTHD_SMS_PROVIDER=file"));
        let twilio = Settings { sms_provider: Some(Provider::Twilio), ..with_smtp.clone() };
        assert!(twilio.check().unwrap_err().to_string().contains("AUTHD_TWILIO_FROM"));
        let twilio =
            Settings { twilio_from: Some("+14155550199".into()), twilio_account_sid: Some("AC1".into()), ..twilio };
        assert!(twilio.check().unwrap_err().to_string().contains("AUTHD_TWILIO_AUTH_TOKEN"));
        let vonage_wa = Settings { whatsapp_provider: Provider::Vonage, ..with_smtp };
        assert!(vonage_wa.check().unwrap_err().to_string().contains("AUTHD_WHATSAPP_PROVIDER"));
        let bad_url = Settings { smtp_url: Some(SecretString::from("ftp://x")), ..Default::default() };
        assert!(bad_url.check().unwrap_err().to_string().contains("AUTHD_SMTP_URL"));
    }

    #[test]
    fn dev_sends_everything_but_whatsapp_to_the_file_log_by_default() {
        let senders = crate::senders::build(&Settings::default()).unwrap();
        use domain::ports::Notifier;
        assert_eq!(senders.channels(), [domain::notify::Channel::Email, domain::notify::Channel::Sms]);
    }

    #[test]
    fn a_short_encryption_key_is_refused() {
        let s = Settings { encryption_key: Some("short".into()), ..Default::default() };
        assert!(s.check().unwrap_err().to_string().contains("AUTHD_ENCRYPTION_KEY"));
        let s = Settings { encryption_key: Some(SecretString::from("k".repeat(32))), ..Default::default() };
        s.check().unwrap();
    }

    #[test]
    fn dev_secret_is_generated_once_and_kept_private() {
        let dir = std::env::temp_dir().join(format!("authd-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let s = Settings { data_dir: dir.clone(), ..Default::default() };
        let first = s.jwt_secret_bytes().unwrap();
        let second = s.jwt_secret_bytes().unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("jwt_secret")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn default_settings_carry_the_domain_policy_and_override_it() {
        assert_eq!(Settings::default().policy(), Policy::default());
        let s = Settings { access_ttl: 60, rate_registrations_per_hour: 0, ..Default::default() };
        let p = s.policy();
        assert_eq!((p.access_ttl, p.rate_limits.registrations_per_hour), (Duration::from_secs(60), 0));
    }

    #[test]
    fn settings_debug_output_hides_the_secret() {
        let s = Settings { jwt_secret: Some("a-very-secret-value-of-32-bytes!!".into()), ..Default::default() };
        assert!(!format!("{s:?}").contains("a-very-secret"));
    }
}
