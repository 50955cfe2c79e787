//! What tokens are signed with, as configured (`AUTHD_JWT_ALG`): the codec,
//! the EdDSA keys' first key at start, and the `authd keys` commands. The
//! schedule itself is `domain::signing_key`'s; the JWKS is served by
//! `http/jwks.rs`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use domain::clock::Clock;
use domain::ports::{SecretSealer, TokenCodec};
use infra::Database;
use infra::signing_keys::{Ed25519, Rotated, SigningKeys};
use secrecy::ExposeSecret;

use crate::boot::secrets;
use crate::config::{JwtAlg, Settings};

/// The codec for `settings`, and with EdDSA the keys it signs with, loaded.
/// With EdDSA and no key yet: `AUTHD_JWT_KEY_FILE`'s, or in dev a new one;
/// production refuses to start without one (`authd keys rotate` makes it).
pub async fn token_codec(
    settings: &Settings,
    db: &Database,
    sealer: Arc<dyn SecretSealer>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<(Arc<dyn TokenCodec>, Option<Arc<SigningKeys>>)> {
    let (issuer, audience) = (&settings.tokens.issuer, &settings.tokens.audience);
    if settings.tokens.jwt_alg == JwtAlg::Hs256 {
        let secret = secrets::jwt_secret(settings)?;
        return Ok((Arc::new(infra::jwt::JwtCodec::hs256(secret.expose_secret().as_bytes(), issuer, audience)?), None));
    }
    let keys = SigningKeys::new(db.clone(), sealer, clock);
    keys.reload().await.context("cannot load the signing keys (AUTHD_JWT_ALG=EdDSA)")?;
    if let Some(path) = &settings.tokens.jwt_key_file {
        if let Rotated::Added(times) = rotate(settings, &keys, read_key_file(path)?).await? {
            tracing::info!(kid = %times.kid, signs_from = %times.signs_from, "stored AUTHD_JWT_KEY_FILE's signing key");
        }
    } else if !keys.has_signer() {
        if settings.server.production() {
            bail!(
                "AUTHD_JWT_ALG=EdDSA has no signing key yet: run `authd keys rotate` once, or set AUTHD_JWT_KEY_FILE"
            );
        }
        if let Rotated::Added(times) = rotate(settings, &keys, Ed25519::generate()?).await? {
            tracing::info!(kid = %times.kid, "generated the first EdDSA signing key (dev)");
        }
    }
    Ok((Arc::new(infra::jwt::JwtCodec::eddsa(keys.clone(), issuer, audience)?), Some(keys)))
}

fn read_key_file(path: &std::path::Path) -> anyhow::Result<Ed25519> {
    let pem =
        std::fs::read_to_string(path).with_context(|| format!("cannot read AUTHD_JWT_KEY_FILE {}", path.display()))?;
    Ed25519::from_pem(&pem).with_context(|| format!("AUTHD_JWT_KEY_FILE {}", path.display()))
}

/// Adds `key` to the schedule with the configured publish time, retiring
/// the keys it replaces once the longest token they signed has expired.
async fn rotate(settings: &Settings, keys: &SigningKeys, key: Ed25519) -> anyhow::Result<Rotated> {
    let publish = Duration::from_secs(settings.tokens.jwt_key_publish_seconds);
    Ok(keys.rotate(key, publish, settings.policy().longest_token_lifetime()).await?)
}

/// `authd keys rotate [--key-file F]`: a new signing key (generated, or an
/// operator's), published at once and signing after the publish time.
pub async fn rotate_command(settings: &Settings, key_file: Option<&std::path::Path>) -> anyhow::Result<String> {
    let keys = open_keys(settings).await?;
    let key = match key_file {
        Some(path) => read_key_file(path)?,
        None => Ed25519::generate()?,
    };
    Ok(match rotate(settings, &keys, key).await? {
        Rotated::Added(t) => format!(
            "added signing key {}: published now, signs from {} (the keys it replaces verify until their last token expires)",
            t.kid,
            t.signs_from.to_rfc3339()
        ),
        Rotated::AlreadyStored(t) => format!("signing key {} is stored already; nothing changed", t.kid),
    })
}

/// `authd keys list`: every key with its schedule, one line each.
pub async fn list_command(settings: &Settings) -> anyhow::Result<String> {
    let keys = open_keys(settings).await?;
    let now = chrono::Utc::now();
    let lines: Vec<String> = keys
        .list()
        .await?
        .iter()
        .map(|k| {
            let state = if !k.verifies_at(now) {
                "retired"
            } else if k.signs_from > now {
                "published, not signing yet"
            } else {
                "verifying"
            };
            let retires = k.retires_at.map_or("-".to_owned(), |r| r.to_rfc3339());
            format!("{}  signs from {}  retires {}  {state}", k.kid, k.signs_from.to_rfc3339(), retires)
        })
        .collect();
    Ok(if lines.is_empty() { "no signing keys".to_owned() } else { lines.join("\n") })
}

async fn open_keys(settings: &Settings) -> anyhow::Result<Arc<SigningKeys>> {
    if settings.tokens.jwt_alg != JwtAlg::EdDsa {
        bail!("`authd keys` manages EdDSA keys: set AUTHD_JWT_ALG=EdDSA (HS256 signs with AUTHD_JWT_SECRET)");
    }
    let (_, db) = crate::boot::database::open(settings).await?;
    let keys = SigningKeys::new(db, secrets::sealer(settings)?, Arc::new(infra::clock::SystemClock));
    keys.reload().await.context("cannot load the signing keys")?;
    Ok(keys)
}
