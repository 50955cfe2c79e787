//! JWTs, HS256 (the configured secret) or EdDSA (Ed25519 keys with a `kid`,
//! from [`SigningKeys`]). The algorithm is pinned by the validation (a token
//! naming any other, `none` included, is refused, and an EdDSA codec never
//! takes an HMAC key), and issuer and audience must match.

use std::sync::Arc;

use domain::token::{Claims, TokenKind};
use domain::user::UserId;
use domain::{Error, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::signing_keys::SigningKeys;
use crate::verified_tokens::{Verified, VerifiedTokens};

/// Minimum secret length: 256 bits, the HS256 key size (RFC 7518 §3.2).
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Serialize, Deserialize)]
struct Wire {
    typ: TokenKind,
    sub: Uuid,
    sid: Uuid,
    jti: Uuid,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
}

enum Keys {
    Hs256 { encoding: EncodingKey, decoding: DecodingKey },
    EdDsa(Arc<SigningKeys>),
}

pub struct JwtCodec {
    keys: Keys,
    verified: VerifiedTokens,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl JwtCodec {
    pub fn hs256(secret: &[u8], issuer: &str, audience: &str) -> Result<Self> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(Error::internal(format!("the JWT secret must be at least {MIN_SECRET_BYTES} bytes")));
        }
        let keys =
            Keys::Hs256 { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) };
        Ok(Self::new(keys, Algorithm::HS256, issuer, audience))
    }

    /// Signs with the key `keys` schedules for each token's `iat`, and
    /// verifies with the key its `kid` names while that key verifies.
    pub fn eddsa(keys: Arc<SigningKeys>, issuer: &str, audience: &str) -> Self {
        Self::new(Keys::EdDsa(keys), Algorithm::EdDSA, issuer, audience)
    }

    fn new(keys: Keys, alg: Algorithm, issuer: &str, audience: &str) -> Self {
        crate::jwt_crypto::install();
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // Lifetime is the domain's call, against its injectable clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Self {
            keys,
            verified: VerifiedTokens::default(),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }
}

impl domain::ports::TokenCodec for JwtCodec {
    fn encode(&self, c: &Claims) -> Result<String> {
        let wire = Wire {
            typ: c.kind,
            sub: c.sub.0,
            sid: c.sid,
            jti: c.jti,
            iat: c.iat,
            exp: c.exp,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        match &self.keys {
            Keys::Hs256 { encoding, .. } => jsonwebtoken::encode(&Header::new(Algorithm::HS256), &wire, encoding),
            Keys::EdDsa(keys) => {
                let (kid, key) = keys.signer(c.iat).ok_or_else(|| Error::internal("no signing key signs now"))?;
                let header = Header { kid: Some(kid), ..Header::new(Algorithm::EdDSA) };
                jsonwebtoken::encode(&header, &wire, &key)
            }
        }
        .map_err(Error::internal)
    }

    fn decode(&self, token: &str) -> Result<Claims> {
        if let Some(seen) = self.verified.get(token) {
            return match (&self.keys, &seen.kid) {
                (Keys::Hs256 { .. }, _) => Ok(seen.claims),
                // Its key may have retired since.
                (Keys::EdDsa(keys), Some(kid)) if keys.still_verifies(kid) => Ok(seen.claims),
                _ => Err(Error::TokenInvalid),
            };
        }
        let (data, kid) = match &self.keys {
            Keys::Hs256 { decoding, .. } => (jsonwebtoken::decode::<Wire>(token, decoding, &self.validation), None),
            Keys::EdDsa(keys) => {
                let kid = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid).ok_or(Error::TokenInvalid)?;
                let key = keys.verifier(&kid).ok_or(Error::TokenInvalid)?;
                (jsonwebtoken::decode::<Wire>(token, &key, &self.validation), Some(kid.into()))
            }
        };
        let w = data.map_err(|_| Error::TokenInvalid)?.claims;
        let claims = Claims { kind: w.typ, sub: UserId(w.sub), sid: w.sid, jti: w.jti, iat: w.iat, exp: w.exp };
        self.verified.put(token, Verified { claims: claims.clone(), kid });
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ports::TokenCodec;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn codec() -> JwtCodec {
        JwtCodec::hs256(SECRET, "authd", "authd-api").unwrap()
    }

    fn claims() -> Claims {
        Claims {
            kind: TokenKind::Access,
            sub: UserId(Uuid::from_u128(1)),
            sid: Uuid::from_u128(2),
            jti: Uuid::from_u128(3),
            iat: 1_800_000_000,
            exp: 1_800_000_900,
        }
    }

    fn b64(s: &str) -> String {
        use std::fmt::Write;
        // Minimal base64url without padding, enough for forging test headers.
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let (b, mut out) = (s.as_bytes(), String::new());
        for chunk in b.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &x)| acc | (x as u32) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                write!(out, "{}", A[(n >> (18 - 6 * i) & 63) as usize] as char).unwrap();
            }
        }
        out
    }

    #[test]
    fn token_round_trips_with_every_claim() {
        let c = codec();
        let token = c.encode(&claims()).unwrap();
        assert_eq!(c.decode(&token).unwrap(), claims());
    }

    #[test]
    fn token_signed_with_another_key_is_rejected() {
        let other = JwtCodec::hs256(b"another-secret-another-secret-xx", "authd", "authd-api").unwrap();
        let token = other.encode(&claims()).unwrap();
        assert!(matches!(codec().decode(&token), Err(Error::TokenInvalid)));
    }

    #[test]
    fn token_with_wrong_issuer_or_audience_is_rejected() {
        let iss = JwtCodec::hs256(SECRET, "someone-else", "authd-api").unwrap().encode(&claims()).unwrap();
        let aud = JwtCodec::hs256(SECRET, "authd", "another-api").unwrap().encode(&claims()).unwrap();
        assert!(codec().decode(&iss).is_err());
        assert!(codec().decode(&aud).is_err());
    }

    #[test]
    fn token_with_alg_none_or_another_algorithm_is_rejected() {
        let token = codec().encode(&claims()).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let none = format!("{}.{payload}.", b64(r#"{"alg":"none","typ":"JWT"}"#));
        assert!(codec().decode(&none).is_err());
        let hs512 = format!("{}.{payload}.{}", b64(r#"{"alg":"HS512","typ":"JWT"}"#), token.split('.').nth(2).unwrap());
        assert!(codec().decode(&hs512).is_err());
    }

    #[test]
    fn a_token_checked_before_gives_the_same_claims_and_an_altered_copy_is_checked_afresh() {
        let c = codec();
        let token = c.encode(&claims()).unwrap();
        assert_eq!(c.decode(&token).unwrap(), claims());
        assert_eq!(c.verified.len(), 1);
        assert_eq!(c.decode(&token).unwrap(), claims(), "from memory");
        // One character of the signature changed: another text, checked and refused.
        let mut altered = token.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(matches!(c.decode(std::str::from_utf8(&altered).unwrap()), Err(Error::TokenInvalid)));
        for bad in ["", "a.b.c", "not a token"] {
            assert!(c.decode(bad).is_err());
        }
        assert_eq!(c.verified.len(), 1, "refused tokens are not remembered");
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in ["", "a.b.c", "not a token", "....", &"x".repeat(10_000)] {
            assert!(codec().decode(bad).is_err());
        }
    }

    #[test]
    fn secret_shorter_than_32_bytes_is_refused() {
        assert!(JwtCodec::hs256(b"short", "authd", "authd-api").is_err());
    }
}
