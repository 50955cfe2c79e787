//! How sure authd is of who a session's user is: the methods they proved
//! (`amr`, RFC 8176), the level those make (`acr`, named as NIST SP 800-63B's
//! authenticator assurance levels) and when they last proved one
//! (`auth_time`, OpenID Connect Core §2).
//!
//! A session's [`Assurance`] is set when it opens, by the code that verified
//! the factor (the password step, the second step, a passkey sign-in), and
//! kept on its row: a refresh carries it over unchanged, so no refresh can
//! raise it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::clock::span;
use crate::error::{Error, Result};

use crate::otp::Method;
use crate::words::stable_words;

stable_words! {
    /// An authentication method reference (RFC 8176 §2), as `amr` lists it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum AuthMethod {
        /// A password.
        Pwd = "pwd",
        /// A one-time code: mailed, texted, from an authenticator app, or a
        /// recovery code (a one-time secret from a printed list; RFC 8176
        /// has no value of its own for it).
        Otp = "otp",
        /// A code sent to the user's registered phone number, by SMS or
        /// WhatsApp: both are bound to the number and share its weaknesses.
        Sms = "sms",
        /// Proof of possession of a key held by an authenticator (a passkey).
        Hwk = "hwk",
        /// The authenticator verified the user (PIN or biometrics).
        User = "user",
        /// More than one factor.
        Mfa = "mfa",
    }
}

stable_words! {
    /// An authentication context class (`acr`), named as NIST SP 800-63B's
    /// authenticator assurance levels.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Acr {
        /// One factor: a password alone (or a trusted device's login).
        Aal1 = "aal1",
        /// Two factors: a password and a second one, or a passkey with user
        /// verification (possession plus the PIN or biometrics it checked).
        Aal2 = "aal2",
    }
}

/// The set of methods a user proved (`amr`), small enough to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Amr(u8);

impl Amr {
    /// No method known: sessions and tokens from before authd recorded them.
    pub const UNKNOWN: Amr = Amr(0);

    const fn bit(m: AuthMethod) -> u8 {
        1 << m as u8
    }

    pub const fn of(methods: &[AuthMethod]) -> Self {
        let (mut bits, mut i) = (0, 0);
        while i < methods.len() {
            bits |= Self::bit(methods[i]);
            i += 1;
        }
        Amr(bits)
    }

    /// A password alone.
    pub const fn password() -> Self {
        Self::of(&[AuthMethod::Pwd])
    }

    /// A password, then `method` as the second factor.
    pub fn two_factors(method: Method) -> Self {
        Self(Self::password().0 | Self::factor(method).0 | Self::bit(AuthMethod::Mfa))
    }

    /// A passkey with user verification, on its own: possession of the key
    /// and the PIN or biometrics the authenticator checked are two factors.
    pub fn passkey() -> Self {
        Self(Self::factor(Method::Passkey).0 | Self::bit(AuthMethod::Mfa))
    }

    /// What a user proved with a password (`password`), a factor
    /// (`factor`), or both: the one rule for every login and step-up. A
    /// factor alone is one factor, but for a passkey, which is two.
    pub fn proved(password: bool, factor: Option<Method>) -> Option<Self> {
        match (password, factor) {
            (true, Some(method)) => Some(Self::two_factors(method)),
            (true, None) => Some(Self::password()),
            (false, Some(Method::Passkey)) => Some(Self::passkey()),
            (false, Some(method)) => Some(Self::factor(method)),
            (false, None) => None,
        }
    }

    /// What answering with `method` proves.
    fn factor(method: Method) -> Self {
        match method {
            Method::Passkey => Self::of(&[AuthMethod::Hwk, AuthMethod::User]),
            Method::Totp | Method::RecoveryCode | Method::Email => Self::of(&[AuthMethod::Otp]),
            Method::Sms | Method::Whatsapp => Self::of(&[AuthMethod::Otp, AuthMethod::Sms]),
        }
    }

    pub fn contains(self, m: AuthMethod) -> bool {
        self.0 & Self::bit(m) != 0
    }

    /// The methods, in [`AuthMethod::ALL`]'s order.
    pub fn methods(self) -> impl Iterator<Item = AuthMethod> {
        AuthMethod::ALL.into_iter().filter(move |m| self.contains(*m))
    }

    /// The methods' words, as the `amr` claim lists them.
    pub fn words(self) -> Vec<&'static str> {
        self.methods().map(AuthMethod::as_str).collect()
    }

    /// The methods named by `words`; a word authd does not know is left
    /// out, which can only lower what the set claims.
    pub fn from_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        Self(words.into_iter().filter_map(AuthMethod::parse).fold(0, |bits, m| bits | Self::bit(m)))
    }

    /// The level these methods make: `aal2` only with more than one factor.
    pub fn acr(self) -> Acr {
        if self.contains(AuthMethod::Mfa) { Acr::Aal2 } else { Acr::Aal1 }
    }
}

/// How and when a session's user last proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assurance {
    pub amr: Amr,
    /// When the user last proved a factor (not when a token was refreshed).
    pub auth_time: DateTime<Utc>,
    /// The user must have a second factor ([`SecondFactorPolicy`]) and had
    /// none when the session opened: it may only enrol one
    /// ([`Caller::unrestricted`](crate::session::Caller::unrestricted)) until
    /// its user proves two factors.
    pub second_factor_due: bool,
}

impl Assurance {
    /// What a token or session from before authd recorded it is taken to
    /// say: no method, proved at the Unix epoch, so never recent enough.
    pub const UNKNOWN: Assurance =
        Assurance { amr: Amr::UNKNOWN, auth_time: DateTime::UNIX_EPOCH, second_factor_due: false };

    /// A user who proved `amr` at `now`, in a session that may do anything.
    pub fn proved(amr: Amr, now: DateTime<Utc>) -> Self {
        Self { amr, auth_time: now, second_factor_due: false }
    }

    /// This session's user proved `amr` again at `now` (a step-up): a
    /// session that may only enrol a second factor stays so until the
    /// proof is two factors, and no step-up makes a session due.
    pub fn renewed(self, amr: Amr, now: DateTime<Utc>) -> Self {
        let second_factor_due = self.second_factor_due && amr.acr() < Acr::Aal2;
        Self { amr, auth_time: now, second_factor_due }
    }

    pub fn acr(self) -> Acr {
        self.amr.acr()
    }

    /// Whether a sensitive change may go ahead at `now` (RFC 9470) for a
    /// user who has a second factor (`second_factor`): they proved who they
    /// are at most `max_age` ago, with two factors. For a user without one
    /// the password the change asks for is the proof, and this allows it.
    /// The refusal says what is missing.
    pub fn allows_sensitive(self, now: DateTime<Utc>, max_age: Duration, second_factor: bool) -> Result<()> {
        if !second_factor {
            return Ok(());
        }
        let too_old = now.signed_duration_since(self.auth_time) > span(max_age);
        let too_low = self.acr() < Acr::Aal2;
        if too_old || too_low {
            return Err(Error::ReauthenticationRequired { max_age: Some(max_age), two_factors: too_low });
        }
        Ok(())
    }
}

pub mod policy;
pub mod step_up;

pub use policy::SecondFactorPolicy;
pub use step_up::{Factor, StepUp};

#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod sensitive_tests;
#[cfg(test)]
mod tests;
