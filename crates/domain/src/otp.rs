//! One-time codes sent by mail (and later SMS): how they are made and the
//! limits a challenge lives under. The limits are enforced atomically by the
//! [`OtpRepo`](crate::ports::OtpRepo) statements that receive them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::ports::Rng;
use crate::user::UserId;

/// Wrong codes a challenge survives; the fifth wrong one kills it.
pub const MAX_ATTEMPTS: u32 = 5;
/// New codes that may be sent for one challenge after the first.
pub const MAX_RESENDS: u32 = 3;

/// A second factor a user can prove. The login answer lists those a user has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Email,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Email => "email",
        }
    }
}

/// Six decimal digits.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

impl std::fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpCode(******)")
    }
}

impl OtpCode {
    pub const DIGITS: usize = 6;

    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        if s.len() != Self::DIGITS || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidField { field: "otp", reason: "must be 6 digits".into() });
        }
        Ok(Self(s.to_owned()))
    }

    /// A uniformly random code. Rejection sampling keeps every code equally
    /// likely (a plain `% 1_000_000` would favour the low ones).
    pub fn generate(rng: &dyn Rng) -> Self {
        const LIMIT: u32 = u32::MAX - (u32::MAX % 1_000_000);
        loop {
            let mut b = [0u8; 4];
            rng.fill(&mut b);
            let n = u32::from_le_bytes(b);
            if n < LIMIT {
                return Self(format!("{:06}", n % 1_000_000));
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
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
}

impl OtpChallenge {
    /// Why this challenge can no longer be answered at `now`, if it cannot.
    pub fn closed_reason(&self, now: DateTime<Utc>) -> Option<Error> {
        if self.used_at.is_some() {
            Some(Error::OtpUsed)
        } else if self.attempts >= MAX_ATTEMPTS {
            Some(Error::OtpLocked)
        } else if now >= self.expires_at {
            Some(Error::OtpExpired)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::SeqRng;

    #[test]
    fn otp_code_is_six_digits_from_the_rng() {
        let rng = SeqRng::new(vec![0x40, 0xE2, 0x01, 0x00]); // 123456 little-endian
        assert_eq!(OtpCode::generate(&rng).as_str(), "123456");
        let rng = SeqRng::new(vec![7, 0, 0, 0]);
        assert_eq!(OtpCode::generate(&rng).as_str(), "000007");
    }

    #[test]
    fn otp_generation_rejects_the_biased_top_of_the_range() {
        // u32::MAX is in the biased tail; the generator must draw again.
        let rng = SeqRng::new(vec![0xFF, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0]);
        assert_eq!(OtpCode::generate(&rng).as_str(), "000001");
    }

    #[test]
    fn otp_code_must_be_exactly_six_digits() {
        for bad in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert!(OtpCode::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(OtpCode::parse(" 012345 ").unwrap().as_str(), "012345");
    }

    #[test]
    fn otp_code_is_never_printed() {
        assert!(!format!("{:?}", OtpCode::parse("123456").unwrap()).contains("123456"));
    }
}
