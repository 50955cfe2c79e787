//! Slowing down guessing: the per-account lockout ([`schedule`]), the
//! per-address limits ([`rate`]), and the service that counts both in the
//! database so every node counts together ([`guard`]).

pub mod guard;
pub mod rate;
pub mod schedule;

pub use guard::Throttle;
pub use rate::{RateLimits, RateScope, Window};
pub use schedule::{account_key, lock_after, user_key};
