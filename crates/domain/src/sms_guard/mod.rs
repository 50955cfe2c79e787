//! The guard in front of every texted code (SMS and WhatsApp cost money):
//! which numbers a code may go to at all ([`numbers`]: the countries an
//! operator allows, and no premium-rate, shared-cost, satellite or
//! international-network number unless allowed). Asked by
//! [`SentCodes`](crate::otp::sent_codes::SentCodes) before a message is
//! queued, so a refused number costs nothing and stores nothing.

pub mod blocks;
pub mod guard;
pub mod numbers;
pub mod prefix;

pub use blocks::PrefixBlocks;
pub use guard::SmsGuard;
pub use numbers::{Admitted, NumberRules, parse_countries};
pub use prefix::PrefixRules;

#[cfg(test)]
mod tests;
