//! Slowing down guessing: the per-account lockout ([`schedule`]), the
//! per-address limits ([`rate`]), and the service that counts both in the
//! database so every node counts together ([`guard`]).

pub mod guard;
pub mod rate;
pub mod schedule;
#[cfg(test)]
mod tests;

pub use guard::{Counted, Throttle};
pub use rate::{ClientAddress, RateLimits, RateScope, Window};
pub use schedule::{account_key, lock_after, user_key};
