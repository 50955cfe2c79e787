//! Authenticator apps (RFC 6238 TOTP): the shared secret and which time step
//! a code answers ([`secret`]), what storage keeps of an enrolment
//! ([`credential`]), and enrolling, removing and recovery codes
//! ([`enrolment`]). Answering a login with a code is in
//! [`otp::second_factor`](crate::otp::second_factor).

pub mod credential;
pub mod enrolment;
pub mod secret;

pub use credential::TotpCredential;
pub use enrolment::{Authenticator, Enrolment, SecondFactors};
pub use secret::TotpSecret;

#[cfg(test)]
mod tests;
