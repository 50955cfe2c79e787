//! EdDSA signing keys (`AUTHD_JWT_ALG=EdDSA`): stored in `signing_keys`,
//! shared by every node, held in memory by each. The schedule (which key
//! signs when, until when a key verifies) is `domain::signing_key`'s; this
//! module stores it, seals the private halves (the `kid` as associated data,
//! so a sealed key moved to another row does not open), reloads it, and
//! publishes the public halves as a JWKS (RFC 7517, OKP keys of RFC 8037).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use domain::clock::Clock;
use domain::ports::SecretSealer;
use domain::signing_key::{KeyTimes, rotation, signer_at};
use domain::{Error, Result};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::{Database, execute, internal, statement};

/// The `alg` stored with each key; the only one there is.
const ALG: &str = "EdDSA";
/// Unknown `kid`s ask for a reload, at most this often.
const RELOAD_ON_UNKNOWN_AT_MOST_EVERY: Duration = Duration::from_secs(1);
/// Advisory-lock key serialising rotations on PostgreSQL.
const ROTATION_LOCK: i64 = 0x6175_7468_6400_0002;

/// An Ed25519 key pair.
pub struct Ed25519(ed25519_dalek::SigningKey);

impl Ed25519 {
    /// A new key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(Error::internal)?;
        Ok(Self::from_seed(seed))
    }

    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// An operator's key: a PKCS#8 PEM file (`openssl genpkey -algorithm ed25519`).
    pub fn from_pem(pem: &str) -> Result<Self> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map(Self)
            .map_err(|e| Error::internal(format!("not an Ed25519 private key in PKCS#8 PEM: {e}")))
    }

    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// The key's id: its RFC 7638 JWK thumbprint, the same on every node and
    /// for every import of the same key.
    pub fn kid(&self) -> String {
        thumbprint(&self.public())
    }

    pub(crate) fn encoding_key(&self) -> EncodingKey {
        let der = self.0.to_pkcs8_der().expect("an Ed25519 key always encodes");
        EncodingKey::from_ed_der(der.as_bytes())
    }

    pub(crate) fn decoding_key(&self) -> DecodingKey {
        decoding_key(&self.public())
    }
}

fn decoding_key(public: &[u8; 32]) -> DecodingKey {
    DecodingKey::from_ed_components(&URL_SAFE_NO_PAD.encode(public)).expect("32 bytes of base64url decode")
}

/// RFC 7638 §3: SHA-256 over the required members in lexicographic order,
/// base64url without padding.
pub fn thumbprint(public: &[u8; 32]) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, URL_SAFE_NO_PAD.encode(public));
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn seal_context(kid: &str) -> Vec<u8> {
    format!("authd/signing-key/{kid}").into_bytes()
}

/// One published public key of the JWKS.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    pub kty: &'static str,
    pub crv: &'static str,
    pub x: String,
    pub kid: String,
    pub alg: &'static str,
    #[serde(rename = "use")]
    pub use_: &'static str,
}

/// `GET /.well-known/jwks.json`'s body.
#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// What [`SigningKeys::rotate`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotated {
    /// The key is in the schedule now, with these times.
    Added(KeyTimes),
    /// The key was stored already (same `kid`); nothing changed.
    AlreadyStored(KeyTimes),
}

struct Loaded {
    public: [u8; 32],
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// The keys that verified at the last reload: their schedule, as
/// `domain::signing_key` reads it, and their opened halves, index for index.
#[derive(Default)]
struct Ring {
    schedule: Vec<KeyTimes>,
    loaded: Vec<Loaded>,
}

impl Ring {
    fn keys(&self) -> impl Iterator<Item = (&KeyTimes, &Loaded)> {
        self.schedule.iter().zip(&self.loaded)
    }

    fn get(&self, kid: &str) -> Option<(&KeyTimes, &Loaded)> {
        self.keys().find(|(times, _)| times.kid == kid)
    }
}

/// The signing keys as this node knows them.
pub struct SigningKeys {
    db: Database,
    sealer: Arc<dyn SecretSealer>,
    clock: Arc<dyn Clock>,
    ring: RwLock<Arc<Ring>>,
    unknown_kid: tokio::sync::Notify,
}

fn times(row: &QueryResult) -> Result<KeyTimes> {
    Ok(KeyTimes {
        kid: row.try_get("", "kid").map_err(internal)?,
        created_at: row.try_get("", "created_at").map_err(internal)?,
        signs_from: row.try_get("", "signs_from").map_err(internal)?,
        retires_at: row.try_get("", "retires_at").map_err(internal)?,
    })
}

/// Every key ever stored, retired ones too, oldest first.
async fn list_on(conn: &impl ConnectionTrait) -> Result<Vec<KeyTimes>> {
    let sql = "SELECT kid, created_at, signs_from, retires_at FROM signing_keys ORDER BY signs_from, created_at";
    let rows = conn.query_all_raw(statement(conn, sql, vec![])).await.map_err(internal)?;
    rows.iter().map(times).collect()
}

impl SigningKeys {
    /// Holds no key until [`reload`](Self::reload).
    pub fn new(db: Database, sealer: Arc<dyn SecretSealer>, clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self { db, sealer, clock, ring: RwLock::default(), unknown_kid: tokio::sync::Notify::new() })
    }

    /// Every key ever stored, retired ones too, oldest first.
    pub async fn list(&self) -> Result<Vec<KeyTimes>> {
        list_on(&self.db).await
    }

    /// Reads the keys that verify now, and opens their private halves.
    pub async fn reload(&self) -> Result<()> {
        let sql = "SELECT kid, created_at, signs_from, retires_at, public_key, sealed_private_key \
                   FROM signing_keys WHERE alg = $1 AND (retires_at IS NULL OR retires_at > $2)";
        let values = vec![ALG.into(), self.clock.now().into()];
        let rows = self.db.query_all_raw(statement(&self.db, sql, values)).await.map_err(internal)?;
        let mut ring = Ring::default();
        for row in &rows {
            let times = times(row)?;
            let public: Vec<u8> = row.try_get("", "public_key").map_err(internal)?;
            let sealed: Vec<u8> = row.try_get("", "sealed_private_key").map_err(internal)?;
            let seed = self.sealer.open(&sealed, &seal_context(&times.kid))?;
            let key = Ed25519::from_seed(
                seed.try_into().map_err(|_| Error::internal("a sealed signing key is not 32 bytes"))?,
            );
            if key.public().as_slice() != public || key.kid() != times.kid {
                return Err(Error::internal(format!("signing key {} does not match its public key", times.kid)));
            }
            ring.schedule.push(times);
            ring.loaded.push(Loaded {
                public: key.public(),
                encoding: key.encoding_key(),
                decoding: key.decoding_key(),
            });
        }
        *self.ring.write().expect("the key ring lock is never poisoned") = Arc::new(ring);
        Ok(())
    }

    fn ring(&self) -> Arc<Ring> {
        self.ring.read().expect("the key ring lock is never poisoned").clone()
    }

    /// Adds `key` as the next signing key (see `domain::signing_key::rotation`)
    /// and reloads. A key already stored (same `kid`) is left as it is.
    ///
    /// The schedule is read and written in one transaction that rotations
    /// take one at a time: on PostgreSQL under `pg_advisory_xact_lock`, on
    /// SQLite under the write lock its first statement (the INSERT) takes.
    /// Two rotations at once then plan from each other's result, and exactly
    /// one key is left without a retirement.
    pub async fn rotate(&self, key: Ed25519, publish_for: Duration, longest_token: Duration) -> Result<Rotated> {
        let kid = key.kid();
        let now = self.clock.now();
        let sealed = self.sealer.seal(&key.0.to_bytes(), &seal_context(&kid))?;
        let txn = self.db.begin().await.map_err(internal)?;
        if txn.get_database_backend() == DbBackend::Postgres {
            execute(&txn, "SELECT pg_advisory_xact_lock($1)", vec![ROTATION_LOCK.into()]).await?;
        }
        // Signing from `now` until the plan below says when: nobody reads
        // it before this transaction commits.
        let sql = "INSERT INTO signing_keys (kid, alg, public_key, sealed_private_key, created_at, signs_from, retires_at) \
                   VALUES ($1, $2, $3, $4, $5, $5, NULL) ON CONFLICT (kid) DO NOTHING";
        let values = vec![kid.clone().into(), ALG.into(), key.public().to_vec().into(), sealed.into(), now.into()];
        if execute(&txn, sql, values).await? == 0 {
            txn.rollback().await.map_err(internal)?;
            let stored = self.list().await?.into_iter().find(|k| k.kid == kid);
            return stored.map(Rotated::AlreadyStored).ok_or_else(|| Error::internal("a stored signing key vanished"));
        }
        let others: Vec<KeyTimes> = list_on(&txn).await?.into_iter().filter(|k| k.kid != kid).collect();
        let plan = rotation(&others, now, domain::clock::span(publish_for), domain::clock::span(longest_token));
        let sql = "UPDATE signing_keys SET signs_from = $1 WHERE kid = $2";
        execute(&txn, sql, vec![plan.signs_from.into(), kid.clone().into()]).await?;
        let sql = "UPDATE signing_keys SET retires_at = $1 WHERE retires_at IS NULL AND kid <> $2";
        execute(&txn, sql, vec![plan.retire_others_at.into(), kid.clone().into()]).await?;
        txn.commit().await.map_err(internal)?;
        self.reload().await?;
        Ok(Rotated::Added(KeyTimes { kid, created_at: now, signs_from: plan.signs_from, retires_at: None }))
    }

    /// Whether any key verifies now (so tokens can be checked at all).
    pub fn has_signer(&self) -> bool {
        signer_at(&self.ring().schedule, self.clock.now()).is_some()
    }

    /// The key that signs a token issued at `iat` (seconds), with its `kid`.
    pub(crate) fn signer(&self, iat: i64) -> Option<(String, EncodingKey)> {
        let at = DateTime::<Utc>::from_timestamp(iat, 0)?;
        let ring = self.ring();
        let kid = &signer_at(&ring.schedule, at)?.kid;
        ring.get(kid).map(|(_, k)| (kid.clone(), k.encoding.clone()))
    }

    /// The public key for `kid`, while it verifies. An unknown `kid` wakes
    /// the reload (another node may have rotated first); this token is refused.
    pub(crate) fn verifier(&self, kid: &str) -> Option<DecodingKey> {
        let now = self.clock.now();
        let ring = self.ring();
        match ring.get(kid) {
            Some((times, k)) => times.verifies_at(now).then(|| k.decoding.clone()),
            None => {
                self.unknown_kid.notify_one();
                None
            }
        }
    }

    /// Whether the key `kid` still verifies (a token it signed was checked
    /// before); unlike [`verifier`](Self::verifier), wakes no reload.
    pub(crate) fn still_verifies(&self, kid: &str) -> bool {
        let now = self.clock.now();
        self.ring().get(kid).is_some_and(|(times, _)| times.verifies_at(now))
    }

    /// The public keys that verify now, the next signing key included.
    pub fn jwks(&self) -> Jwks {
        let now = self.clock.now();
        let keys = self
            .ring()
            .keys()
            .filter(|(times, _)| times.verifies_at(now))
            .map(|(times, k)| Jwk {
                kty: "OKP",
                crv: "Ed25519",
                x: URL_SAFE_NO_PAD.encode(k.public),
                kid: times.kid.clone(),
                alg: ALG,
                use_: "sig",
            })
            .collect();
        Jwks { keys }
    }

    /// Reloads every `every`, and soon after a token names an unknown `kid`.
    /// A failed reload keeps the keys held and is retried at the next turn.
    pub fn spawn_reload(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let keys = self.clone();
        tokio::spawn(async move {
            loop {
                let woken = tokio::select! {
                    _ = tokio::time::sleep(every) => false,
                    _ = keys.unknown_kid.notified() => true,
                };
                if let Err(e) = keys.reload().await {
                    tracing::warn!(error = %e, "reloading the signing keys failed; keeping the ones held");
                }
                if woken {
                    // Unknown kids (junk tokens, say) reload at most this often.
                    tokio::time::sleep(RELOAD_ON_UNKNOWN_AT_MOST_EVERY.min(every)).await;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint() {
        // RFC 8037 appendix A.1 / A.3: this public key's thumbprint.
        let x = URL_SAFE_NO_PAD.decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
        assert_eq!(thumbprint(&x.try_into().unwrap()), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn a_pem_key_loads_and_keeps_its_identity() {
        // RFC 8410 §10.3's example private key.
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
        let key = Ed25519::from_pem(pem).unwrap();
        assert_eq!(key.kid(), Ed25519::from_pem(pem).unwrap().kid());
        assert!(Ed25519::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").is_err());
    }
}
