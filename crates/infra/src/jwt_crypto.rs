//! The signature backend jsonwebtoken runs on: HS256 (HMAC-SHA-256 from
//! RustCrypto's `hmac`) and EdDSA (Ed25519 from `ed25519-dalek`, strict
//! verification), and nothing else. It replaces the crate's
//! `rust_crypto` feature, which also builds `rsa` — RUSTSEC-2023-0071 (a
//! timing side channel, no fixed release) — for algorithms authd never
//! uses. With this provider no RSA code is compiled in, and asking for any
//! other algorithm fails at the factory (the codec's `Validation` already
//! refuses every other `alg` before that).

use std::sync::Once;

use hmac::{Hmac, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
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

fn signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    match alg {
        Algorithm::HS256 => Ok(Box::new(Hs256::new(key.as_bytes())?)),
        Algorithm::EdDSA => Ok(Box::new(EdSigner(
            ed25519_dalek::SigningKey::from_pkcs8_der(key.as_bytes()).map_err(|_| ErrorKind::InvalidEddsaKey)?,
        ))),
        _ => Err(ErrorKind::InvalidAlgorithm.into()),
    }
}

fn verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    match alg {
        Algorithm::HS256 => Ok(Box::new(Hs256::new(key.try_get_as_bytes()?)?)),
        Algorithm::EdDSA => {
            let bytes: &[u8; 32] = key.try_get_as_bytes()?.try_into().map_err(|_| ErrorKind::InvalidEddsaKey)?;
            Ok(Box::new(EdVerifier(
                ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| ErrorKind::InvalidEddsaKey)?,
            )))
        }
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

    #[test]
    fn the_backend_builds_hs256_and_eddsa_and_refuses_every_other_algorithm() {
        let (enc, dec) = (EncodingKey::from_secret(b"k"), DecodingKey::from_secret(b"k"));
        assert!(signer(&Algorithm::HS256, &enc).is_ok() && verifier(&Algorithm::HS256, &dec).is_ok());
        let ed = crate::signing_keys::Ed25519::from_seed([7; 32]);
        assert!(signer(&Algorithm::EdDSA, &ed.encoding_key()).is_ok());
        assert!(verifier(&Algorithm::EdDSA, &ed.decoding_key()).is_ok());
        assert!(verifier(&Algorithm::EdDSA, &dec).is_err(), "an HMAC secret is no Ed25519 key");
        for alg in
            [Algorithm::HS384, Algorithm::HS512, Algorithm::RS256, Algorithm::PS256, Algorithm::ES256, Algorithm::ES384]
        {
            assert!(signer(&alg, &enc).is_err(), "{alg:?} signer");
            assert!(verifier(&alg, &dec).is_err(), "{alg:?} verifier");
        }
    }
}
