//! A secret shown once, stored only as a keyed hash, and recognisable when
//! it leaks: a fixed prefix naming its kind, then 40 lower-case hex digits
//! (160 random bits from the CSPRNG). Never printed whole. An application's
//! API key ([`ApiKey`](crate::app::ApiKey)) and an OpenID Connect client's
//! secret ([`ClientSecret`](crate::oidc::ClientSecret)) are two kinds of it.

use std::marker::PhantomData;

use secrecy::{ExposeSecret, SecretString};

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

    /// The prefix and the first digits: enough for an admin to tell keys
    /// apart, far too little to guess the rest.
    pub fn hint(&self) -> String {
        self.expose().chars().take(K::PREFIX.len() + HINT_DIGITS).collect()
    }
}
