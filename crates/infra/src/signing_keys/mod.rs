//! The signing keys: stored in `signing_keys`, shared by every node, held
//! in memory by each. Two algorithms live side by side, each with its own
//! schedule: `EdDSA` (every token when `AUTHD_JWT_ALG=EdDSA`; ID tokens of
//! clients that ask for it) and `RS256` (ID tokens, OpenID Connect's
//! default). The schedule (which key signs when, until when a key verifies)
//! is `domain::signing_key`'s; this module stores it, seals the private
//! halves (the `kid` as associated data, so a sealed key moved to another
//! row does not open), reloads it, and publishes the public halves as a
//! JWKS (RFC 7517). The key pairs themselves are `pair.rs`'s.

mod pair;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::clock::Clock;
use domain::ports::SecretSealer;
use domain::signing_key::{KeyTimes, rotation, signer_at};
use domain::{Error, Result};
use jsonwebtoken::{DecodingKey, EncodingKey};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use serde::Serialize;

use crate::db::{Database, execute, internal, statement};

pub use pair::{Jwk, KeyPair, RSA_BITS, SigningAlg};

/// Unknown `kid`s ask for a reload, at most this often.
const RELOAD_ON_UNKNOWN_AT_MOST_EVERY: Duration = Duration::from_secs(1);
/// Advisory-lock key serialising rotations on PostgreSQL.
const ROTATION_LOCK: i64 = 0x6175_7468_6400_0002;

fn seal_context(kid: &str) -> Vec<u8> {
    format!("authd/signing-key/{kid}").into_bytes()
}

/// `GET /.well-known/jwks.json`'s body.
#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// A stored key: its algorithm and its place in that algorithm's schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub alg: SigningAlg,
    pub times: KeyTimes,
}

/// What [`SigningKeys::rotate`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotated {
    /// The key is in the schedule now, with these times.
    Added(KeyTimes),
    /// The key was stored already (same `kid`); nothing changed.
    AlreadyStored(KeyTimes),
    /// A first key was asked for, and another node's came first.
    NotNeeded,
}

struct Loaded {
    jwk: Jwk,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// One algorithm's keys that verified at the last reload: their schedule,
/// as `domain::signing_key` reads it, and their opened halves, index for index.
#[derive(Default)]
struct AlgRing {
    schedule: Vec<KeyTimes>,
    loaded: Vec<Loaded>,
}

/// Every algorithm's keys, by [`SigningAlg::index`].
#[derive(Default)]
struct Ring([AlgRing; 2]);

impl SigningAlg {
    fn index(self) -> usize {
        match self {
            SigningAlg::EdDsa => 0,
            SigningAlg::Rs256 => 1,
        }
    }
}

impl Ring {
    fn of(&self, alg: SigningAlg) -> &AlgRing {
        &self.0[alg.index()]
    }

    fn keys(&self) -> impl Iterator<Item = (&KeyTimes, &Loaded)> {
        self.0.iter().flat_map(|r| r.schedule.iter().zip(&r.loaded))
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

fn alg(row: &QueryResult) -> Result<SigningAlg> {
    let word: String = row.try_get("", "alg").map_err(internal)?;
    SigningAlg::from_jose(&word).ok_or_else(|| Error::internal(format!("a signing key of unknown algorithm {word}")))
}

/// Every key ever stored, retired ones too, oldest first.
async fn list_on(conn: &impl ConnectionTrait) -> Result<Vec<Listed>> {
    let sql = "SELECT kid, alg, created_at, signs_from, retires_at FROM signing_keys ORDER BY signs_from, created_at";
    let rows = conn.query_all_raw(statement(conn, sql, vec![])).await.map_err(internal)?;
    rows.iter().map(|row| Ok(Listed { alg: alg(row)?, times: times(row)? })).collect()
}

impl SigningKeys {
    /// Holds no key until [`reload`](Self::reload).
    pub fn new(db: Database, sealer: Arc<dyn SecretSealer>, clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self { db, sealer, clock, ring: RwLock::default(), unknown_kid: tokio::sync::Notify::new() })
    }

    /// Every key ever stored, retired ones too, oldest first.
    pub async fn list(&self) -> Result<Vec<Listed>> {
        list_on(&self.db).await
    }

    /// Reads the keys that verify now, and opens their private halves.
    pub async fn reload(&self) -> Result<()> {
        let sql = "SELECT kid, alg, created_at, signs_from, retires_at, public_key, sealed_private_key \
                   FROM signing_keys WHERE retires_at IS NULL OR retires_at > $1";
        let rows =
            self.db.query_all_raw(statement(&self.db, sql, vec![self.clock.now().into()])).await.map_err(internal)?;
        let mut ring = Ring::default();
        for row in &rows {
            let (alg, times) = (alg(row)?, times(row)?);
            let public: Vec<u8> = row.try_get("", "public_key").map_err(internal)?;
            let sealed: Vec<u8> = row.try_get("", "sealed_private_key").map_err(internal)?;
            let key = KeyPair::from_private_bytes(alg, &self.sealer.open(&sealed, &seal_context(&times.kid))?)?;
            if key.public_bytes()? != public || key.kid() != times.kid {
                return Err(Error::internal(format!("signing key {} does not match its public key", times.kid)));
            }
            let slot = &mut ring.0[alg.index()];
            slot.schedule.push(times);
            slot.loaded.push(Loaded { jwk: key.jwk(), encoding: key.encoding_key()?, decoding: key.decoding_key() });
        }
        *self.ring.write().expect("the key ring lock is never poisoned") = Arc::new(ring);
        Ok(())
    }

    fn ring(&self) -> Arc<Ring> {
        self.ring.read().expect("the key ring lock is never poisoned").clone()
    }

    /// Adds `key` as the next signing key of its algorithm (see
    /// `domain::signing_key::rotation`) and reloads. A key already stored
    /// (same `kid`) is left as it is.
    ///
    /// The schedule is read and written in one transaction that rotations
    /// take one at a time: on PostgreSQL under `pg_advisory_xact_lock`, on
    /// SQLite under the write lock its first statement (the INSERT) takes.
    /// Two rotations at once then plan from each other's result, and exactly
    /// one key of the algorithm is left without a retirement.
    pub async fn rotate(&self, key: KeyPair, publish_for: Duration, longest_token: Duration) -> Result<Rotated> {
        self.add(key, publish_for, longest_token, false).await
    }

    /// The key that signs a token of `alg` issued at `iat`, with its `kid`;
    /// when no key of `alg` signs (the first ID token of that algorithm),
    /// one is generated and stored first, unless another node's appears in
    /// the meantime (the transaction of [`rotate`](Self::rotate) decides).
    pub async fn signer_or_generate(
        &self,
        alg: SigningAlg,
        iat: i64,
        publish_for: Duration,
        longest_token: Duration,
    ) -> Result<(String, EncodingKey)> {
        if let Some(found) = self.signer(alg, iat) {
            return Ok(found);
        }
        self.reload().await?;
        if self.signer(alg, iat).is_none() {
            let key = tokio::task::spawn_blocking(move || KeyPair::generate(alg)).await.map_err(Error::internal)??;
            let added = self.add(key, publish_for, longest_token, true).await?;
            tracing::info!(alg = alg.jose(), ?added, "generated the first signing key of its algorithm");
        }
        // A first key signs from the second it was made in, which may be
        // after `iat` when making it crossed a second: it signs this token.
        self.signer(alg, iat)
            .or_else(|| self.signer(alg, self.clock.now().timestamp()))
            .ok_or_else(|| Error::internal(format!("no {} key signs now", alg.jose())))
    }

    /// [`rotate`](Self::rotate); with `only_as_first`, nothing is added when
    /// a key of the algorithm verifies already.
    async fn add(
        &self,
        key: KeyPair,
        publish_for: Duration,
        longest_token: Duration,
        only_as_first: bool,
    ) -> Result<Rotated> {
        let (kid, alg) = (key.kid(), key.alg());
        let now = self.clock.now();
        let sealed = self.sealer.seal(&key.private_bytes()?, &seal_context(&kid))?;
        let txn = self.db.begin().await.map_err(internal)?;
        if txn.get_database_backend() == DbBackend::Postgres {
            execute(&txn, "SELECT pg_advisory_xact_lock($1)", vec![ROTATION_LOCK.into()]).await?;
        }
        // Signing from `now` until the plan below says when: nobody reads
        // it before this transaction commits.
        let sql = "INSERT INTO signing_keys (kid, alg, public_key, sealed_private_key, created_at, signs_from, retires_at) \
                   VALUES ($1, $2, $3, $4, $5, $5, NULL) ON CONFLICT (kid) DO NOTHING";
        let values = vec![kid.clone().into(), alg.jose().into(), key.public_bytes()?.into(), sealed.into(), now.into()];
        let inserted = execute(&txn, sql, values).await? == 1;
        let others: Vec<KeyTimes> =
            list_on(&txn).await?.into_iter().filter(|k| k.alg == alg && k.times.kid != kid).map(|k| k.times).collect();
        if !inserted || (only_as_first && others.iter().any(|k| k.verifies_at(now))) {
            txn.rollback().await.map_err(internal)?;
            self.reload().await?;
            let stored = self.list().await?.into_iter().find(|k| k.times.kid == kid).map(|k| k.times);
            return Ok(match stored {
                Some(times) => Rotated::AlreadyStored(times),
                None => Rotated::NotNeeded,
            });
        }
        let plan = rotation(&others, now, domain::clock::span(publish_for), domain::clock::span(longest_token));
        let sql = "UPDATE signing_keys SET signs_from = $1 WHERE kid = $2";
        execute(&txn, sql, vec![plan.signs_from.into(), kid.clone().into()]).await?;
        let sql = "UPDATE signing_keys SET retires_at = $1 WHERE retires_at IS NULL AND alg = $2 AND kid <> $3";
        execute(&txn, sql, vec![plan.retire_others_at.into(), alg.jose().into(), kid.clone().into()]).await?;
        txn.commit().await.map_err(internal)?;
        self.reload().await?;
        Ok(Rotated::Added(KeyTimes { kid, created_at: now, signs_from: plan.signs_from, retires_at: None }))
    }

    /// Whether a key of `alg` signs now (so tokens can be issued at all).
    pub fn has_signer(&self, alg: SigningAlg) -> bool {
        signer_at(&self.ring().of(alg).schedule, self.clock.now()).is_some()
    }

    /// The key of `alg` that signs a token issued at `iat` (seconds), with its `kid`.
    pub(crate) fn signer(&self, alg: SigningAlg, iat: i64) -> Option<(String, EncodingKey)> {
        let at = DateTime::<Utc>::from_timestamp(iat, 0)?;
        let ring = self.ring();
        let keys = ring.of(alg);
        let kid = &signer_at(&keys.schedule, at)?.kid;
        keys.schedule
            .iter()
            .zip(&keys.loaded)
            .find(|(t, _)| &t.kid == kid)
            .map(|(_, k)| (kid.clone(), k.encoding.clone()))
    }

    /// The public key of `alg` for `kid`, while it verifies. An unknown
    /// `kid` wakes the reload (another node may have rotated first); this
    /// token is refused. A `kid` of another algorithm is refused.
    pub(crate) fn verifier(&self, alg: SigningAlg, kid: &str) -> Option<DecodingKey> {
        let now = self.clock.now();
        let ring = self.ring();
        match ring.get(kid) {
            Some((times, k)) => (k.jwk.alg == alg.jose() && times.verifies_at(now)).then(|| k.decoding.clone()),
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

    /// The public keys that verify now, of every algorithm, the next
    /// signing keys included.
    pub fn jwks(&self) -> Jwks {
        let now = self.clock.now();
        let keys = self.ring().keys().filter(|(times, _)| times.verifies_at(now)).map(|(_, k)| k.jwk.clone()).collect();
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
