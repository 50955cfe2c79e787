//! One-time codes: decimal digits from a CSPRNG (six for logins and phones,
//! 4 to 10 as an application sets), never printed.

use crate::error::{Error, Result};
use crate::rng::Rng;

/// Decimal digits: six, unless an application asked for another length.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

impl std::fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpCode(******)")
    }
}

impl OtpCode {
    pub const DIGITS: usize = 6;

    /// Longest code an application may ask for.
    pub const MAX_DIGITS: u32 = 10;

    /// A six-digit code, as the field `otp` carries it.
    pub fn parse(raw: &str) -> Result<Self> {
        Self::parse_digits(raw, Self::DIGITS as u32, "otp")
    }

    /// A code of exactly `digits` digits; `field` names the request field
    /// in the refusal.
    pub fn parse_digits(raw: &str, digits: u32, field: &'static str) -> Result<Self> {
        let s = raw.trim();
        if s.len() != digits as usize || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidField { field, reason: format!("must be {digits} digits") });
        }
        Ok(Self(s.to_owned()))
    }

    /// A uniformly random six-digit code.
    pub fn generate(rng: &dyn Rng) -> Self {
        Self::generate_digits(rng, Self::DIGITS as u32)
    }

    /// A uniformly random code of `digits` digits (1 to 10). Rejection
    /// sampling keeps every code equally likely (a plain `% 1_000_000` would
    /// favour the low ones); codes of up to nine digits draw 32 bits at a
    /// time, ten-digit ones 64.
    pub fn generate_digits(rng: &dyn Rng, digits: u32) -> Self {
        let digits = digits.clamp(1, Self::MAX_DIGITS);
        let modulus = 10u64.pow(digits);
        // `>` and `>=` agree here (cargo-mutants' one survivor in this file):
        // no power of ten equals u32::MAX, so the bound is never met exactly.
        let wide = modulus > u64::from(u32::MAX);
        let space = if wide { u64::MAX } else { u64::from(u32::MAX) };
        let limit = space - (space % modulus);
        loop {
            let n = if wide {
                let mut b = [0u8; 8];
                rng.fill(&mut b);
                u64::from_le_bytes(b)
            } else {
                let mut b = [0u8; 4];
                rng.fill(&mut b);
                u64::from(u32::from_le_bytes(b))
            };
            if n < limit {
                return Self(format!("{:0width$}", n % modulus, width = digits as usize));
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
    fn a_code_has_the_digits_asked_for_uniformly_from_the_rng() {
        let rng = SeqRng::new(vec![0x40, 0xE2, 0x01, 0x00]); // 123456
        assert_eq!(OtpCode::generate_digits(&rng, 4).as_str(), "3456");
        let rng = SeqRng::new(vec![0xD2, 0x02, 0x96, 0x49]); // 1234567890
        assert_eq!(OtpCode::generate_digits(&rng, 9).as_str(), "234567890");
        let rng = SeqRng::new(vec![0xD2, 0x02, 0x96, 0x49, 0, 0, 0, 0]);
        assert_eq!(OtpCode::generate_digits(&rng, 10).as_str(), "1234567890", "ten digits draw 64 bits");
        let rng = SeqRng::new(vec![7, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(OtpCode::generate_digits(&rng, 10).as_str(), "0000000007", "leading zeros kept");
        // The biased tail of 64 bits is drawn again.
        let rng = SeqRng::new(vec![0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 3, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(OtpCode::generate_digits(&rng, 10).as_str(), "0000000003");
        let rng = SeqRng::new(vec![0xFF, 0xFF, 0xFF, 0xFF, 5, 0, 0, 0]);
        assert_eq!(OtpCode::generate_digits(&rng, 8).as_str(), "00000005", "and of 32 bits");
        // The biased tail starts exactly at the last whole multiple of 10^digits.
        let rng = SeqRng::new(vec![128, 61, 241, 255, 1, 0, 0, 0]); // 4 294 000 000
        assert_eq!(OtpCode::generate_digits(&rng, 6).as_str(), "000001");
        let tail = 18_446_744_070_000_000_000u64.to_le_bytes();
        let rng = SeqRng::new([tail.as_slice(), &[3, 0, 0, 0, 0, 0, 0, 0]].concat());
        assert_eq!(OtpCode::generate_digits(&rng, 10).as_str(), "0000000003");
        let kept = (18_446_744_070_000_000_000u64 - 1).to_le_bytes();
        assert_eq!(OtpCode::generate_digits(&SeqRng::new(kept.to_vec()), 10).as_str(), "9999999999");
    }

    #[test]
    fn a_code_of_another_length_than_asked_for_is_refused_naming_the_field() {
        assert_eq!(OtpCode::parse_digits(" 1234 ", 4, "code").unwrap().as_str(), "1234");
        for bad in ["123", "12345", "12a4", ""] {
            match OtpCode::parse_digits(bad, 4, "code") {
                Err(Error::InvalidField { field, reason }) => {
                    assert_eq!((field, reason.as_str()), ("code", "must be 4 digits"))
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn otp_code_is_never_printed() {
        assert_eq!(format!("{:?}", OtpCode::parse("123456").unwrap()), "OtpCode(******)");
    }
}
