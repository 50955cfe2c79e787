//! One-time codes: six digits from a CSPRNG, never printed.

use crate::error::{Error, Result};
use crate::rng::Rng;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::doubles::SeqRng;

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
