//! One signing key pair of either algorithm the `signing_keys` table holds:
//! Ed25519 (`EdDSA`: every token when `AUTHD_JWT_ALG=EdDSA`, and ID tokens
//! of clients that ask for it) or RSA (`RS256`: ID tokens, the algorithm
//! OpenID Connect Discovery requires and clients default to). RSA keys are
//! generated and used by the system's OpenSSL 3 (blinded, constant-time
//! private-key operations), never by the `rsa` crate (RUSTSEC-2023-0071).
//!
//! A key's id is its RFC 7638 JWK thumbprint, the same on every node and for
//! every import of the same key; its JWK is what the JWKS publishes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::{Error, Result};
use jsonwebtoken::{DecodingKey, EncodingKey};
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::Rsa;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The size of the RSA keys authd generates, and the least it imports
/// (NIST SP 800-131A Rev. 2: 2048 bits until 2030).
pub const RSA_BITS: u32 = 2048;

/// A signing algorithm of the key table, by its JOSE name (RFC 7518, RFC 8037).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SigningAlg {
    EdDsa,
    Rs256,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 2] = [SigningAlg::EdDsa, SigningAlg::Rs256];

    /// The `alg` header value and the table's `alg` column.
    pub fn jose(self) -> &'static str {
        match self {
            SigningAlg::EdDsa => "EdDSA",
            SigningAlg::Rs256 => "RS256",
        }
    }

    pub fn from_jose(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.jose() == word)
    }
}

/// One published public key of the JWKS: an OKP key (RFC 8037: `crv`, `x`)
/// or an RSA key (RFC 7518 §6.3: `n`, `e`).
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    pub kty: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    pub kid: String,
    pub alg: &'static str,
    #[serde(rename = "use")]
    pub use_: &'static str,
}

impl Jwk {
    /// RFC 7638 §3: SHA-256 over the required members in lexicographic
    /// order, base64url without padding.
    pub fn thumbprint(&self) -> String {
        let canonical = match (&self.crv, &self.x, &self.n, &self.e) {
            (Some(crv), Some(x), _, _) => format!(r#"{{"crv":"{crv}","kty":"{}","x":"{x}"}}"#, self.kty),
            (_, _, Some(n), Some(e)) => format!(r#"{{"e":"{e}","kty":"{}","n":"{n}"}}"#, self.kty),
            _ => String::new(),
        };
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }
}

/// A private key and what is derived from it.
pub enum KeyPair {
    Ed25519(Box<ed25519_dalek::SigningKey>),
    Rsa(Rsa<Private>),
}

/// Names the key, never its private half.
impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair({} {})", self.alg().jose(), self.kid())
    }
}

fn rsa_error(e: openssl::error::ErrorStack) -> Error {
    Error::internal(format!("OpenSSL: {e}"))
}

impl KeyPair {
    /// A new key from the operating system's CSPRNG (OpenSSL's, seeded from it, for RSA).
    pub fn generate(alg: SigningAlg) -> Result<Self> {
        match alg {
            SigningAlg::EdDsa => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(Error::internal)?;
                Ok(Self::ed25519_from_seed(seed))
            }
            SigningAlg::Rs256 => Rsa::generate(RSA_BITS).map(KeyPair::Rsa).map_err(rsa_error),
        }
    }

    pub fn ed25519_from_seed(seed: [u8; 32]) -> Self {
        KeyPair::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
    }

    /// An operator's key: a PEM file (`openssl genpkey -algorithm ed25519`,
    /// or `-algorithm rsa -pkeyopt rsa_keygen_bits:2048`), PKCS#8 or, for
    /// RSA, PKCS#1. An RSA key under 2048 bits is refused.
    pub fn from_pem(pem: &str) -> Result<Self> {
        let key = PKey::private_key_from_pem(pem.as_bytes())
            .map_err(|_| Error::internal("not a private key in PEM (PKCS#8, or PKCS#1 for RSA)"))?;
        match key.id() {
            Id::ED25519 => {
                let raw = key.raw_private_key().map_err(rsa_error)?;
                let seed = raw.try_into().map_err(|_| Error::internal("an Ed25519 private key is 32 bytes"))?;
                Ok(Self::ed25519_from_seed(seed))
            }
            Id::RSA => Self::rsa(key.rsa().map_err(rsa_error)?),
            _ => Err(Error::internal("the key is neither Ed25519 nor RSA")),
        }
    }

    fn rsa(key: Rsa<Private>) -> Result<Self> {
        if key.size() * 8 < RSA_BITS {
            return Err(Error::internal(format!("an RSA key must have at least {RSA_BITS} bits")));
        }
        if !key.check_key().map_err(rsa_error)? {
            return Err(Error::internal("the RSA key is not consistent"));
        }
        Ok(KeyPair::Rsa(key))
    }

    pub fn alg(&self) -> SigningAlg {
        match self {
            KeyPair::Ed25519(_) => SigningAlg::EdDsa,
            KeyPair::Rsa(_) => SigningAlg::Rs256,
        }
    }

    /// The private half as the table seals it: the 32-byte Ed25519 seed, or
    /// the RSA key's PKCS#1 DER.
    pub(crate) fn private_bytes(&self) -> Result<Vec<u8>> {
        match self {
            KeyPair::Ed25519(k) => Ok(k.to_bytes().to_vec()),
            KeyPair::Rsa(k) => k.private_key_to_der().map_err(rsa_error),
        }
    }

    /// The key [`private_bytes`](Self::private_bytes) stored.
    pub(crate) fn from_private_bytes(alg: SigningAlg, bytes: &[u8]) -> Result<Self> {
        match alg {
            SigningAlg::EdDsa => {
                let seed = bytes.try_into().map_err(|_| Error::internal("a sealed Ed25519 key is not 32 bytes"))?;
                Ok(Self::ed25519_from_seed(seed))
            }
            SigningAlg::Rs256 => Self::rsa(Rsa::private_key_from_der(bytes).map_err(rsa_error)?),
        }
    }

    /// The public half as the table stores it: the 32-byte Ed25519 key, or
    /// the RSA key's PKCS#1 `RSAPublicKey` DER.
    pub(crate) fn public_bytes(&self) -> Result<Vec<u8>> {
        match self {
            KeyPair::Ed25519(k) => Ok(k.verifying_key().to_bytes().to_vec()),
            KeyPair::Rsa(k) => k.public_key_to_der_pkcs1().map_err(rsa_error),
        }
    }

    fn jwk_without_kid(&self) -> Jwk {
        let (kty, crv, x, n, e) = match self {
            KeyPair::Ed25519(k) => {
                ("OKP", Some("Ed25519"), Some(URL_SAFE_NO_PAD.encode(k.verifying_key().as_bytes())), None, None)
            }
            KeyPair::Rsa(k) => (
                "RSA",
                None,
                None,
                Some(URL_SAFE_NO_PAD.encode(k.n().to_vec())),
                Some(URL_SAFE_NO_PAD.encode(k.e().to_vec())),
            ),
        };
        Jwk { kty, crv, x, n, e, kid: String::new(), alg: self.alg().jose(), use_: "sig" }
    }

    /// The key's id: its RFC 7638 thumbprint.
    pub fn kid(&self) -> String {
        self.jwk_without_kid().thumbprint()
    }

    /// The public key as the JWKS publishes it.
    pub fn jwk(&self) -> Jwk {
        let jwk = self.jwk_without_kid();
        Jwk { kid: jwk.thumbprint(), ..jwk }
    }

    pub(crate) fn encoding_key(&self) -> Result<EncodingKey> {
        match self {
            KeyPair::Ed25519(k) => {
                use ed25519_dalek::pkcs8::EncodePrivateKey;
                let der = k.to_pkcs8_der().map_err(Error::internal)?;
                Ok(EncodingKey::from_ed_der(der.as_bytes()))
            }
            KeyPair::Rsa(k) => Ok(EncodingKey::from_rsa_der(&k.private_key_to_der().map_err(rsa_error)?)),
        }
    }

    pub(crate) fn decoding_key(&self) -> DecodingKey {
        match self {
            KeyPair::Ed25519(k) => {
                DecodingKey::from_ed_components(&URL_SAFE_NO_PAD.encode(k.verifying_key().as_bytes()))
                    .expect("32 bytes of base64url decode")
            }
            KeyPair::Rsa(k) => DecodingKey::from_rsa_raw_components(&k.n().to_vec(), &k.e().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint() {
        // RFC 8037 appendix A.1 / A.3: this key's thumbprint.
        let d = URL_SAFE_NO_PAD.decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A").unwrap();
        let key = KeyPair::ed25519_from_seed(d.try_into().unwrap());
        assert_eq!(key.jwk().x.as_deref(), Some("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"));
        assert_eq!(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    /// RFC 7638 §3.1's example RSA key, whose thumbprint the RFC gives.
    const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    #[test]
    fn an_rsa_kid_is_the_rfc_7638_thumbprint_of_n_and_e() {
        let jwk = Jwk {
            kty: "RSA",
            crv: None,
            x: None,
            n: Some(RFC7638_N.into()),
            e: Some("AQAB".into()),
            kid: String::new(),
            alg: "RS256",
            use_: "sig",
        };
        assert_eq!(jwk.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        // A generated key's kid is its published n and e's thumbprint.
        let key = KeyPair::generate(SigningAlg::Rs256).unwrap();
        let published = key.jwk();
        assert_eq!((published.kty, published.alg), ("RSA", "RS256"));
        assert_eq!(published.kid, Jwk { kid: String::new(), ..published.clone() }.thumbprint());
        assert_eq!(published.kid, key.kid());
    }

    #[test]
    fn a_pem_key_loads_and_keeps_its_identity() {
        // RFC 8410 §10.3's example private key.
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
        let key = KeyPair::from_pem(pem).unwrap();
        assert_eq!(key.alg(), SigningAlg::EdDsa);
        assert_eq!(key.kid(), KeyPair::from_pem(pem).unwrap().kid());
        assert!(KeyPair::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").is_err());
    }

    #[test]
    fn an_rsa_pem_key_loads_in_either_encoding_and_a_short_one_is_refused() {
        let rsa = Rsa::generate(RSA_BITS).unwrap();
        let pkcs1 = String::from_utf8(rsa.private_key_to_pem().unwrap()).unwrap();
        let pkcs8 =
            String::from_utf8(PKey::from_rsa(rsa.clone()).unwrap().private_key_to_pem_pkcs8().unwrap()).unwrap();
        let (a, b) = (KeyPair::from_pem(&pkcs1).unwrap(), KeyPair::from_pem(&pkcs8).unwrap());
        assert_eq!((a.alg(), a.kid()), (SigningAlg::Rs256, b.kid()));
        let stored = KeyPair::from_private_bytes(SigningAlg::Rs256, &a.private_bytes().unwrap()).unwrap();
        assert_eq!(stored.kid(), a.kid());
        let short = String::from_utf8(Rsa::generate(1024).unwrap().private_key_to_pem().unwrap()).unwrap();
        assert!(KeyPair::from_pem(&short).unwrap_err().to_string().contains("2048"));
    }
}
