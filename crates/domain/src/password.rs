//! Password policy (NIST SP 800-63B §3.1.1.2): length is what counts, no
//! composition rules, and passwords that are common or guessable are refused.

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 128;

/// A new password that passed the policy. Never printed.
pub struct Password(SecretString);

impl Password {
    /// Checks length and strength. `context` holds the user's own words
    /// (email, username, names): a password built from them is refused.
    pub fn parse(raw: &str, context: &[&str]) -> Result<Self> {
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            return Err(Error::WeakPassword(format!("use at least {MIN_CHARS} characters")));
        }
        if chars > MAX_CHARS {
            return Err(Error::InvalidField {
                field: "password",
                reason: format!("must be at most {MAX_CHARS} characters"),
            });
        }
        let estimate = zxcvbn::zxcvbn(raw, context);
        if (estimate.score() as u8) < 3 {
            let why = estimate
                .feedback()
                .and_then(|f| f.warning().map(|w| w.to_string()))
                .unwrap_or_else(|| "it is too easy to guess".to_owned());
            let hint = estimate
                .feedback()
                .and_then(|f| f.suggestions().first().map(|s| s.to_string()))
                .unwrap_or_else(|| "Use a longer phrase of uncommon words.".to_owned());
            return Err(Error::WeakPassword(format!("{} {hint}", why.trim_end_matches('.').to_owned() + ".")));
        }
        Ok(Self(SecretString::from(raw)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// The words of a user's own a new password may not be built from: the
/// email, its local part, the username and the names, plus any `extra`.
pub fn user_words<'a>(
    email: &'a str,
    username: &'a str,
    name: &'a str,
    lastname: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let local_part = email.split('@').next().unwrap_or_default();
    [email, local_part, username, name, lastname].into_iter().chain(extra.iter().copied()).collect()
}

/// Whether a password typed at login could possibly be a stored one: longer
/// input is refused before any lookup or hashing, so it costs nothing.
pub fn plausible_login_password(raw: &str) -> bool {
    !raw.is_empty() && raw.len() <= MAX_CHARS * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_shorter_than_eight_characters_is_refused() {
        assert!(matches!(Password::parse("Zx9!qr", &[]), Err(Error::WeakPassword(_))));
    }

    #[test]
    fn password_longer_than_128_characters_is_refused() {
        let long = "correct horse battery staple ".repeat(5);
        assert!(matches!(Password::parse(&long, &[]), Err(Error::InvalidField { field: "password", .. })));
    }

    #[test]
    fn common_password_is_refused_with_a_reason() {
        for common in ["password123", "qwertyuiop", "iloveyou1", "12345678"] {
            match Password::parse(common, &[]) {
                Err(Error::WeakPassword(why)) => assert!(!why.is_empty()),
                other => panic!("{common:?} gave {:?}", other.map(|_| ())),
            }
        }
    }

    #[test]
    fn password_made_of_the_users_own_name_is_refused() {
        assert!(Password::parse("adalovelace1815", &["adalovelace", "ada", "lovelace"]).is_err());
    }

    #[test]
    fn any_unicode_passphrase_without_composition_rules_is_accepted() {
        assert!(Password::parse("wolkig mit aussicht auf kaffee", &[]).is_ok());
        assert!(Password::parse("緑の猫が月曜日に踊る", &[]).is_ok());
    }
}
