//! Opening a compact JWS (RFC 7515 §7.1): three base64url parts, the
//! header's algorithm pinned, the signature checked by jsonwebtoken's
//! crypto provider (`jwt_crypto.rs`), and the header and claims each
//! decoded and parsed once.
//!
//! `jsonwebtoken::decode` parses the header twice and the claims twice
//! (once for its own validation, once for the caller), and the EdDSA codec
//! had to parse the header a third time for its `kid`: on a token checked
//! for the first time that was most of the check's cost besides the
//! signature. What its validation did is done here or by the codec: the
//! algorithm (here, before the signature), the issuer and the required
//! claims (the codec's `Wire` has no optional `iss`, `sub`, `aud`, `exp`,
//! `iat`), the audience per kind (`JwtCodec::kind_of`); lifetimes are the
//! domain's call.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::{Error, Result};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};

/// The header fields authd reads. Unknown fields are ignored, as RFC 7515
/// §4 asks, except `crit`: authd understands no extension, so a header
/// naming one is refused (§4.1.11).
#[derive(Deserialize)]
pub struct JwsHeader {
    pub alg: String,
    #[serde(default)]
    pub typ: Option<String>,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

/// A compact JWS split into its parts; nothing checked yet.
pub struct Parts<'a> {
    /// `header.payload`, what the signature covers.
    signed: &'a str,
    payload: &'a str,
    signature: &'a str,
    pub header: JwsHeader,
}

/// Splits `token` and reads its header, whose `alg` must be `alg`.
pub fn split(token: &str, alg: Algorithm) -> Result<Parts<'_>> {
    let (signed, signature) = token.rsplit_once('.').ok_or(Error::TokenInvalid)?;
    let (header, payload) = signed.split_once('.').ok_or(Error::TokenInvalid)?;
    if payload.contains('.') {
        return Err(Error::TokenInvalid);
    }
    let header: JwsHeader = json_part(header)?;
    if header.crit.is_some() || header.alg != alg_name(alg) {
        return Err(Error::TokenInvalid);
    }
    Ok(Parts { signed, payload, signature, header })
}

impl Parts<'_> {
    /// The claims, once the signature verifies with `key` under `alg`.
    pub fn claims<T: DeserializeOwned>(&self, key: &DecodingKey, alg: Algorithm) -> Result<T> {
        match jsonwebtoken::crypto::verify(self.signature, self.signed.as_bytes(), key, alg) {
            Ok(true) => json_part(self.payload),
            _ => Err(Error::TokenInvalid),
        }
    }
}

/// The name RFC 7518 gives `alg`, as a JWS header carries it.
fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::EdDSA => "EdDSA",
        // No codec of authd's opens another (ID-token hints are read by
        // `id_tokens.rs`); nothing matches it.
        _ => "",
    }
}

/// One base64url part (no padding), parsed as JSON.
fn json_part<T: DeserializeOwned>(part: &str) -> Result<T> {
    let raw = URL_SAFE_NO_PAD.decode(part).map_err(|_| Error::TokenInvalid)?;
    serde_json::from_slice(&raw).map_err(|_| Error::TokenInvalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn a_jws_with_other_than_three_parts_is_refused() {
        let header = b64(r#"{"alg":"HS256"}"#);
        for token in [header.clone(), format!("{header}.e30"), format!("{header}.e30.c2ln.c2ln"), String::new()] {
            assert!(split(&token, Algorithm::HS256).is_err(), "{token}");
        }
        assert!(split(&format!("{header}.e30.c2ln"), Algorithm::HS256).is_ok());
    }

    #[test]
    fn a_jws_header_naming_another_algorithm_or_a_critical_extension_is_refused() {
        for header in [r#"{"alg":"none"}"#, r#"{"alg":"HS512"}"#, r#"{"alg":"hs256"}"#, r#"{"typ":"JWT"}"#] {
            assert!(split(&format!("{}.e30.", b64(header)), Algorithm::HS256).is_err(), "{header}");
        }
        let crit = b64(r#"{"alg":"HS256","crit":["exp"],"exp":1}"#);
        assert!(split(&format!("{crit}.e30.c2ln"), Algorithm::HS256).is_err());
        let unknown = b64(r#"{"alg":"EdDSA","kid":"k1","x-other":1}"#);
        let token = format!("{unknown}.e30.c2ln");
        let parts = split(&token, Algorithm::EdDSA).unwrap();
        assert_eq!(parts.header.kid.as_deref(), Some("k1"), "unknown fields are ignored");
    }

    #[test]
    fn a_jws_part_that_is_not_base64url_json_is_refused() {
        for header in ["e30=", "{}", "eyJhbGciOiJIUzI1NiJ9+", "bm90IGpzb24"] {
            assert!(split(&format!("{header}.e30.c2ln"), Algorithm::HS256).is_err(), "{header}");
        }
    }
}
