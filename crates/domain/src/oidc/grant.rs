//! What a session opened for an OpenID Connect client carries: the client
//! it was issued to and the scopes the user granted. Its access tokens name
//! the client as their audience (`aud` = `client_id`) and say the scopes
//! (`scope`); authd's own API refuses them (they were issued to the
//! client), `verify-token`, userinfo and introspection read them.

use super::client::{ClientId, Scope};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientGrant {
    pub client_id: ClientId,
    /// Granted, in [`Scope`] order, each once.
    pub scopes: Vec<Scope>,
}

impl ClientGrant {
    pub fn new(client_id: ClientId, mut scopes: Vec<Scope>) -> Self {
        scopes.sort();
        scopes.dedup();
        Self { client_id, scopes }
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// The scopes as the `scope` parameter and claim write them.
    pub fn scope_words(&self) -> String {
        self.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// A grant as a token or a row wrote it; a scope word authd does not
    /// know (written by a later version) is left out.
    pub fn from_words(client_id: ClientId, words: &str) -> Self {
        Self::new(client_id, words.split(' ').filter_map(Scope::parse).collect())
    }
}
