//! The ID token (OpenID Connect Core §2) and the claims a scope grants
//! (§5.4): what a client learns of the user and of how they signed in.
//! Signing it is the [`IdTokenSigner`](crate::ports::IdTokenSigner) port's
//! (RS256 or EdDSA, the client's choice, keys from the JWKS).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256, Sha512};
use uuid::Uuid;

use super::client::{ClientId, IdTokenAlg, Scope};
use crate::assurance::Assurance;
use crate::user::{User, UserId};

/// The claims of the scopes granted (OpenID Connect Core §5.1, §5.4): `profile`
/// gives the names and `updated_at`, `email` the address and whether it is
/// proved, `phone` the number and whether it is proved. `None`: not granted
/// (or, for a phone, none set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserClaims {
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub preferred_username: Option<String>,
    pub updated_at: Option<i64>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub phone_number: Option<String>,
    pub phone_number_verified: Option<bool>,
}

impl UserClaims {
    /// What `scopes` let a client know of `user`.
    pub fn of(user: &User, scopes: &[Scope]) -> Self {
        let mut c = UserClaims::default();
        if scopes.contains(&Scope::Profile) {
            c.name = Some(user.full_name());
            c.given_name = Some(user.name.clone());
            c.family_name = Some(user.lastname.clone());
            c.preferred_username = Some(user.username.clone());
            c.updated_at = Some(user.modified_at.timestamp());
        }
        if scopes.contains(&Scope::Email) {
            c.email = Some(user.email.clone());
            c.email_verified = Some(user.email_verified());
        }
        if scopes.contains(&Scope::Phone)
            && let Some(phone) = &user.phone
        {
            c.phone_number = Some(phone.clone());
            c.phone_number_verified = Some(user.phone_verified_at.is_some());
        }
        c
    }
}

/// What an ID token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenClaims {
    pub sub: UserId,
    /// The client: `aud` (a single string) and `azp`.
    pub client_id: ClientId,
    pub iat: i64,
    pub exp: i64,
    pub nonce: Option<String>,
    /// `auth_time`, `acr`, `amr`: how and when the user proved who they are.
    pub assurance: Assurance,
    /// `sid`: the browser session the user signed in with (RP-initiated
    /// logout ends it).
    pub sid: Uuid,
    /// The access token's hash (§3.1.3.6), when one is issued with it.
    pub at_hash: Option<String>,
    pub user: UserClaims,
}

/// `at_hash` (OpenID Connect Core §3.1.3.6): the left half of the hash of
/// the access token's ASCII, base64url; the hash is the one of the ID
/// token's algorithm: SHA-256 for RS256, SHA-512 for EdDSA over Ed25519
/// (the hash Ed25519 uses, as the OpenID Foundation's registrations say).
pub fn at_hash(alg: IdTokenAlg, access_token: &str) -> String {
    let digest: Vec<u8> = match alg {
        IdTokenAlg::Rs256 => Sha256::digest(access_token.as_bytes()).to_vec(),
        IdTokenAlg::EdDsa => Sha512::digest(access_token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// What an `id_token_hint` (RP-initiated logout) said, once its signature
/// and issuer are checked; its lifetime is not (an expired ID token is
/// still a good hint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenHint {
    pub sub: UserId,
    pub client_id: ClientId,
    pub sid: Option<Uuid>,
    pub issued_at: DateTime<Utc>,
}
