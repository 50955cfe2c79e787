use std::time::Duration;

use domain::policy::Policy;
use secrecy::{ExposeSecret, SecretString};

use super::*;

/// Every variable authd reads, as operators have written them since each
/// was added: renaming a field renames its variable, and this list fails.
const EVERY_VARIABLE: [&str; 101] = [
    "AUTHD_ACCESS_TTL",
    "AUTHD_ALLOW_FILE_MAILER",
    "AUTHD_APP_KEY_GRACE_SECONDS",
    "AUTHD_AUDIENCE",
    "AUTHD_AUTO_MIGRATE",
    "AUTHD_BODY_LIMIT",
    "AUTHD_BODY_TIMEOUT_MS",
    "AUTHD_BOOTSTRAP_ADMIN_EMAIL",
    "AUTHD_BOOTSTRAP_ADMIN_LASTNAME",
    "AUTHD_BOOTSTRAP_ADMIN_NAME",
    "AUTHD_BOOTSTRAP_ADMIN_PASSWORD",
    "AUTHD_BOOTSTRAP_ADMIN_USERNAME",
    "AUTHD_CORS_ORIGINS",
    "AUTHD_DATA_DIR",
    "AUTHD_DB_ACQUIRE_TIMEOUT_MS",
    "AUTHD_DB_CONNECT_TIMEOUT",
    "AUTHD_DB_MAX_CONNECTIONS",
    "AUTHD_DB_STATEMENT_TIMEOUT_MS",
    "AUTHD_DELIVERY_MAX_ATTEMPTS",
    "AUTHD_DELIVERY_POLL_MS",
    "AUTHD_DELIVERY_RETRY_BASE_MS",
    "AUTHD_DELIVERY_RETRY_CAP_MS",
    "AUTHD_EMAIL_VERIFICATION_TTL",
    "AUTHD_ENCRYPTION_KEY",
    "AUTHD_ENV",
    "AUTHD_EVENT_RETENTION_DAYS",
    "AUTHD_HASH_CONCURRENCY",
    "AUTHD_HASH_QUEUE_MAX_WAIT_MS",
    "AUTHD_HEADER_TIMEOUT_MS",
    "AUTHD_HSTS_SECONDS",
    "AUTHD_ISSUER",
    "AUTHD_JWT_ALG",
    "AUTHD_JWT_KEYS_RELOAD_MS",
    "AUTHD_JWT_KEY_FILE",
    "AUTHD_JWT_KEY_PUBLISH_SECONDS",
    "AUTHD_JWT_SECRET",
    "AUTHD_KEEP_ALIVE_TIMEOUT_MS",
    "AUTHD_LISTEN",
    "AUTHD_LOG_FORMAT",
    "AUTHD_MAIL_FROM",
    "AUTHD_MAIL_LOG",
    "AUTHD_MAX_CONNECTIONS",
    "AUTHD_MAX_CONNECTIONS_PER_ADDRESS",
    "AUTHD_MEMORY_SESSIONS",
    "AUTHD_MEMORY_TOKENS",
    "AUTHD_MEMORY_USERS",
    "AUTHD_METRICS_LISTEN",
    "AUTHD_OTP_RESEND_COOLDOWN",
    "AUTHD_PASSKEYS",
    "AUTHD_PUBLIC_URL",
    "AUTHD_PURGE_INTERVAL_MS",
    "AUTHD_RATE_EMAIL_CODES_PER_HOUR",
    "AUTHD_RATE_OTP_PER_MINUTE",
    "AUTHD_RATE_PHONE_CODES_PER_HOUR",
    "AUTHD_RATE_REGISTRATIONS_PER_HOUR",
    "AUTHD_RATE_RESET_MAILS_PER_HOUR",
    "AUTHD_RATE_RESET_REQUESTS_PER_HOUR",
    "AUTHD_RATE_TOKEN_PER_MINUTE",
    "AUTHD_RATE_VERIFICATIONS_PER_APP_PER_MINUTE",
    "AUTHD_RATE_VERIFICATIONS_PER_DESTINATION_PER_HOUR",
    "AUTHD_REAUTH_MAX_AGE",
    "AUTHD_REFRESH_TTL",
    "AUTHD_REQUIRE_2FA",
    "AUTHD_REQUIRE_VERIFIED_EMAIL",
    "AUTHD_RESET_TTL",
    "AUTHD_REVOCATION_PING_MS",
    "AUTHD_REVOCATION_PUSH",
    "AUTHD_REVOCATION_RETRY_MS",
    "AUTHD_SESSION_CACHE_MS",
    "AUTHD_SHUTDOWN_GRACE_MS",
    "AUTHD_SMS_COSTLY_NUMBERS",
    "AUTHD_SMS_COUNTRIES",
    "AUTHD_SMS_GUARD_BLOCK_MINUTES",
    "AUTHD_SMS_GUARD_MAX_BLOCK_HOURS",
    "AUTHD_SMS_GUARD_MIN_CONVERSION_PERCENT",
    "AUTHD_SMS_GUARD_MIN_SENDS",
    "AUTHD_SMS_MAX_PER_HOUR",
    "AUTHD_SMS_PREFIX_DIGITS",
    "AUTHD_SMS_PREFIX_MAX_PER_HOUR",
    "AUTHD_SMS_PROVIDER",
    "AUTHD_SMTP_URL",
    "AUTHD_SQLITE_SYNCHRONOUS",
    "AUTHD_TEMP_TTL",
    "AUTHD_TOTP_MAIL_FALLBACK",
    "AUTHD_TRUSTED_DEVICE_DAYS",
    "AUTHD_TRUSTED_PROXIES",
    "AUTHD_TWILIO_ACCOUNT_SID",
    "AUTHD_TWILIO_AUTH_TOKEN",
    "AUTHD_TWILIO_BASE_URL",
    "AUTHD_TWILIO_FROM",
    "AUTHD_TWILIO_WHATSAPP_FROM",
    "AUTHD_UI",
    "AUTHD_VERIFICATION_MAX_PENDING",
    "AUTHD_VONAGE_API_KEY",
    "AUTHD_VONAGE_API_SECRET",
    "AUTHD_VONAGE_BASE_URL",
    "AUTHD_VONAGE_FROM",
    "AUTHD_WEBAUTHN_ORIGINS",
    "AUTHD_WEBAUTHN_RP_NAME",
    "AUTHD_WHATSAPP_PROVIDER",
    "DATABASE_URL",
];

#[test]
fn every_setting_keeps_its_environment_variable_name() {
    let mut derived: Vec<String> = Settings::keys().map(Settings::variable).collect();
    derived.sort();
    assert_eq!(derived, EVERY_VARIABLE, "a setting was renamed, added or removed: operators' variables change");
}

#[test]
fn every_setting_is_documented_in_the_readme() {
    let readme = include_str!("../../../../README.md");
    for key in Settings::keys() {
        let variable = Settings::variable(key);
        assert!(readme.contains(&variable), "README.md does not explain {variable}");
    }
}

#[test]
#[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
fn every_variable_is_read_into_its_setting() {
    // Set each variable to a value that differs from its default and is
    // valid, then find each value where its field is.
    figment::Jail::expect_with(|jail| {
        jail.set_env("AUTHD_LISTEN", "127.0.0.1:0");
        jail.set_env("DATABASE_URL", "sqlite::memory:");
        jail.set_env("AUTHD_ACCESS_TTL", "61");
        jail.set_env("AUTHD_DB_STATEMENT_TIMEOUT_MS", "0");
        jail.set_env("AUTHD_TOTP_MAIL_FALLBACK", "true");
        jail.set_env("AUTHD_BOOTSTRAP_ADMIN_LASTNAME", "Root");
        jail.set_env("AUTHD_RATE_VERIFICATIONS_PER_APP_PER_MINUTE", "7");
        jail.set_env("AUTHD_SMS_PROVIDER", "none");
        jail.set_env("AUTHD_LOG_FORMAT", "json");
        jail.set_env("AUTHD_REQUIRE_2FA", "admins");
        let s = Settings::load(None).map_err(|e| e.to_string())?;
        assert_eq!(s.server.listen, "127.0.0.1:0");
        assert_eq!(s.database.database_url.as_deref(), Some("sqlite::memory:"));
        assert_eq!(s.tokens.access_ttl, 61);
        assert_eq!(s.database.db_statement_timeout_ms, 0);
        assert!(s.factors.totp_mail_fallback);
        assert_eq!(s.bootstrap.bootstrap_admin_lastname, "Root");
        assert_eq!(s.apps.rate_verifications_per_app_per_minute, 7);
        assert_eq!(s.delivery.sms_provider, Some(Provider::None));
        assert_eq!(s.server.log_format(), LogFormat::Json);
        assert_eq!(s.policy().require_2fa, domain::assurance::SecondFactorPolicy::Admins);
        Ok(())
    });
}

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
        assert_eq!(s.delivery.twilio_from.as_deref(), Some("+14155550100"));
        assert_eq!(s.delivery.vonage_from.as_deref(), Some("4915112345678"));
        assert_eq!(s.tokens.jwt_secret.as_ref().map(|k| k.expose_secret().len()), Some(32));
        assert_eq!(s.bootstrap.bootstrap_admin_name, "true");
        assert_eq!(s.limits.rate_phone_codes_per_hour, 3, "numbers are still numbers");
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
fn the_settings_file_is_read_and_the_environment_overrides_it() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("authd.toml", "listen = \"127.0.0.1:9\"\naccess_ttl = 120\nissuer = \"file\"\n")?;
        jail.set_env("AUTHD_ISSUER", "env");
        let s = Settings::load(Some(Path::new("authd.toml"))).map_err(|e| e.to_string())?;
        assert_eq!(
            (s.server.listen.as_str(), s.tokens.access_ttl, s.tokens.issuer.as_str()),
            ("127.0.0.1:9", 120, "env")
        );
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
fn every_problem_is_reported_at_once_naming_its_setting() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("AUTHD_BODY_LIMIT", "lots");
        jail.set_env("AUTHD_ACCESS_TTL", "soon");
        let err = Settings::load(None).unwrap_err().to_string();
        assert!(err.contains("BODY_LIMIT") && err.contains("ACCESS_TTL"), "{err}");
        Ok(())
    });
    let s = Settings {
        tokens: Tokens { access_ttl: 0, audience: "urn:authd:x".into(), ..Default::default() },
        database: Database { purge_interval_ms: 0, ..Default::default() },
        ..Default::default()
    };
    let problems = s.problems();
    for name in ["AUTHD_ACCESS_TTL", "AUTHD_AUDIENCE", "AUTHD_PURGE_INTERVAL_MS"] {
        assert!(problems.iter().any(|p| p.contains(name)), "{name} missing from {problems:?}");
    }
}

fn production(secret: bool) -> Settings {
    Settings {
        server: Server {
            env: RunEnv::Production,
            public_url: Some("https://id.example.com".into()),
            ..Default::default()
        },
        tokens: Tokens { jwt_secret: secret.then(|| SecretString::from("x".repeat(32))), ..Default::default() },
        ..Default::default()
    }
}

fn with_delivery(s: &Settings, delivery: Delivery) -> Settings {
    Settings { delivery, ..s.clone() }
}

#[test]
fn production_refuses_to_start_without_a_jwt_secret() {
    let mut s = production(false);
    s.delivery.allow_file_mailer = true;
    let err = s.check().unwrap_err().to_string();
    assert!(err.contains("AUTHD_JWT_SECRET"), "{err}");
}

#[test]
fn an_app_key_grace_over_ninety_days_is_refused() {
    let s = Settings {
        apps: Apps { app_key_grace_seconds: 90 * 24 * 3600 + 1, ..Default::default() },
        ..Default::default()
    };
    assert!(s.check().unwrap_err().to_string().contains("AUTHD_APP_KEY_GRACE_SECONDS"));
    let s =
        Settings { apps: Apps { app_key_grace_seconds: 90 * 24 * 3600, ..Default::default() }, ..Default::default() };
    assert!(s.check().is_ok());
    assert_eq!(s.policy().app_key_grace.as_secs(), 90 * 24 * 3600);
}

#[test]
fn a_key_reload_slower_than_half_the_publish_time_is_refused() {
    // A node that rereads the keys less often could meet a token signed
    // with a key it has not read yet.
    let tokens = |publish, reload| Settings {
        tokens: Tokens { jwt_key_publish_seconds: publish, jwt_keys_reload_ms: reload, ..Default::default() },
        ..Default::default()
    };
    assert!(tokens(10, 5001).check().unwrap_err().to_string().contains("AUTHD_JWT_KEYS_RELOAD_MS"));
    tokens(10, 5000).check().unwrap();
    assert!(tokens(600, 99).check().is_err());
}

#[test]
fn a_key_file_without_eddsa_is_refused() {
    let s =
        Settings { tokens: Tokens { jwt_key_file: Some("k.pem".into()), ..Default::default() }, ..Default::default() };
    assert!(s.check().unwrap_err().to_string().contains("AUTHD_JWT_ALG=EdDSA"));
    let s = Settings {
        tokens: Tokens { jwt_key_file: Some("k.pem".into()), jwt_alg: JwtAlg::EdDsa, ..Default::default() },
        ..Default::default()
    };
    s.check().unwrap();
}

#[test]
#[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
fn the_jwt_algorithm_is_read_by_its_jose_name() {
    for (text, alg) in [("EdDSA", JwtAlg::EdDsa), ("eddsa", JwtAlg::EdDsa), ("HS256", JwtAlg::Hs256)] {
        figment::Jail::expect_with(|jail| {
            jail.set_env("AUTHD_JWT_ALG", text);
            assert_eq!(Settings::load(None).unwrap().tokens.jwt_alg, alg);
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
    let mut s = production(false);
    s.delivery.allow_file_mailer = true;
    s.tokens.jwt_secret = Some("short".into());
    assert!(s.check().unwrap_err().to_string().contains("at least 32 bytes"));
}

#[test]
fn an_access_audience_under_urn_authd_is_refused_naming_the_setting() {
    let s = Settings {
        tokens: Tokens { audience: "urn:authd:refresh".into(), ..Default::default() },
        ..Default::default()
    };
    assert!(s.check().unwrap_err().to_string().contains("AUTHD_AUDIENCE"));
    let s = Settings {
        tokens: Tokens { audience: "https://api.example.com".into(), ..Default::default() },
        ..Default::default()
    };
    s.check().unwrap();
}

#[test]
fn production_refuses_the_file_mailer_unless_allowed() {
    let s = production(true);
    assert!(s.check().unwrap_err().to_string().contains("AUTHD_ALLOW_FILE_MAILER"));
    let allowed = with_delivery(&s, Delivery { allow_file_mailer: true, ..Default::default() });
    allowed.check().unwrap();
}

#[test]
fn production_names_the_missing_sender_setting() {
    let prod = production(true);
    assert!(prod.check().unwrap_err().to_string().contains("AUTHD_SMTP_URL"));
    let smtp = Delivery { smtp_url: Some(SecretString::from("smtp://127.0.0.1:2525")), ..Default::default() };
    let with_smtp = with_delivery(&prod, smtp.clone());
    with_smtp.check().unwrap();
    assert_eq!(with_smtp.delivery.sms_provider(true), Provider::None, "no SMS in production unless chosen");
    let file_sms = with_delivery(&prod, Delivery { sms_provider: Some(Provider::File), ..smtp.clone() });
    assert!(file_sms.check().unwrap_err().to_string().contains("AUTHD_SMS_PROVIDER=file"));
    let twilio = Delivery { sms_provider: Some(Provider::Twilio), ..smtp.clone() };
    assert!(with_delivery(&prod, twilio.clone()).check().unwrap_err().to_string().contains("AUTHD_TWILIO_FROM"));
    let twilio =
        Delivery { twilio_from: Some("+14155550199".into()), twilio_account_sid: Some("AC1".into()), ..twilio };
    assert!(with_delivery(&prod, twilio).check().unwrap_err().to_string().contains("AUTHD_TWILIO_AUTH_TOKEN"));
    let vonage_wa = Delivery { whatsapp_provider: Provider::Vonage, ..smtp };
    assert!(with_delivery(&prod, vonage_wa).check().unwrap_err().to_string().contains("AUTHD_WHATSAPP_PROVIDER"));
    let bad_url = Delivery { smtp_url: Some(SecretString::from("ftp://x")), ..Default::default() };
    let bad_url = Settings { delivery: bad_url, ..Default::default() };
    assert!(bad_url.check().unwrap_err().to_string().contains("AUTHD_SMTP_URL"));
}

#[test]
fn dev_sends_everything_but_whatsapp_to_the_file_log_by_default() {
    let plan = Settings::default().senders().unwrap();
    assert!(matches!(plan.email, MailSender::File));
    assert!(matches!(plan.sms, Some(PhoneSender::File)));
    assert!(plan.whatsapp.is_none());
}

#[test]
fn a_short_encryption_key_is_refused() {
    let key = |k: &str| Settings {
        tokens: Tokens { encryption_key: Some(k.into()), ..Default::default() },
        ..Default::default()
    };
    assert!(key("short").check().unwrap_err().to_string().contains("AUTHD_ENCRYPTION_KEY"));
    key(&"k".repeat(32)).check().unwrap();
}

#[test]
fn default_settings_carry_the_domain_policy_and_override_it() {
    assert_eq!(Settings::default().policy(), Policy::default());
    let s = Settings {
        tokens: Tokens { access_ttl: 60, ..Default::default() },
        limits: Limits { rate_registrations_per_hour: 0, ..Default::default() },
        ..Default::default()
    };
    let p = s.policy();
    assert_eq!((p.access_ttl, p.rate_limits.registrations_per_hour), (Duration::from_secs(60), 0));
}

#[test]
fn settings_debug_output_hides_the_secret() {
    let s = Settings {
        tokens: Tokens { jwt_secret: Some("a-very-secret-value-of-32-bytes!!".into()), ..Default::default() },
        ..Default::default()
    };
    assert!(!format!("{s:?}").contains("a-very-secret"));
    let plan = with_delivery(&s, Delivery { smtp_url: Some("smtp://user:hunter2@h".into()), ..Default::default() });
    assert!(!format!("{:?}", plan.senders().unwrap()).contains("hunter2"));
}

#[test]
#[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
fn a_second_factor_policy_other_than_none_admins_or_all_is_refused_naming_the_three() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("AUTHD_REQUIRE_2FA", "everyone");
        let e = Settings::load(None).map(|_| ()).expect_err("refused");
        assert!(e.to_string().contains("expected none, admins or all"), "{e}");
        Ok(())
    });
}
