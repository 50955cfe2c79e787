//! The signature backend jsonwebtoken runs on: HS256 (HMAC-SHA-256 from
//! RustCrypto's `hmac`), EdDSA (Ed25519 from `ed25519-dalek`, strict
//! verification) and RS256 (RSASSA-PKCS1-v1_5 with SHA-256 by the system's
//! OpenSSL 3, whose private-key operations are blinded and constant-time),
//! and nothing else. It replaces the crate's `rust_crypto` feature, which
//! signs RSA with the `rsa` crate — RUSTSEC-2023-0071 (a timing side
//! channel, no fixed release). Asking for any other algorithm fails at the
//! factory (each codec's `Validation` already refuses every other `alg`
//! before that).

use std::sync::Once;

use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;
use sha2::Sha256;

struct Hs256(Hmac<Sha256>);

impl Hs256 {
    fn new(key: &[u8]) -> Result<Self, Error> {
        Ok(Self(Hmac::new_from_slice(key).map_err(|_| ErrorKind::InvalidKeyFormat)?))
    }
}

impl signature::Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl signature::Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        // Constant-time comparison (hmac's `verify_slice`).
        mac.verify_slice(signature).map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

/// Ed25519 signing with a PKCS#8 DER private key (`EncodingKey::from_ed_der`).
struct EdSigner(ed25519_dalek::SigningKey);

impl signature::Signer<Vec<u8>> for EdSigner {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        Ok(signature::Signer::<ed25519_dalek::Signature>::try_sign(&self.0, msg)?.to_bytes().to_vec())
    }
}

impl JwtSigner for EdSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

/// Ed25519 verification with the 32-byte public key
/// (`DecodingKey::from_ed_components`).
struct EdVerifier(ed25519_dalek::VerifyingKey);

impl signature::Verifier<Vec<u8>> for EdVerifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let signature = ed25519_dalek::Signature::from_slice(signature)?;
        // Strict: no small-order keys and no malleable (non-canonical) signatures.
        self.0.verify_strict(msg, &signature)
    }
}

impl JwtVerifier for EdVerifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

fn openssl_failed(_: openssl::error::ErrorStack) -> signature::Error {
    signature::Error::new()
}

/// RS256 signing with the RSA key's PKCS#1 DER (`EncodingKey::from_rsa_der`).
struct RsSigner(PKey<Private>);

impl signature::Signer<Vec<u8>> for RsSigner {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        // PKCS#1 v1.5 padding is OpenSSL's default for an RSA key.
        let mut signer = openssl::sign::Signer::new(MessageDigest::sha256(), &self.0).map_err(openssl_failed)?;
        signer.sign_oneshot_to_vec(msg).map_err(openssl_failed)
    }
}

impl JwtSigner for RsSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

/// RS256 verification with the modulus and exponent
/// (`DecodingKey::from_rsa_raw_components`).
struct RsVerifier(PKey<Public>);

impl signature::Verifier<Vec<u8>> for RsVerifier {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let mut verifier = openssl::sign::Verifier::new(MessageDigest::sha256(), &self.0).map_err(openssl_failed)?;
        match verifier.verify_oneshot(signature, msg) {
            Ok(true) => Ok(()),
            _ => Err(signature::Error::new()),
        }
    }
}

impl JwtVerifier for RsVerifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}

fn rsa_public(key: &DecodingKey) -> Result<PKey<Public>, Error> {
    let jsonwebtoken::DecodingKeyKind::RsaModulusExponent { n, e } = key.kind() else {
        return Err(ErrorKind::InvalidRsaKey("not a modulus and exponent".into()).into());
    };
    let bad = |_| Error::from(ErrorKind::InvalidRsaKey("modulus or exponent".into()));
    let (n, e) = (openssl::bn::BigNum::from_slice(n).map_err(bad)?, openssl::bn::BigNum::from_slice(e).map_err(bad)?);
    PKey::from_rsa(Rsa::from_public_components(n, e).map_err(bad)?).map_err(bad)
}

/// Ed25519 keys as read from their bytes, kept for the next token: reading
/// a private key computes its public half (a scalar multiplication, as
/// costly as the signature itself), reading a public key decompresses a
/// point. jsonwebtoken asks for a signer or verifier per token; the few
/// keys a node uses (the current one and those rotated out) are read once.
struct KeyMemo<V> {
    keys: std::sync::Mutex<Vec<(Box<[u8]>, V)>>,
}

impl<V: Clone> KeyMemo<V> {
    /// More keys than a node ever uses at once: past it, it starts over.
    const MAX: usize = 16;

    const fn new() -> Self {
        Self { keys: std::sync::Mutex::new(Vec::new()) }
    }

    fn get_or_read(&self, bytes: &[u8], read: impl FnOnce(&[u8]) -> Result<V, Error>) -> Result<V, Error> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, v)) = keys.iter().find(|(k, _)| **k == *bytes) {
            return Ok(v.clone());
        }
        let v = read(bytes)?;
        if keys.len() >= Self::MAX {
            keys.clear();
        }
        keys.push((bytes.into(), v.clone()));
        Ok(v)
    }
}

static ED_SIGNING: KeyMemo<ed25519_dalek::SigningKey> = KeyMemo::new();
static ED_VERIFYING: KeyMemo<ed25519_dalek::VerifyingKey> = KeyMemo::new();

fn signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    match alg {
        Algorithm::HS256 => Ok(Box::new(Hs256::new(key.as_bytes())?)),
        Algorithm::EdDSA => Ok(Box::new(EdSigner(ED_SIGNING.get_or_read(key.as_bytes(), |der| {
            Ok(ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(|_| ErrorKind::InvalidEddsaKey)?)
        })?))),
        Algorithm::RS256 => {
            let bad = |_| Error::from(ErrorKind::InvalidRsaKey("not a PKCS#1 DER private key".into()));
            Ok(Box::new(RsSigner(
                PKey::from_rsa(Rsa::private_key_from_der(key.as_bytes()).map_err(bad)?).map_err(bad)?,
            )))
        }
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    match alg {
        Algorithm::HS256 => Ok(Box::new(Hs256::new(key.try_get_as_bytes()?)?)),
        Algorithm::EdDSA => Ok(Box::new(EdVerifier(ED_VERIFYING.get_or_read(key.try_get_as_bytes()?, |bytes| {
            let bytes: &[u8; 32] = bytes.try_into().map_err(|_| ErrorKind::InvalidEddsaKey)?;
            Ok(ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| ErrorKind::InvalidEddsaKey)?)
        })?))),
        Algorithm::RS256 => Ok(Box::new(RsVerifier(rsa_public(key)?))),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

static PROVIDER: CryptoProvider =
    CryptoProvider { signer_factory: signer, verifier_factory: verifier, key_utils: KeyUtils::new_unimplemented() };

/// Makes this the process's backend; before any token is signed or checked.
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Only fails when a provider is installed already: ours, by a test.
        let _ = PROVIDER.install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing_keys::{KeyPair, SigningAlg};

    /// A signature OpenSSL made verifies with the published n and e, under
    /// jsonwebtoken's own encode and decode; a changed byte does not.
    #[test]
    fn an_rs256_token_round_trips_and_a_tampered_one_is_refused() {
        install();
        let key = KeyPair::generate(SigningAlg::Rs256).unwrap();
        let header = jsonwebtoken::Header::new(Algorithm::RS256);
        let token =
            jsonwebtoken::encode(&header, &serde_json::json!({"sub": "x"}), &key.encoding_key().unwrap()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;
        let decoded = jsonwebtoken::decode::<serde_json::Value>(&token, &key.decoding_key(), &validation).unwrap();
        assert_eq!(decoded.claims["sub"], "x");
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(jsonwebtoken::decode::<serde_json::Value>(&tampered, &key.decoding_key(), &validation).is_err());
        let other = KeyPair::generate(SigningAlg::Rs256).unwrap();
        assert!(jsonwebtoken::decode::<serde_json::Value>(&token, &other.decoding_key(), &validation).is_err());
    }

    #[test]
    fn the_backend_builds_hs256_eddsa_and_rs256_and_refuses_every_other_algorithm() {
        let (enc, dec) = (EncodingKey::from_secret(b"k"), DecodingKey::from_secret(b"k"));
        assert!(signer(&Algorithm::HS256, &enc).is_ok() && verifier(&Algorithm::HS256, &dec).is_ok());
        let ed = KeyPair::ed25519_from_seed([7; 32]);
        assert!(signer(&Algorithm::EdDSA, &ed.encoding_key().unwrap()).is_ok());
        assert!(verifier(&Algorithm::EdDSA, &ed.decoding_key()).is_ok());
        assert!(verifier(&Algorithm::EdDSA, &dec).is_err(), "an HMAC secret is no Ed25519 key");
        assert!(verifier(&Algorithm::RS256, &dec).is_err(), "an HMAC secret is no RSA key");
        assert!(signer(&Algorithm::RS256, &enc).is_err(), "an HMAC secret is no RSA key");
        for alg in [Algorithm::HS384, Algorithm::HS512, Algorithm::PS256, Algorithm::RS384, Algorithm::ES256] {
            assert!(signer(&alg, &enc).is_err(), "{alg:?} signer");
            assert!(verifier(&alg, &dec).is_err(), "{alg:?} verifier");
        }
    }

    /// Keys read once and kept: each signs and verifies as itself only,
    /// however many others were read before or since.
    #[test]
    fn a_remembered_ed25519_key_signs_and_verifies_only_as_itself() {
        install();
        let keys: Vec<KeyPair> = (0..20u8).map(|i| KeyPair::ed25519_from_seed([i; 32])).collect();
        let header = jsonwebtoken::Header::new(Algorithm::EdDSA);
        let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;
        for _ in 0..2 {
            for (i, key) in keys.iter().enumerate() {
                let claims = serde_json::json!({ "sub": i });
                let token = jsonwebtoken::encode(&header, &claims, &key.encoding_key().unwrap()).unwrap();
                let decoded = jsonwebtoken::decode::<serde_json::Value>(&token, &key.decoding_key(), &validation);
                assert_eq!(decoded.unwrap().claims["sub"], i, "key {i}");
                let other = &keys[(i + 1) % keys.len()];
                let crossed = jsonwebtoken::decode::<serde_json::Value>(&token, &other.decoding_key(), &validation);
                assert!(crossed.is_err(), "key {i}'s token verified with another key");
            }
        }
    }
}
