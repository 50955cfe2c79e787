//! The OpenID Connect provider (OpenID Connect Core 1.0 on OAuth 2.1 rules,
//! RFC 9700): the applications that sign their users in through authd
//! ([`client`]: what a client is and what an admin may register;
//! [`clients`]: registering and managing them, and a client proving itself),
//! the proof a code's redeemer gives that it started the flow ([`pkce`]),
//! an authorization request's rules ([`request`]), its next step
//! ([`decision`]) and the code it ends in ([`code`]); the token endpoint
//! ([`token_grants`], [`client_credentials`]) and RP-initiated logout
//! ([`logout`]).

pub mod authorizations;
pub mod client;
pub mod client_credentials;
pub mod clients;
pub mod code;
pub mod decision;
pub mod grant;
pub mod id_token;
pub mod logout;
pub mod pkce;
pub mod request;
pub mod token_grants;

pub use authorizations::{Answer, Authorizations, Pending};
pub use client::{
    Client, ClientChanges, ClientForm, ClientId, ClientKind, ClientPatch, ClientSecret, ClientSecrets, IdTokenAlg,
    Scope, StoredSecret, secret_matches,
};
pub use clients::{Clients, IssuedSecret};
pub use decision::{BrowserSession, Consent, Step, next_step};
pub use grant::ClientGrant;
pub use logout::{EndSession, LogoutParams, LogoutRefusal, Logouts};
pub use pkce::CodeChallenge;
pub use request::{AuthorizeParams, AuthorizeRequest, OAuthError, Prompt, Refusal, Sent, check_request};
pub use token_grants::{GrantRefusal, Granted, Introspection, TokenAnswer, TokenGrants};

#[cfg(test)]
mod authorizations_tests;
#[cfg(test)]
mod authorize_tests;
#[cfg(test)]
mod client_credentials_tests;
#[cfg(test)]
mod clients_tests;
#[cfg(test)]
mod logout_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod token_grants_tests;
