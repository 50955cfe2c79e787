//! The TOTP shared secret and the one parameter set authd uses: SHA-1, six
//! digits, 30-second steps, one step of skew either way (RFC 6238 §5.2), as
//! every authenticator app understands. totp-rs does the arithmetic; this
//! file decides the parameters and never lets the secret be printed.

use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::error::{Error, Result};
use crate::rng::Rng;

/// Seconds per time step.
pub const STEP_SECONDS: u64 = 30;
/// Steps either side of now that are still accepted, for clock drift.
pub const SKEW_STEPS: u16 = 1;
pub const DIGITS: u8 = 6;
/// RFC 3986: everything but the unreserved characters is percent-encoded.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The issuer authenticator apps show next to the account.
pub const ISSUER: &str = "authd";

/// A user's TOTP secret: 160 random bits (RFC 4226 §4 recommends 160).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(******)")
    }
}

impl TotpSecret {
    pub const BYTES: usize = 20;

    pub fn generate(rng: &dyn Rng) -> Self {
        let mut b = vec![0u8; Self::BYTES];
        rng.fill(&mut b);
        Self(b)
    }

    /// A secret as storage returns it (after decryption); at least 128 bits.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < 16 {
            return Err(Error::internal(format!("a stored TOTP secret has only {} bytes", bytes.len())));
        }
        Ok(Self(bytes))
    }

    /// A secret as people type it: base32, any case, padding optional.
    pub fn from_base32(text: &str) -> Result<Self> {
        let bytes = Secret::try_from_base32(text.trim().to_ascii_uppercase())
            .map_err(|_| Error::InvalidField { field: "secret", reason: "is not base32".into() })?;
        Self::from_bytes(bytes.to_vec())
            .map_err(|_| Error::InvalidField { field: "secret", reason: "is shorter than 128 bits".into() })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The RFC 4648 base32 form (no padding) that people type into an app.
    pub fn base32(&self) -> String {
        Secret::from(self.0.clone()).to_base32()
    }

    /// The Key URI an authenticator app reads (from a QR code or a link),
    /// spelling out every parameter rather than relying on app defaults.
    pub fn otpauth_url(&self, account: &str) -> String {
        format!(
            "otpauth://totp/{ISSUER}:{}?secret={}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            utf8_percent_encode(account, NOT_UNRESERVED),
            self.base32()
        )
    }

    fn totp(&self) -> Totp {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(SKEW_STEPS)
            .with_step_duration(STEP_SECONDS)
            .with_secret(self.0.clone())
            .build()
            .expect("a secret of at least 128 bits with RFC 6238 parameters always builds")
    }

    /// The time step `code` answers at `at`, if any: the current step or one
    /// either side. Comparison is constant-time (totp-rs). Whether that step
    /// was already used is for storage to decide, once per user.
    /// Anything but six ASCII digits (after trimming) matches nothing.
    pub fn matching_step(&self, code: &str, at: DateTime<Utc>) -> Option<u64> {
        self.totp().check(code.trim(), unix_seconds(at))
    }

    /// The code an authenticator app shows at `at`.
    pub fn code_at(&self, at: DateTime<Utc>) -> String {
        self.totp().generate(unix_seconds(at)).to_string()
    }
}

fn unix_seconds(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    fn at(unix: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(unix, 0).unwrap()
    }

    /// RFC 6238 appendix B, SHA-1. The vectors have 8 digits; a 6-digit code
    /// is the same truncated value mod 10^6, i.e. the last six digits.
    #[test]
    fn codes_match_the_rfc_6238_appendix_b_sha1_vectors() {
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(rfc_secret().code_at(at(time)), eight[2..], "T = {time}");
            assert_eq!(rfc_secret().matching_step(&eight[2..], at(time)), Some(time as u64 / 30), "T = {time}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let s = rfc_secret();
        let code = s.code_at(at(1_234_567_890));
        let step = 1_234_567_890 / 30;
        assert_eq!(s.matching_step(&code, at(1_234_567_890 - 30)), Some(step), "one step early");
        assert_eq!(s.matching_step(&code, at(1_234_567_890 + 30)), Some(step), "one step late");
        assert_eq!(s.matching_step(&code, at(1_234_567_890 - 60)), None, "two steps early");
        assert_eq!(s.matching_step(&code, at(1_234_567_890 + 60)), None, "two steps late");
    }

    #[test]
    fn malformed_codes_match_nothing() {
        let s = rfc_secret();
        let t = at(59);
        for bad in ["", "28708", "2870822", "2870a2", "+28708", "２８７０８２"] {
            assert_eq!(s.matching_step(bad, t), None, "{bad:?}");
        }
        assert_eq!(s.matching_step(" 287082 ", t), Some(1), "surrounding spaces are forgiven");
    }

    #[test]
    fn the_otpauth_url_spells_out_every_parameter() {
        assert_eq!(
            rfc_secret().otpauth_url("ada+2fa@example.com"),
            "otpauth://totp/authd:ada%2B2fa%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=authd&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn the_secret_is_never_printed_and_reads_as_base32() {
        let s = rfc_secret();
        assert_eq!(s.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(TotpSecret::from_base32(" gezdgnbvgy3tqojqgezdgnbvgy3tqojq ").unwrap(), s);
        assert!(TotpSecret::from_base32("not base32!").is_err());
        assert_eq!(format!("{s:?}"), "TotpSecret(******)");
        assert!(TotpSecret::from_bytes(vec![1; 15]).is_err(), "fewer than 128 bits");
        assert_eq!(TotpSecret::from_bytes(vec![1; 16]).unwrap().as_bytes(), [1; 16], "128 bits will do");
    }
}
