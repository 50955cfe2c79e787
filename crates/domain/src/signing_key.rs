//! When each token-signing key signs and until when it verifies: the
//! schedule `authd keys rotate` writes and every node reads (EdDSA; HS256 has
//! the one configured secret). A rotation publishes the new key before it
//! signs, so every node and every relying party's cached JWKS knows it by the
//! time a token carries its `kid`; the keys it replaces keep verifying until
//! the longest-lived token they signed has expired.

use chrono::{DateTime, Duration, Utc};

/// One key's place in the schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyTimes {
    /// The key's id (`kid`).
    pub kid: String,
    pub created_at: DateTime<Utc>,
    /// Tokens issued from this instant on are signed with it (until a newer
    /// key's `signs_from`).
    pub signs_from: DateTime<Utc>,
    /// It verifies (and is published) until this instant; `None`: while it
    /// is the newest key.
    pub retires_at: Option<DateTime<Utc>>,
}

impl KeyTimes {
    /// Whether a token with this key's `kid` is accepted at `now`.
    pub fn verifies_at(&self, now: DateTime<Utc>) -> bool {
        self.retires_at.is_none_or(|r| now < r)
    }
}

/// The key that signs a token issued at `at`: of the keys that verify then
/// and sign from `at` or earlier, the one that started signing last.
pub fn signer_at(keys: &[KeyTimes], at: DateTime<Utc>) -> Option<&KeyTimes> {
    keys.iter().filter(|k| k.signs_from <= at && k.verifies_at(at)).max_by_key(|k| (k.signs_from, k.created_at))
}

/// What a rotation at `now` writes: when the new key signs, and when every
/// key it supersedes (each one without a retirement yet) retires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    pub signs_from: DateTime<Utc>,
    pub retire_others_at: DateTime<Utc>,
}

/// Plans a rotation at `now`. The new key signs `publish_for` after `now`,
/// or at once when no key verifies now (the first key: nobody holds a token);
/// from a whole second, as a token's `iat` is one (RFC 7519 NumericDate).
/// Every key still without a retirement is retired `longest_token` after the
/// new key starts signing, the last moment a token it signed can be alive.
pub fn rotation(keys: &[KeyTimes], now: DateTime<Utc>, publish_for: Duration, longest_token: Duration) -> Rotation {
    let from = if keys.iter().any(|k| k.verifies_at(now)) { now + publish_for } else { now };
    let signs_from = DateTime::from_timestamp(from.timestamp(), 0).unwrap_or(from);
    Rotation { signs_from, retire_others_at: signs_from + longest_token }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn key(kid: &str, signs_from: i64, retires_at: Option<i64>) -> KeyTimes {
        KeyTimes {
            kid: kid.into(),
            created_at: at(signs_from),
            signs_from: at(signs_from),
            retires_at: retires_at.map(at),
        }
    }

    #[test]
    fn the_first_key_signs_at_once() {
        let plan = rotation(&[], at(0), Duration::seconds(600), Duration::days(30));
        assert_eq!(plan.signs_from, at(0));
        // A table holding only retired keys has no live token to protect either.
        let plan = rotation(&[key("old", -100, Some(-1))], at(0), Duration::seconds(600), Duration::days(30));
        assert_eq!(plan.signs_from, at(0));
    }

    #[test]
    fn a_rotated_key_is_published_before_it_signs_and_the_old_one_verifies_until_its_last_token_expires() {
        let keys = [key("old", 0, None)];
        let plan = rotation(&keys, at(1000), Duration::seconds(600), Duration::seconds(3600));
        assert_eq!(plan.signs_from, at(1600));
        assert_eq!(plan.retire_others_at, at(1600 + 3600));

        let after = [key("old", 0, Some(1600 + 3600)), key("new", 1600, None)];
        assert_eq!(signer_at(&after, at(1599)).unwrap().kid, "old", "the new key is not used before its time");
        assert_eq!(signer_at(&after, at(1600)).unwrap().kid, "new");
        assert!(after[0].verifies_at(at(1600 + 3599)), "a token the old key signed last is still alive");
        assert!(!after[0].verifies_at(at(1600 + 3600)), "then the old key retires");
    }

    #[test]
    fn a_new_key_signs_from_a_whole_second_so_a_token_issued_in_that_second_gets_it() {
        let now = at(0) + Duration::milliseconds(700);
        let plan = rotation(&[], now, Duration::seconds(600), Duration::days(30));
        assert_eq!(plan.signs_from, at(0));
        let plan = rotation(&[key("old", -10, None)], now, Duration::seconds(600), Duration::days(30));
        assert_eq!(plan.signs_from, at(600));
    }

    #[test]
    fn a_retired_key_never_signs() {
        let keys = [key("only", 0, Some(50))];
        assert_eq!(signer_at(&keys, at(49)).unwrap().kid, "only");
        assert!(signer_at(&keys, at(50)).is_none());
        assert!(signer_at(&keys, at(-1)).is_none(), "nor does a key before its time");
    }

    #[test]
    fn of_two_keys_signing_from_the_same_instant_the_newer_signs() {
        let mut newer = key("newer", 0, None);
        newer.created_at = at(1);
        let keys = [newer, key("older", 0, None)];
        assert_eq!(signer_at(&keys, at(5)).unwrap().kid, "newer");
    }
}
