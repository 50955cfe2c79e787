//! Who must have a second factor (`AUTHD_REQUIRE_2FA`): nobody, the
//! administrators, or everyone. A user the policy covers who has none logs
//! in to a session that may only enrol one
//! ([`Assurance::second_factor_due`](super::Assurance::second_factor_due)),
//! and, with the policy on for administrators, admin routes ask for `aal2`.

use crate::user::User;
use crate::words::stable_words;

stable_words! {
    /// Whose logins must end in a second factor.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum SecondFactorPolicy {
        /// Nobody's: a second factor is each user's choice.
        #[default]
        None = "none",
        /// Administrators'.
        Admins = "admins",
        /// Everyone's.
        All = "all",
    }
}

impl SecondFactorPolicy {
    /// Whether `user` must have a second factor.
    pub fn covers(self, user: &User) -> bool {
        match self {
            SecondFactorPolicy::None => false,
            SecondFactorPolicy::Admins => user.is_admin,
            SecondFactorPolicy::All => true,
        }
    }
}

/// Read from settings as its word; any other word is refused, naming the three.
impl<'de> serde::Deserialize<'de> for SecondFactorPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let word = String::deserialize(d)?;
        Self::parse(&word)
            .ok_or_else(|| serde::de::Error::custom(format!("expected none, admins or all, got {word:?}")))
    }
}
