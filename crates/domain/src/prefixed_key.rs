//! A secret shown once, stored only as a keyed hash, and recognisable when
//! it leaks: a fixed prefix naming its kind, then 40 lower-case hex digits
//! (160 random bits from the CSPRNG). Never printed whole. An application's
//! API key ([`ApiKey`](crate::app::ApiKey)) and an OpenID Connect client's
//! secret ([`ClientSecret`](crate::oidc::ClientSecret)) are two kinds of it.

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::ports::KeyedHasher;
use crate::rng::Rng;

const RANDOM_BYTES: usize = 20;
/// Hex digits of the random part shown in a key's hint.
const HINT_DIGITS: usize = 6;

/// What a kind of key is called and starts with.
pub trait KeyKind {
    /// What every key of this kind starts with.
    const PREFIX: &'static str;
    /// How `Debug` names it.
    const NAME: &'static str;
    /// The label its keyed hash is made under, apart from every other kind's.
    const HASH_LABEL: &'static [u8];
}

/// What storage keeps of a key of `Owner`'s (an application, a client):
/// never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey<Owner> {
    /// The keyed hash, by which a presented key is found.
    pub hash: Vec<u8>,
    pub owner: Owner,
    pub hint: String,
    pub created_at: DateTime<Utc>,
    /// When it stops working: set when a rotation replaced it.
    pub expires_at: Option<DateTime<Utc>>,
}

impl<Owner> StoredKey<Owner> {
    /// Whether it still works at `now`.
    pub fn live_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|end| now < end)
    }
}

/// A key made by a rotation: the only time its whole value is known.
#[derive(Debug)]
pub struct IssuedKey<K: KeyKind> {
    pub key: PrefixedKey<K>,
    /// When the keys it replaced stop working.
    pub previous_until: DateTime<Utc>,
}

pub struct PrefixedKey<K: KeyKind>(SecretString, PhantomData<K>);

impl<K: KeyKind> std::fmt::Debug for PrefixedKey<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({}…)", K::NAME, self.hint())
    }
}

impl<K: KeyKind> PrefixedKey<K> {
    /// Random bits in a key.
    pub const BITS: usize = RANDOM_BYTES * 8;

    pub fn generate(rng: &dyn Rng) -> Self {
        let mut b = [0u8; RANDOM_BYTES];
        rng.fill(&mut b);
        let digits: String = b.iter().map(|x| format!("{x:02x}")).collect();
        Self(SecretString::from(format!("{}{digits}", K::PREFIX)), PhantomData)
    }

    /// A presented key, if it has a key's shape; anything else cannot be
    /// one, and is refused without a lookup.
    pub fn parse(raw: &str) -> Option<Self> {
        let digits = raw.strip_prefix(K::PREFIX)?;
        let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        (digits.len() == RANDOM_BYTES * 2 && digits.bytes().all(hex))
            .then(|| Self(SecretString::from(raw), PhantomData))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Its keyed hash, under its kind's label: what storage finds it by.
    pub fn hashed(&self, hasher: &dyn KeyedHasher) -> Vec<u8> {
        hasher.hash_key(K::HASH_LABEL, self.expose())
    }

    /// A new key of `owner`'s, made at `now`, and what storage keeps of it.
    pub fn issue<Owner>(
        rng: &dyn Rng,
        hasher: &dyn KeyedHasher,
        owner: Owner,
        now: DateTime<Utc>,
    ) -> (Self, StoredKey<Owner>) {
        let key = Self::generate(rng);
        let stored = StoredKey { hash: key.hashed(hasher), owner, hint: key.hint(), created_at: now, expires_at: None };
        (key, stored)
    }

    /// The prefix and the first digits: enough for an admin to tell keys
    /// apart, far too little to guess the rest.
    pub fn hint(&self) -> String {
        self.expose().chars().take(K::PREFIX.len() + HINT_DIGITS).collect()
    }
}
