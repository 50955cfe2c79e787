//! Tokens whose signature this node has already checked, by their exact
//! text: a client presents the same access token on every request of its
//! 15 minutes (refresh and temporary tokens, used once or twice, are not
//! kept: `presented_again` in `jwt.rs`), and the text it signed cannot change. A hit skips base64, the
//! JSON and the signature (for Ed25519, most of a check's cost); the caller
//! still applies every rule that depends on time or state: the domain checks
//! kind and lifetime against its clock, the session is checked as before,
//! and an EdDSA token's key is asked again whether it still verifies.
//! Only well-signed tokens are kept, so junk cannot fill it; when full it
//! forgets the least recently used half ([`BoundedMap`], `AUTHD_MEMORY_TOKENS`).

use std::sync::Mutex;

use domain::token::Claims;

use crate::bounded_map::BoundedMap;

/// The token text and its claims each. As `AUTHD_MEMORY_TOKENS` defaults (`api::config`).
pub const DEFAULT_BOUND: usize = 20_000;

/// What a checked token said, and the key that signed it (EdDSA).
#[derive(Clone)]
pub(crate) struct Verified {
    pub claims: Claims,
    pub kid: Option<Box<str>>,
}

pub(crate) struct VerifiedTokens {
    map: Mutex<BoundedMap<Box<str>, Verified>>,
}

impl VerifiedTokens {
    pub fn new(bound: usize) -> Self {
        Self { map: Mutex::new(BoundedMap::new(bound)) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BoundedMap<Box<str>, Verified>> {
        // Every update leaves the map whole: a panic elsewhere cannot break it.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, token: &str) -> Option<Verified> {
        self.lock().get(token, |seen| seen.clone())
    }

    pub fn put(&self, token: &str, verified: Verified) {
        let _ = self.lock().insert(token.into(), verified);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().len()
    }
}
