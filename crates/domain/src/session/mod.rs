//! Sessions: a refresh-token family per login ([`family`]), and how one is
//! opened, checked, rotated and revoked ([`lifecycle`]).

pub mod family;
pub mod lifecycle;

pub use family::{Caller, Session};
pub use lifecycle::{MAX_LISTED_SESSIONS, SessionKeys, Sessions};

#[cfg(test)]
mod browser_tests;
#[cfg(test)]
mod tests;
