//! The keyed hash of the secrets authd recognises but never keeps (the
//! domain's `KeyedHasher`): one-time codes as HMAC-SHA256(key, challenge id ‖
//! code), so a leaked table reveals no code and a code hash is useless for
//! any other login; recovery codes bound to their user; API keys.

use domain::otp::{LinkToken, OtpCode};
use domain::recovery_code::RecoveryCode;
use domain::trusted_device::DeviceToken;
use domain::user::UserId;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

pub struct HmacKeyedHasher {
    key: [u8; 32],
}

impl HmacKeyedHasher {
    /// Derives the OTP key from the server secret, so that one secret is
    /// configured and the two uses never share a key.
    pub fn derived_from(secret: &[u8]) -> Self {
        Self { key: crate::keys::derive(secret, b"authd/otp-code-key/v1") }
    }
}

impl domain::ports::KeyedHasher for HmacKeyedHasher {
    fn hash(&self, challenge: Uuid, code: &OtpCode) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(challenge.as_bytes());
        mac.update(code.as_str().as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn verify(&self, challenge: Uuid, code: &OtpCode, stored: &[u8]) -> bool {
        self.hash(challenge, code).ct_eq(stored).into()
    }

    fn hash_recovery_code(&self, user: UserId, code: &RecoveryCode) -> Vec<u8> {
        // Its own label, so a recovery-code hash never equals a login-code hash.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"recovery-code");
        mac.update(user.0.as_bytes());
        mac.update(code.as_str().as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn hash_link(&self, token: &LinkToken) -> Vec<u8> {
        // A token carries 128 random bits: one keyed hash, under its own label.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"link");
        mac.update(token.expose().as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn hash_device_token(&self, token: &DeviceToken) -> Vec<u8> {
        // 256 random bits: one keyed hash, under its own label.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"trusted-device");
        mac.update(token.expose().as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn hash_key(&self, label: &[u8], key: &str) -> Vec<u8> {
        // A prefixed key carries 160 random bits, so one keyed hash is
        // enough (no slow hash needed); its kind's label (`api-key`,
        // `oidc-client-secret`) keeps each kind apart from the others and
        // from code hashes.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(label);
        mac.update(key.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::app::ApiKey;
    use domain::ports::KeyedHasher;

    #[test]
    fn otp_hash_is_keyed_and_bound_to_its_challenge() {
        let h = HmacKeyedHasher::derived_from(b"server-secret");
        let code = OtpCode::parse("123456").unwrap();
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let stored = h.hash(a, &code);
        assert_eq!(stored.len(), 32);
        assert!(!stored.windows(6).any(|w| w == b"123456"));
        assert!(h.verify(a, &code, &stored));
        assert!(!h.verify(b, &code, &stored));
        assert!(!h.verify(a, &OtpCode::parse("123457").unwrap(), &stored));
        assert_ne!(HmacKeyedHasher::derived_from(b"other-secret").hash(a, &code), stored);
    }

    #[test]
    fn recovery_code_hash_is_keyed_and_bound_to_its_user() {
        let h = HmacKeyedHasher::derived_from(b"server-secret");
        let code = RecoveryCode::parse("ab1d-ef0h-jkmn").unwrap();
        let (ada, bob) = (UserId(Uuid::from_u128(1)), UserId(Uuid::from_u128(2)));
        let stored = h.hash_recovery_code(ada, &code);
        assert_eq!(stored.len(), 32);
        assert_eq!(stored, h.hash_recovery_code(ada, &RecoveryCode::parse("AB1D EF0H JKMN").unwrap()));
        assert_ne!(stored, h.hash_recovery_code(bob, &code));
        assert_ne!(stored, HmacKeyedHasher::derived_from(b"other-secret").hash_recovery_code(ada, &code));
    }

    #[test]
    fn a_client_secrets_hash_is_keyed_under_its_own_label() {
        let h = HmacKeyedHasher::derived_from(b"server-secret");
        let secret = domain::oidc::ClientSecret::parse("authd_cs_000102030405060708090a0b0c0d0e0f10111213").unwrap();
        let stored = secret.hashed(&h);
        assert_eq!(stored.len(), 32);
        assert_ne!(stored, secret.hashed(&HmacKeyedHasher::derived_from(b"other-secret")));
        let key = ApiKey::parse("authd_app_000102030405060708090a0b0c0d0e0f10111213").unwrap();
        let mut mac = HmacSha256::new_from_slice(&h.key).unwrap();
        mac.update(b"api-key");
        mac.update(secret.expose().as_bytes());
        assert_ne!(stored, mac.finalize().into_bytes().to_vec(), "not the API keys' label");
        assert_ne!(stored, key.hashed(&h));
    }

    #[test]
    fn api_key_hash_is_keyed_and_never_the_key() {
        let h = HmacKeyedHasher::derived_from(b"server-secret");
        let key = ApiKey::parse("authd_app_000102030405060708090a0b0c0d0e0f10111213").unwrap();
        let stored = key.hashed(&h);
        assert_eq!(stored.len(), 32);
        let mut mac = HmacSha256::new_from_slice(&h.key).unwrap();
        mac.update(b"api-key");
        mac.update(key.expose().as_bytes());
        assert_eq!(
            stored,
            mac.finalize().into_bytes().to_vec(),
            "HMAC(label ‖ key): the keys stored so far still match"
        );
        assert_eq!(stored, ApiKey::parse(key.expose()).unwrap().hashed(&h), "found again by its hash");
        assert_ne!(stored, key.hashed(&HmacKeyedHasher::derived_from(b"other-secret")));
        let other = ApiKey::parse("authd_app_000102030405060708090a0b0c0d0e0f10111214").unwrap();
        assert_ne!(stored, other.hashed(&h));
    }
}
