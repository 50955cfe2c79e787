//! Authenticator apps (RFC 6238 TOTP): the shared secret and which time step
//! a code answers ([`secret`]), and what storage keeps of an enrolment
//! ([`credential`]).

pub mod credential;
pub mod secret;

pub use credential::TotpCredential;
pub use secret::TotpSecret;
