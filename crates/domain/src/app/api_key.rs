//! API keys: what an application presents on every verification request.
//! A key is `authd_app_` and 40 hex digits (160 random bits from the
//! CSPRNG; [`PrefixedKey`]), so a leaked one is recognisable in logs and by
//! secret scanners; it is shown once and stored only as a keyed hash
//! ([`PrefixedKey::hashed`]).

use std::time::Duration;

use super::settings::AppId;
use crate::prefixed_key::{KeyKind, PrefixedKey, StoredKey};

/// What every key starts with.
pub const PREFIX: &str = "authd_app_";

/// How long the key a rotation replaces keeps working: a day, time for
/// every instance of the app to pick up the new key. Configurable
/// (`AUTHD_APP_KEY_GRACE_SECONDS`).
pub const DEFAULT_ROTATION_GRACE: Duration = Duration::from_secs(24 * 3600);

/// An application's API keys.
#[derive(Debug)]
pub struct AppKeys;

impl KeyKind for AppKeys {
    const PREFIX: &'static str = PREFIX;
    const NAME: &'static str = "ApiKey";
    const HASH_LABEL: &'static [u8] = b"api-key";
}

/// A whole key, as the application holds it. Never printed.
pub type ApiKey = PrefixedKey<AppKeys>;

/// What storage keeps of a key.
pub type AppKey = StoredKey<AppId>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::doubles::SeqRng;

    #[test]
    fn an_api_key_is_prefixed_and_carries_160_random_bits() {
        let key = ApiKey::generate(&SeqRng::new((0..20).collect()));
        assert_eq!(key.expose(), "authd_app_000102030405060708090a0b0c0d0e0f10111213");
        const { assert!(ApiKey::BITS >= 128) };
        assert_eq!(key.hint(), "authd_app_000102");
        assert!(!format!("{key:?}").contains("0708"), "never printed whole");
        assert_eq!(format!("{key:?}"), "ApiKey(authd_app_000102…)", "but recognisably");
    }

    #[test]
    fn only_a_string_of_a_keys_shape_is_read_as_a_key() {
        let good = "authd_app_000102030405060708090a0b0c0d0e0f10111213";
        assert_eq!(ApiKey::parse(good).unwrap().expose(), good);
        for bad in [
            "",
            "authd_app_",
            "000102030405060708090a0b0c0d0e0f10111213",
            "authd_app_000102030405060708090a0b0c0d0e0f1011121",
            "authd_app_000102030405060708090a0b0c0d0e0f1011121300",
            "authd_app_000102030405060708090A0B0C0D0E0F10111213",
            "authd_app_000102030405060708090a0b0c0d0e0f1011121g",
            "Bearer authd_app_000102030405060708090a0b0c0d0e0f10111213",
        ] {
            assert!(ApiKey::parse(bad).is_none(), "{bad:?} accepted");
        }
    }
}
