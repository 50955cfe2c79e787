//! The verification API: an application asks authd to send a code to one of
//! its users and to check it. Every code is a challenge of the application
//! and follows the rules of every sent code ([`SentCodes`](crate::otp::SentCodes)):
//! CSPRNG, keyed hash, single use, the app's tries and lifetime, resends
//! within the cooldown. What a verification shows is in [`status`], the use
//! cases and the abuse limits in [`service`].

pub mod service;
pub mod status;

pub use service::Verifications;
pub use status::{Verification, VerificationStatus};

#[cfg(test)]
mod tests;
