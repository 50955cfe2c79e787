//! Tokens whose signature this node has already checked, by their exact
//! text: a client presents the same access token on every request of its
//! 15 minutes, and the text it signed cannot change. A hit skips base64, the
//! JSON and the signature (for Ed25519, most of a check's cost); the caller
//! still applies every rule that depends on time or state: the domain checks
//! kind and lifetime against its clock, the session is checked as before,
//! and an EdDSA token's key is asked again whether it still verifies.
//! Only well-signed tokens are kept, so junk cannot fill it; at
//! [`MAX_ENTRIES`] it starts over.

use std::collections::HashMap;
use std::sync::RwLock;

use domain::token::Claims;

/// About 400 bytes each (the token text and its claims): some 20 MB at most.
pub(crate) const MAX_ENTRIES: usize = 50_000;

/// What a checked token said, and the key that signed it (EdDSA).
#[derive(Clone)]
pub(crate) struct Verified {
    pub claims: Claims,
    pub kid: Option<Box<str>>,
}

#[derive(Default)]
pub(crate) struct VerifiedTokens {
    map: RwLock<HashMap<Box<str>, Verified>>,
}

impl VerifiedTokens {
    pub fn get(&self, token: &str) -> Option<Verified> {
        self.map.read().expect("the verified-token lock is never poisoned").get(token).cloned()
    }

    pub fn put(&self, token: &str, verified: Verified) {
        let mut map = self.map.write().expect("the verified-token lock is never poisoned");
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(token.into(), verified);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.read().expect("not poisoned").len()
    }
}
