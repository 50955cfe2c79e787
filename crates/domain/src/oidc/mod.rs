//! The OpenID Connect provider (OpenID Connect Core 1.0 on OAuth 2.1 rules,
//! RFC 9700): the applications that sign their users in through authd
//! ([`client`]: what a client is and what an admin may register;
//! [`clients`]: registering and managing them, and a client proving itself),
//! and the proof a code's redeemer gives that it started the flow ([`pkce`]).

pub mod client;
pub mod clients;
pub mod pkce;

pub use client::{
    Client, ClientChanges, ClientForm, ClientId, ClientKind, ClientPatch, ClientSecret, ClientSecrets, IdTokenAlg,
    Scope, StoredSecret, secret_matches,
};
pub use clients::{Clients, IssuedSecret};
pub use pkce::CodeChallenge;

#[cfg(test)]
mod clients_tests;
#[cfg(test)]
mod tests;
