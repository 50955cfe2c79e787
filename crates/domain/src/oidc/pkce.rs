//! Proof Key for Code Exchange (RFC 7636), required of every client (RFC
//! 9700 §2.1.1): the authorization request carries
//! `BASE64URL(SHA-256(code_verifier))`, and only the client holding the
//! verifier can redeem the code. Only `S256`: `plain` would hand the
//! verifier to whoever sees the request.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The `code_challenge` of an authorization request, checked for shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// The challenge of a request whose method is `method` (`S256` only;
    /// RFC 7636 §4.3 defaults a missing method to `plain`, so it is
    /// refused too). An S256 challenge is 43 base64url characters.
    pub fn parse(challenge: Option<&str>, method: Option<&str>) -> Result<Self> {
        let Some(challenge) = challenge else {
            return Err(Error::InvalidField { field: "code_challenge", reason: "is required (PKCE, S256)".into() });
        };
        if method != Some("S256") {
            let reason = "must be S256 (plain and a missing method are refused)".into();
            return Err(Error::InvalidField { field: "code_challenge_method", reason });
        }
        let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if challenge.len() != 43 || !challenge.chars().all(base64url) {
            let reason = "must be the 43-character base64url SHA-256 of the verifier".into();
            return Err(Error::InvalidField { field: "code_challenge", reason });
        }
        Ok(Self(challenge.to_owned()))
    }

    /// The challenge as stored, read back.
    pub fn stored(challenge: String) -> Self {
        Self(challenge)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `verifier` is the one this challenge was made from: 43 to
    /// 128 unreserved characters (RFC 7636 §4.1) whose SHA-256 is the
    /// challenge.
    pub fn verified_by(&self, verifier: &str) -> bool {
        let unreserved = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
        let shaped = (43..=128).contains(&verifier.len()) && verifier.chars().all(unreserved);
        shaped && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == self.0
    }
}
