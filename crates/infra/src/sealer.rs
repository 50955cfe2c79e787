//! Secrets that must be read back (TOTP secrets) are stored sealed with
//! ChaCha20-Poly1305 (RFC 8439): a database dump without the server secret
//! reveals none, and a sealed value moved to another user's row does not
//! open, because the owner is the associated data.
//!
//! Layout: `1` (format) ‖ 12-byte random nonce ‖ ciphertext ‖ 16-byte tag.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

pub use domain::ports::MIN_SEALING_KEY_BYTES as MIN_KEY_BYTES;
const FORMAT: u8 = 1;
const NONCE: usize = 12;

pub struct ChaChaSealer {
    cipher: ChaCha20Poly1305,
}

impl ChaChaSealer {
    /// Derives the sealing key from the server secret under its own label,
    /// so it never equals the signing or OTP key.
    pub fn derived_from(secret: &[u8]) -> Self {
        let key = crate::keys::derive(secret, b"authd/secret-sealing-key/v1");
        Self { cipher: ChaCha20Poly1305::new(&Key::from(key)) }
    }
}

fn unopenable() -> domain::Error {
    domain::Error::internal("a sealed secret does not open: wrong key, wrong owner or altered")
}

impl domain::ports::SecretSealer for ChaChaSealer {
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> domain::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).map_err(domain::Error::internal)?;
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad: context })
            .map_err(|_| domain::Error::internal("sealing failed"))?;
        Ok([&[FORMAT][..], &nonce, &sealed].concat())
    }

    fn open(&self, sealed: &[u8], context: &[u8]) -> domain::Result<Vec<u8>> {
        let (&format, rest) = sealed.split_first().ok_or_else(unopenable)?;
        if format != FORMAT || rest.len() < NONCE {
            return Err(unopenable());
        }
        let (nonce, ciphertext) = rest.split_at(NONCE);
        let nonce: [u8; NONCE] = nonce.try_into().map_err(|_| unopenable())?;
        self.cipher.decrypt(&Nonce::from(nonce), Payload { msg: ciphertext, aad: context }).map_err(|_| unopenable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ports::SecretSealer;

    fn sealer() -> ChaChaSealer {
        ChaChaSealer::derived_from(b"a-server-secret-of-at-least-32-bytes!")
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_owner() {
        let s = sealer();
        let sealed = s.seal(b"totp secret bytes", b"user-1").unwrap();
        assert_eq!(s.open(&sealed, b"user-1").unwrap(), b"totp secret bytes");
        assert!(!sealed.windows(6).any(|w| w == b"secret"), "no plaintext in the sealed form");
        assert!(s.open(&sealed, b"user-2").is_err(), "moved to another owner");
        let other_key = ChaChaSealer::derived_from(b"another-server-secret-of-32-bytes!!!");
        assert!(other_key.open(&sealed, b"user-1").is_err(), "another key");
    }

    #[test]
    fn an_altered_or_truncated_sealed_secret_does_not_open() {
        let s = sealer();
        let sealed = s.seal(b"totp secret bytes", b"user-1").unwrap();
        for i in [0, 1, sealed.len() / 2, sealed.len() - 1] {
            let mut altered = sealed.clone();
            altered[i] ^= 0x01;
            assert!(s.open(&altered, b"user-1").is_err(), "byte {i} flipped");
        }
        assert!(s.open(&sealed[..10], b"user-1").is_err());
        assert!(s.open(&[], b"user-1").is_err());
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let s = sealer();
        assert_ne!(s.seal(b"same", b"u").unwrap(), s.seal(b"same", b"u").unwrap());
    }
}
