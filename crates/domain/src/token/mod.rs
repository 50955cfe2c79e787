//! Tokens: the three kinds and what each claims ([`claims`]), and the
//! service that signs and checks them ([`issuer`]).

pub mod claims;
pub mod issuer;

pub use claims::{Claims, TokenKind, TokenPair};
pub use issuer::Tokens;
