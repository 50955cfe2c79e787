//! Tokens: their lifetimes, what signs them, whom they are for, and the key
//! that seals what must be read back.

use std::path::PathBuf;

use domain::policy::Policy;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::section::{section, words};

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

words!(JwtAlg);

section! {
    /// Settings of the tokens authd signs.
    pub struct Tokens {
        /// `AUTHD_ACCESS_TTL`, seconds.
        pub access_ttl: u64 = Policy::default().access_ttl.as_secs(),
        /// `AUTHD_REFRESH_TTL`, seconds.
        pub refresh_ttl: u64 = Policy::default().refresh_ttl.as_secs(),
        /// `AUTHD_TEMP_TTL`, seconds: temporary token and one-time code lifetime.
        pub temp_ttl: u64 = Policy::default().temporary_ttl.as_secs(),
        /// `AUTHD_EMAIL_VERIFICATION_TTL`, seconds: how long a mailed proof of
        /// an email address (its link and code) works.
        pub email_verification_ttl: u64 = Policy::default().email_verification_ttl.as_secs(),
        /// `AUTHD_RESET_TTL`, seconds: how long a password-reset mail (its link
        /// and code) works.
        pub reset_ttl: u64 = Policy::default().reset_ttl.as_secs(),
        /// `AUTHD_REAUTH_MAX_AGE`, seconds: how recently a user with a second
        /// factor must have proved who they are, with two factors, to change
        /// their password, address, phone or second factors, or delete their
        /// account (RFC 9470 `max_age`).
        pub reauth_max_age: u64 = Policy::default().reauth_max_age.as_secs(),
        /// `AUTHD_JWT_SECRET`: HS256 secret, at least 32 bytes. Generated into the
        /// data dir in dev when unset; required in production.
        pub jwt_secret: Option<SecretString> = None,
        /// `AUTHD_JWT_ALG`: `HS256` (the default) or `EdDSA`.
        pub jwt_alg: JwtAlg = JwtAlg::Hs256,
        /// `AUTHD_JWT_KEY_FILE`: with EdDSA, an Ed25519 private key (PKCS#8 PEM,
        /// `openssl genpkey -algorithm ed25519`) to sign with. Stored (sealed) in
        /// the key table at start when new, as a rotation would; unset, dev
        /// generates the first key and production needs `authd keys rotate`.
        pub jwt_key_file: Option<PathBuf> = None,
        /// `AUTHD_JWT_KEY_PUBLISH_SECONDS`: how long a rotated key is published
        /// (in the JWKS and to every node) before it signs (default 600). The
        /// JWKS is cacheable for half of it.
        pub jwt_key_publish_seconds: u64 = 600,
        /// `AUTHD_JWT_KEYS_RELOAD_MS`: how often each node rereads the signing
        /// keys (default 10 000; at most half the publish time).
        pub jwt_keys_reload_ms: u64 = 10_000,
        /// `AUTHD_ISSUER`: the `iss` of every token.
        pub issuer: String = "authd".into(),
        /// `AUTHD_AUDIENCE`: the `aud` of access tokens, which resource servers
        /// check (the other kinds carry audiences of their own, `urn:authd:…`).
        pub audience: String = "authd".into(),
        /// `AUTHD_ENCRYPTION_KEY`: at least 32 bytes; seals authenticator-app
        /// secrets and signing keys at rest. Unset: derived from
        /// `AUTHD_JWT_SECRET`, which then cannot change without unsealing (and
        /// re-enrolling) every app.
        pub encryption_key: Option<SecretString> = None,
        /// `AUTHD_MEMORY_TOKENS`: how many checked access, client and
        /// browser tokens (their text and claims) a node remembers so that
        /// the same token is not verified again (default 20 000; 0: none).
        /// When full, the least recently used half is forgotten.
        pub memory_tokens: usize = 20_000,
    }
}

impl Tokens {
    pub(super) fn problems(&self, production: bool, problems: &mut Vec<String>) {
        for (name, v) in [
            ("AUTHD_ACCESS_TTL", self.access_ttl),
            ("AUTHD_REFRESH_TTL", self.refresh_ttl),
            ("AUTHD_TEMP_TTL", self.temp_ttl),
            ("AUTHD_EMAIL_VERIFICATION_TTL", self.email_verification_ttl),
            ("AUTHD_RESET_TTL", self.reset_ttl),
            ("AUTHD_REAUTH_MAX_AGE", self.reauth_max_age),
        ] {
            if v == 0 || v > 10 * 365 * 24 * 3600 {
                problems.push(format!("{name} must be between 1 and 315360000 seconds"));
            }
        }
        let min = domain::token::MIN_SECRET_BYTES;
        match &self.jwt_secret {
            Some(secret) if secret.expose_secret().len() < min => {
                problems.push(format!("AUTHD_JWT_SECRET must be at least {min} bytes long"))
            }
            None if production => problems.push(format!(
                "AUTHD_JWT_SECRET must be set (at least {min} bytes) when AUTHD_ENV=production; generate one with `openssl rand -hex 32`"
            )),
            _ => {}
        }
        let min = domain::ports::MIN_SEALING_KEY_BYTES;
        if let Some(key) = &self.encryption_key
            && key.expose_secret().len() < min
        {
            problems.push(format!(
                "AUTHD_ENCRYPTION_KEY must be at least {min} bytes long; generate one with `openssl rand -hex 32`"
            ));
        }
        if domain::token::reserved_audience(&self.audience) {
            problems.push(format!(
                "AUTHD_AUDIENCE may not start with {} (the audiences of authd's own refresh, temporary and browser tokens)",
                domain::token::OWN_AUDIENCE_PREFIX
            ));
        }
        if self.jwt_keys_reload_ms < 100 || self.jwt_key_publish_seconds * 1000 < 2 * self.jwt_keys_reload_ms {
            problems.push(
                "AUTHD_JWT_KEYS_RELOAD_MS must be at least 100 and at most half of AUTHD_JWT_KEY_PUBLISH_SECONDS: every node must have read a rotated key before it signs".into(),
            );
        }
        if self.jwt_key_file.is_some() && self.jwt_alg != JwtAlg::EdDsa {
            problems.push("AUTHD_JWT_KEY_FILE is an Ed25519 key: it needs AUTHD_JWT_ALG=EdDSA".into());
        }
    }
}
