//! A second-factor challenge: bound to one login attempt, and the limits it
//! lives under. The limits are enforced atomically by the
//! [`OtpRepo`](crate::ports::OtpRepo) statements that receive them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::Error;
use crate::user::UserId;

/// Wrong codes a challenge survives; the fifth wrong one kills it.
pub const MAX_ATTEMPTS: u32 = 5;
/// New codes that may be sent for one challenge after the first.
pub const MAX_RESENDS: u32 = 3;

/// A second factor a user can prove. The login answer lists those a user has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// An authenticator app's current code.
    Totp,
    /// One of the user's recovery codes.
    RecoveryCode,
    /// A code sent by mail for this login.
    Email,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Totp, Method::RecoveryCode, Method::Email];

    /// The stable word of the API and the `otp_challenges.method` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Totp => "totp",
            Method::RecoveryCode => "recovery_code",
            Method::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A pending second-factor proof, bound to one login attempt (its id is the
/// temporary token's `sid`).
#[derive(Debug, Clone)]
pub struct OtpChallenge {
    pub id: Uuid,
    pub user_id: UserId,
    pub method: Method,
    pub code_hash: Vec<u8>,
    pub attempts: u32,
    pub resends: u32,
    pub created_at: DateTime<Utc>,
    pub last_sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    /// The message carrying the current code, when one was sent.
    pub delivery_id: Option<Uuid>,
}

impl OtpChallenge {
    /// Why this challenge can no longer be answered at `now`, if it cannot.
    /// A challenge lives exactly as long as its temporary token, so running
    /// out of time is the token expiring: the login starts over.
    pub fn closed_reason(&self, now: DateTime<Utc>) -> Option<Error> {
        if self.used_at.is_some() {
            Some(Error::OtpUsed)
        } else if self.attempts >= MAX_ATTEMPTS {
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
            user_id: UserId(Uuid::nil()),
            method: Method::Email,
            code_hash: vec![],
            attempts: 0,
            resends: 0,
            created_at: expires_at,
            last_sent_at: expires_at,
            expires_at,
            used_at: None,
            delivery_id: None,
        }
    }

    #[test]
    fn method_names_are_the_stable_words_of_the_api_and_the_database() {
        let words: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(words, ["totp", "recovery_code", "email"]);
        for m in Method::ALL {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
        assert_eq!(Method::parse("sms"), None);
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
    }
}
