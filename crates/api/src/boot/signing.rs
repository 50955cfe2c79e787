//! What tokens are signed with, as configured (`AUTHD_JWT_ALG`): the codec,
//! the EdDSA keys' first key at start, and the `authd keys` commands. The
//! key table is loaded whatever the algorithm: ID tokens are signed from it
//! (RS256 or EdDSA) even when access tokens are HS256. The schedule itself
//! is `domain::signing_key`'s; the JWKS is served by `http/jwks.rs`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use domain::clock::Clock;
use domain::ports::{SecretSealer, TokenCodec};
use infra::Database;
use infra::signing_keys::{KeyPair, Rotated, SigningAlg, SigningKeys};
use secrecy::ExposeSecret;

use crate::boot::secrets;
use crate::config::{JwtAlg, Settings};

/// The codec for `settings`, and the key table, loaded. With EdDSA and no
/// key yet: `AUTHD_JWT_KEY_FILE`'s, or in dev a new one; production refuses
/// to start without one (`authd keys rotate` makes it).
pub async fn token_codec(
    settings: &Settings,
    db: &Database,
    sealer: Arc<dyn SecretSealer>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<(Arc<dyn TokenCodec>, Arc<SigningKeys>)> {
    let (issuer, audience) = (&settings.tokens.issuer, &settings.tokens.audience);
    let keys = SigningKeys::new(db.clone(), sealer, clock);
    keys.reload().await.context("cannot load the signing keys")?;
    if settings.tokens.jwt_alg == JwtAlg::Hs256 {
        let secret = secrets::jwt_secret(settings)?;
        let codec = infra::jwt::JwtCodec::hs256(secret.expose_secret().as_bytes(), issuer, audience)?
            .remember_tokens(settings.tokens.memory_tokens);
        return Ok((Arc::new(codec), keys));
    }
    if let Some(path) = &settings.tokens.jwt_key_file {
        if let Rotated::Added(times) = rotate(settings, &keys, read_key_file(path, SigningAlg::EdDsa)?).await? {
            tracing::info!(kid = %times.kid, signs_from = %times.signs_from, "stored AUTHD_JWT_KEY_FILE's signing key");
        }
    } else if !keys.has_signer(SigningAlg::EdDsa) {
        if settings.server.production() {
            bail!(
                "AUTHD_JWT_ALG=EdDSA has no signing key yet: run `authd keys rotate` once, or set AUTHD_JWT_KEY_FILE"
            );
        }
        if let Rotated::Added(times) = rotate(settings, &keys, KeyPair::generate(SigningAlg::EdDsa)?).await? {
            tracing::info!(kid = %times.kid, "generated the first EdDSA signing key (dev)");
        }
    }
    let codec =
        infra::jwt::JwtCodec::eddsa(keys.clone(), issuer, audience)?.remember_tokens(settings.tokens.memory_tokens);
    Ok((Arc::new(codec), keys))
}

/// A private key file, which must hold a key of `alg`.
fn read_key_file(path: &std::path::Path, alg: SigningAlg) -> anyhow::Result<KeyPair> {
    let pem = std::fs::read_to_string(path).with_context(|| format!("cannot read the key file {}", path.display()))?;
    let key = KeyPair::from_pem(&pem).with_context(|| format!("the key file {}", path.display()))?;
    if key.alg() != alg {
        bail!("the key file {} holds a {} key, not {}", path.display(), key.alg().jose(), alg.jose());
    }
    Ok(key)
}

/// Adds `key` to the schedule with the configured publish time, retiring
/// the keys it replaces once the longest token they signed has expired.
async fn rotate(settings: &Settings, keys: &SigningKeys, key: KeyPair) -> anyhow::Result<Rotated> {
    let publish = Duration::from_secs(settings.tokens.jwt_key_publish_seconds);
    Ok(keys.rotate(key, publish, settings.policy().longest_token_lifetime()).await?)
}

/// `authd keys rotate [--alg A] [--key-file F]`: a new signing key of `alg`
/// (generated, or an operator's), published at once and signing after the
/// publish time.
pub async fn rotate_command(
    settings: &Settings,
    alg: &str,
    key_file: Option<&std::path::Path>,
) -> anyhow::Result<String> {
    let Some(alg) = SigningAlg::from_jose(alg) else { bail!("--alg is EdDSA or RS256, not {alg}") };
    let keys = open_keys(settings).await?;
    let key = match key_file {
        Some(path) => read_key_file(path, alg)?,
        None => tokio::task::spawn_blocking(move || KeyPair::generate(alg)).await??,
    };
    Ok(match rotate(settings, &keys, key).await? {
        Rotated::Added(t) => format!(
            "added signing key {}: published now, signs from {} (the keys it replaces verify until their last token expires)",
            t.kid,
            t.signs_from.to_rfc3339()
        ),
        Rotated::AlreadyStored(t) => format!("signing key {} is stored already; nothing changed", t.kid),
        Rotated::NotNeeded => "nothing changed".to_owned(),
    })
}

/// `authd keys list`: every key with its algorithm and schedule, one line each.
pub async fn list_command(settings: &Settings) -> anyhow::Result<String> {
    let keys = open_keys(settings).await?;
    let now = chrono::Utc::now();
    let listed = keys.list().await?;
    let lines: Vec<String> = listed
        .iter()
        .map(|k| {
            let same_alg: Vec<_> = listed.iter().filter(|o| o.alg == k.alg).map(|o| o.times.clone()).collect();
            let signing = domain::signing_key::signer_at(&same_alg, now).is_some_and(|s| s.kid == k.times.kid);
            let state = if signing {
                "signing"
            } else if !k.times.verifies_at(now) {
                "retired"
            } else if k.times.signs_from > now {
                "published, not signing yet"
            } else {
                "verifying until it retires (replaced)"
            };
            let retires = k.times.retires_at.map_or("-".to_owned(), |r| r.to_rfc3339());
            format!(
                "{}  {:<5}  signs from {}  retires {}  {state}",
                k.times.kid,
                k.alg.jose(),
                k.times.signs_from.to_rfc3339(),
                retires
            )
        })
        .collect();
    Ok(if lines.is_empty() { "no signing keys".to_owned() } else { lines.join("\n") })
}

async fn open_keys(settings: &Settings) -> anyhow::Result<Arc<SigningKeys>> {
    let (_, db) = crate::boot::database::open(settings).await?;
    let keys = SigningKeys::new(db, secrets::sealer(settings)?, Arc::new(infra::clock::SystemClock));
    keys.reload().await.context("cannot load the signing keys")?;
    Ok(keys)
}
