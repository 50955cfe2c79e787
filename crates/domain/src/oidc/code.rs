//! An authorization code (RFC 6749 §4.1.2): 160 random bits, prefixed like
//! every bearer secret authd hands out (so secret scanners know it), alive
//! 60 seconds, stored only as a keyed hash, and redeemed once. It is bound
//! to its client, redirect URI and PKCE challenge, and carries what the
//! tokens it is exchanged for will say: the user, the browser session it
//! came from, the scopes, the `nonce` and how the user proved who they are.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::client::{ClientId, Scope};
use super::pkce::CodeChallenge;
use crate::assurance::Assurance;
use crate::prefixed_key::{KeyKind, PrefixedKey};
use crate::user::UserId;

/// How long a code may wait to be redeemed (RFC 6749 §4.1.2: "a maximum
/// authorization code lifetime of 10 minutes is RECOMMENDED"; OAuth 2.1
/// and the OpenID Foundation's profiles ask for far less).
pub const CODE_LIFETIME: Duration = Duration::seconds(60);

/// The kind of [`AuthorizationCode`].
pub struct AuthorizationCodes;

impl KeyKind for AuthorizationCodes {
    const PREFIX: &'static str = "authd_ac_";
    const NAME: &'static str = "AuthorizationCode";
    const HASH_LABEL: &'static [u8] = b"oidc-authorization-code";
}

/// An authorization code as the client receives it.
pub type AuthorizationCode = PrefixedKey<AuthorizationCodes>;

/// What a code stands for, as stored under its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeGrant {
    pub hash: Vec<u8>,
    pub client_id: ClientId,
    pub user_id: UserId,
    /// The browser session the person was in: the `sid` of the ID token.
    pub browser_session: Uuid,
    pub redirect_uri: String,
    pub scopes: Vec<Scope>,
    pub nonce: Option<String>,
    pub challenge: CodeChallenge,
    pub assurance: Assurance,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// The code was live and unused: it is used now, by this caller alone.
    Redeemed(CodeGrant),
    /// The code was redeemed before: the session its first redemption
    /// opened (if it got that far) must end (RFC 6749 §4.1.2).
    Replayed { client_id: ClientId, user_id: UserId, issued_session: Option<Uuid> },
    /// No such code, or it expired unused.
    Unknown,
}
