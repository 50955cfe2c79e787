//! Tokens: the four kinds and what each claims ([`claims`]), and the
//! service that signs and checks them ([`issuer`]).

pub mod claims;
pub mod issuer;

pub use claims::{BrowserToken, Claims, TokenKind, TokenPair};
pub use issuer::Tokens;
