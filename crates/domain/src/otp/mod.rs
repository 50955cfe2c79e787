//! One-time codes and the second-factor step of a login: the code
//! ([`code`]), the challenge it answers and its limits ([`challenge`]),
//! sending, checking and resending codes ([`sent_codes`], shared with phone
//! verification), the login's second step ([`second_factor`]), the check of
//! one answer it shares with a step-up ([`answer`]) and what it writes at
//! once when the answer was right ([`finish`]).

pub mod answer;
pub mod challenge;
pub mod code;
pub mod destination;
pub mod finish;
pub mod link;
pub mod login_challenge;
pub mod mailed_links;
pub mod second_factor;
pub mod sent_codes;
#[cfg(test)]
mod tests;

pub use challenge::{Capped, CodeRules, MAX_ATTEMPTS, MAX_RESENDS, Method, OtpChallenge, Purpose};
pub use code::OtpCode;
pub use finish::{Finished, FinishedLogin};
pub use link::LinkToken;
pub use second_factor::{Pending, Remember, SecondFactor, Verified};
pub use sent_codes::{CodeStatus, SentCodes};
