//! One-time codes and the second-factor step of a login: the code
//! ([`code`]), the challenge it answers and its limits ([`challenge`]), and
//! issuing, checking and resending ([`second_factor`]).

pub mod challenge;
pub mod code;
pub mod second_factor;

pub use challenge::{MAX_ATTEMPTS, MAX_RESENDS, Method, OtpChallenge};
pub use code::OtpCode;
pub use second_factor::{Pending, SecondFactor, Verified};
