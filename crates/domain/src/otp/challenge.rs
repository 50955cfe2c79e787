//! A second-factor challenge: bound to one login attempt, and the limits it
//! lives under. The limits are enforced atomically by the
//! [`OtpRepo`](crate::ports::OtpRepo) statements that receive them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::Error;
use crate::notify::Channel;
use crate::subject::Subject;
use crate::words::stable_words;

/// Wrong codes a login or phone challenge survives; the fifth wrong one kills it.
pub const MAX_ATTEMPTS: u32 = 5;

/// What a challenge's code is like: its digits and the wrong answers it
/// survives. Logins and phones use [`CodeRules::SENT`]; an application's
/// verifications its own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRules {
    pub digits: u32,
    pub max_attempts: u32,
}

impl CodeRules {
    /// Six digits, five tries.
    pub const SENT: Self = Self { digits: super::code::OtpCode::DIGITS as u32, max_attempts: MAX_ATTEMPTS };
    /// The short code beside a mailed link: eight digits (for reading on
    /// another device and typing with the email address), five tries.
    pub const BESIDE_LINK: Self = Self { digits: 8, max_attempts: MAX_ATTEMPTS };
}
/// New codes that may be sent for one challenge after the first.
pub const MAX_RESENDS: u32 = 3;

stable_words! {
    /// A second factor a user can prove. The login answer lists those a user has.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Method {
        /// A passkey's signature (WebAuthn), with user verification.
        Passkey = "passkey",
        /// An authenticator app's current code.
        Totp = "totp",
        /// One of the user's recovery codes.
        RecoveryCode = "recovery_code",
        /// A code sent by mail.
        Email = "email",
        /// A code sent by SMS to the user's verified phone.
        Sms = "sms",
        /// A code sent by WhatsApp to the user's verified phone.
        Whatsapp = "whatsapp",
    }
}

impl Method {
    /// The channel a code of this method is sent on; `None` for the
    /// factors the user already holds (an app, a recovery code).
    pub fn channel(self) -> Option<Channel> {
        match self {
            Method::Email => Some(Channel::Email),
            Method::Sms => Some(Channel::Sms),
            Method::Whatsapp => Some(Channel::Whatsapp),
            Method::Passkey | Method::Totp | Method::RecoveryCode => None,
        }
    }

    /// Whether its code goes to the phone (and past the SMS guard).
    pub fn is_texted(self) -> bool {
        matches!(self, Method::Sms | Method::Whatsapp)
    }

    /// The method whose code travels on `channel`.
    pub fn sent_by(channel: Channel) -> Self {
        match channel {
            Channel::Email => Method::Email,
            Channel::Sms => Method::Sms,
            Channel::Whatsapp => Method::Whatsapp,
        }
    }
}

stable_words! {
    /// What answering a challenge proves: that the user may finish a login, or
    /// that a phone number is theirs. A challenge of one purpose never answers
    /// the other.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Purpose {
        Login = "login",
        Phone = "phone",
        /// A code an application asked authd to send to one of its users.
        Verification = "verification",
        /// A link and code mailed to prove an email address is the user's.
        Email = "email",
        /// A link and code mailed to set a new password.
        Reset = "reset",
        /// A session's user proving who they are again (a code, or the tries
        /// of an app code, a recovery code or a passkey); bound to the session.
        StepUp = "step_up",
    }
}

/// How a capped creation ended ([`OtpRepo::create_capped`](crate::ports::OtpRepo::create_capped)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capped {
    Created,
    /// As many as allowed are open; nothing was stored. The first of them
    /// closes by expiring at `frees_at`, if nothing closes it sooner.
    Full {
        frees_at: DateTime<Utc>,
    },
}

/// A pending proof: for a login, bound to one login attempt (its id is the
/// temporary token's `sid`); for a phone, bound to the number it was sent to;
/// for an application's verification, to the destination it was sent to.
#[derive(Debug, Clone)]
pub struct OtpChallenge {
    pub id: Uuid,
    /// The user (logins, phones) or the application (verifications) it is for.
    pub owner: Subject,
    pub purpose: Purpose,
    /// For a login: the default method, or the one the current code was
    /// sent by. For a phone: the channel the current code was sent on.
    pub method: Method,
    /// For a phone: the number the code went to, which it proves; for a
    /// verification: the email address or number; for a step-up: the
    /// session it raises.
    pub destination: Option<String>,
    pub code_hash: Vec<u8>,
    /// Its code's digits and the wrong answers it survives.
    pub rules: CodeRules,
    pub attempts: u32,
    pub resends: u32,
    pub created_at: DateTime<Utc>,
    pub last_sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    /// When the application canceled it (verifications only).
    pub canceled_at: Option<DateTime<Utc>>,
    /// The message carrying the current code, when one was sent.
    pub delivery_id: Option<Uuid>,
    /// The keyed hash of the link token mailed with the code (email
    /// proofs and resets), by which storage finds the challenge.
    pub link_hash: Option<Vec<u8>>,
}

impl OtpChallenge {
    /// Why this challenge can no longer be answered at `now`, if it cannot.
    /// A challenge lives exactly as long as its temporary token, so running
    /// out of time is the token expiring: the login starts over.
    pub fn closed_reason(&self, now: DateTime<Utc>) -> Option<Error> {
        self.closed_reason_under(now, self.rules.max_attempts)
    }

    /// [`closed_reason`](Self::closed_reason) with `max_attempts` wrong
    /// answers allowed: the condition the storage's consume statement
    /// checks, which is given the limit.
    pub fn closed_reason_under(&self, now: DateTime<Utc>, max_attempts: u32) -> Option<Error> {
        if self.used_at.is_some() {
            Some(Error::OtpUsed)
        } else if self.canceled_at.is_some() {
            Some(Error::OtpCanceled)
        } else if self.attempts >= max_attempts {
            Some(Error::OtpLocked)
        } else if now >= self.expires_at {
            Some(Error::TokenExpired)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn open_until(expires_at: DateTime<Utc>) -> OtpChallenge {
        OtpChallenge {
            id: Uuid::nil(),
            owner: Subject::User(crate::user::UserId(Uuid::nil())),
            purpose: Purpose::Login,
            method: Method::Email,
            destination: None,
            code_hash: vec![],
            rules: CodeRules::SENT,
            attempts: 0,
            resends: 0,
            created_at: expires_at,
            last_sent_at: expires_at,
            expires_at,
            used_at: None,
            canceled_at: None,
            delivery_id: None,
            link_hash: None,
        }
    }

    #[test]
    fn method_names_are_the_stable_words_of_the_api_and_the_database() {
        let words: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(words, ["passkey", "totp", "recovery_code", "email", "sms", "whatsapp"]);
        for m in Method::ALL {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
        assert_eq!(Method::parse("pigeon"), None);
        let purposes: Vec<&str> = Purpose::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(purposes, ["login", "phone", "verification", "email", "reset", "step_up"]);
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn a_sent_method_travels_on_its_own_channel_and_held_factors_on_none() {
        for c in Channel::ALL {
            assert_eq!(Method::sent_by(c).channel(), Some(c));
        }
        assert_eq!(Method::Totp.channel(), None);
        assert_eq!(Method::RecoveryCode.channel(), None);
    }

    #[test]
    fn a_challenge_closes_when_used_out_of_attempts_or_at_its_expiry() {
        let end = Utc.with_ymd_and_hms(2026, 11, 24, 12, 4, 0).unwrap();
        let just_before = end - chrono::Duration::microseconds(1);
        assert!(open_until(end).closed_reason(just_before).is_none());
        assert!(matches!(open_until(end).closed_reason(end), Some(Error::TokenExpired)));
        let used = OtpChallenge { used_at: Some(just_before), ..open_until(end) };
        assert!(matches!(used.closed_reason(just_before), Some(Error::OtpUsed)));
        let guessed = OtpChallenge { attempts: MAX_ATTEMPTS - 1, ..open_until(end) };
        assert!(guessed.closed_reason(just_before).is_none(), "four wrong codes leave one try");
        let locked = OtpChallenge { attempts: MAX_ATTEMPTS, ..open_until(end) };
        assert!(matches!(locked.closed_reason(just_before), Some(Error::OtpLocked)));
        let canceled = OtpChallenge { canceled_at: Some(just_before), ..open_until(end) };
        assert!(matches!(canceled.closed_reason(just_before), Some(Error::OtpCanceled)));
        let one_try = CodeRules { max_attempts: 1, ..CodeRules::SENT };
        let spent = OtpChallenge { attempts: 1, rules: one_try, ..open_until(end) };
        assert!(matches!(spent.closed_reason(just_before), Some(Error::OtpLocked)), "its own limit, not five");
    }
}
