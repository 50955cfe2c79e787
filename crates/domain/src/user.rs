//! Users and the values they are made of. Each value type parses its input once;
//! holding one means it is valid.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, Result};

/// A user's stable identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct UserId(pub Uuid);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidField { field, reason: reason.into() }
}

/// An email address, trimmed and lower-cased so that one mailbox is one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() || s.len() > Self::MAX_LEN {
            return Err(invalid("email", "must be 1 to 254 characters"));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(invalid("email", "must look like name@example.com"));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.chars().any(|c| c.is_whitespace() || c.is_control());
        if !domain_ok || !local_ok {
            return Err(invalid("email", "must look like name@example.com"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A username: 3 to 32 of `a-z 0-9 . _ -`, starting with a letter or digit, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim().to_lowercase();
        if !(3..=32).contains(&s.chars().count()) {
            return Err(invalid("username", "must be 3 to 32 characters"));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(invalid("username", "must start with a letter or a digit"));
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
            return Err(invalid("username", "may only contain a-z, 0-9, '.', '_' and '-'"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A given name or family name: 1 to 100 printable characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self> {
        let s = raw.trim();
        if !(1..=100).contains(&s.chars().count()) {
            return Err(invalid(field, "must be 1 to 100 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(invalid(field, "must not contain control characters"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 form (`+14155550123`): international, with no
/// extension, and valid in its country's numbering plan. Stored as E.164,
/// so one number is one string whatever spacing it was typed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        if !s.starts_with('+') || s.len() > 32 {
            return Err(invalid("phone", "must be an international number starting with +, like +14155550123"));
        }
        let number = phonenumber::parse(None, s)
            .map_err(|_| invalid("phone", "must be an international number starting with +, like +14155550123"))?;
        if number.extension().is_some() {
            return Err(invalid("phone", "must not have an extension"));
        }
        if !number.is_valid() {
            return Err(invalid("phone", "is not a valid number in its country"));
        }
        Ok(Self(number.format().mode(phonenumber::Mode::E164).to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a user types to log in: their email or their username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginName {
    Email(Email),
    Username(Username),
}

impl LoginName {
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.contains('@') {
            Email::parse(raw).ok().map(Self::Email)
        } else {
            Username::parse(raw).ok().map(Self::Username)
        }
    }
}

/// A user as everyone but the password checker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    /// The last address the user proved is theirs (a link or code mailed
    /// to it): `email` once verified; after a change, the old address until
    /// the new one is proved. Mailed codes go here ([`User::mail_to`]).
    pub verified_email: Option<String>,
    pub username: String,
    pub name: String,
    pub lastname: String,
    pub is_admin: bool,
    pub is_2fa: bool,
    pub is_active: bool,
    /// E.164; unverified until the user typed the code sent to it.
    pub phone: Option<String>,
    /// When the user proved the current `phone` is theirs.
    pub phone_verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
}

impl User {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.name, self.lastname)
    }

    /// Whether the current email address is proved the user's.
    pub fn email_verified(&self) -> bool {
        self.verified_email.as_deref() == Some(self.email.as_str())
    }

    /// Where mail about the account goes: the last address the user proved,
    /// or, before any was proved, the one they gave.
    pub fn mail_to(&self) -> &str {
        self.verified_email.as_deref().unwrap_or(&self.email)
    }

    /// The phone number, once the user proved it is theirs: the only one
    /// a code for a login may go to.
    pub fn verified_phone(&self) -> Option<&str> {
        self.phone.as_deref().filter(|_| self.phone_verified_at.is_some())
    }
}

/// A user together with their password hash (PHC string), as storage holds them.
#[derive(Debug, Clone)]
pub struct StoredUser {
    pub user: User,
    pub password_hash: String,
}

/// A new account, every field parsed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub email: Email,
    pub username: Username,
    pub name: PersonName,
    pub lastname: PersonName,
    /// Unverified at first.
    pub phone: Option<Phone>,
    pub password_hash: String,
    pub is_admin: bool,
    pub is_2fa: bool,
    pub created_at: DateTime<Utc>,
}

/// Which users to list, and from where: a keyset page ordered by id (ids
/// are time-ordered, so this is registration order).
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Only users whose email, username, name or last name contains this, case-insensitively.
    pub search: Option<String>,
    pub is_active: Option<bool>,
    pub is_admin: Option<bool>,
    pub is_2fa: Option<bool>,
    /// Only users after this id.
    pub after: Option<UserId>,
    pub limit: u32,
}

mod profile;

pub use profile::{ProfileChanges, ProfilePatch};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lowercased() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn email_without_at_or_dotted_domain_is_rejected() {
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "ada@.com", "a da@x.io", "ada@exa..mple.com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn email_longer_than_254_characters_is_rejected() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
        // At the edge: 254 characters pass, 255 do not (RFC 5321 §4.5.3.1.3).
        let domain = format!("{}.{}.{}.com", "b".repeat(63), "c".repeat(63), "d".repeat(59));
        let at = |n: usize| format!("{}@{domain}", "a".repeat(n - domain.len() - 1));
        assert_eq!(at(254).len(), 254);
        assert!(Email::parse(&at(254)).is_ok());
        assert!(Email::parse(&at(255)).is_err());
    }

    #[test]
    fn email_domains_may_hold_hyphens() {
        assert_eq!(Email::parse("ada@analytical-engine.example").unwrap().as_str(), "ada@analytical-engine.example");
    }

    #[test]
    fn a_phone_of_up_to_32_characters_as_typed_is_read_and_a_longer_one_is_not() {
        let typed = |len: usize| format!("+1{}4155550132", " ".repeat(len - 12));
        assert_eq!(Phone::parse(&typed(32)).unwrap().as_str(), "+14155550132");
        assert!(Phone::parse(&typed(33)).is_err());
    }

    #[test]
    fn the_full_name_is_the_name_then_the_last_name() {
        assert_eq!(ada().full_name(), "Ada Lovelace");
    }

    #[test]
    fn username_allows_only_a_small_alphabet() {
        assert_eq!(Username::parse("Ada.L_1-x").unwrap().as_str(), "ada.l_1-x");
        for bad in ["ab", &"a".repeat(33), "_ada", "ada lovelace", "ada@x", "adá"] {
            assert!(Username::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("name", "  Ada ").unwrap().as_str(), "Ada");
        assert!(PersonName::parse("name", "   ").is_err());
        assert!(PersonName::parse("name", &"x".repeat(101)).is_err());
        assert!(PersonName::parse("name", "A\u{0}da").is_err());
    }

    #[test]
    fn phone_is_stored_in_e164_whatever_the_spacing() {
        assert_eq!(Phone::parse(" +1 (415) 555-0132 ").unwrap().as_str(), "+14155550132");
        assert_eq!(Phone::parse("+44 20 7946 0958").unwrap().as_str(), "+442079460958");
    }

    #[test]
    fn phone_must_be_international_valid_and_without_extension() {
        for bad in
            ["", "4155550132", "00 1 415 555 0132", "+1 415 555", "+999 1234567", "+1 415 555 0132 ext. 12", "+abc"]
        {
            assert!(Phone::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Phone::parse(&format!("+1{}", "5".repeat(40))).is_err());
    }

    /// Ada Lovelace, with a phone she has not verified.
    fn ada() -> User {
        let t = chrono::Utc::now();
        User {
            id: UserId(Uuid::nil()),
            email: "ada@example.com".into(),
            username: "ada".into(),
            name: "Ada".into(),
            lastname: "Lovelace".into(),
            is_admin: false,
            is_2fa: true,
            is_active: true,
            verified_email: None,
            phone: Some("+14155550132".into()),
            phone_verified_at: None,
            created_at: t,
            modified_at: t,
        }
    }

    #[test]
    fn only_a_verified_phone_is_offered_for_codes() {
        let t = chrono::Utc::now();
        let mut u = ada();
        assert_eq!(u.verified_phone(), None);
        u.phone_verified_at = Some(t);
        assert_eq!(u.verified_phone(), Some("+14155550132"));
    }

    #[test]
    fn login_name_is_an_email_when_it_has_an_at_sign() {
        assert!(matches!(LoginName::parse("ada@example.com"), Some(LoginName::Email(_))));
        assert!(matches!(LoginName::parse("ada"), Some(LoginName::Username(_))));
        assert!(LoginName::parse("a").is_none());
    }
}
