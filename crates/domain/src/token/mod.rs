//! Tokens: the four kinds and what each claims ([`claims`]), and the
//! service that signs and checks them ([`issuer`]).

pub mod claims;
pub mod issuer;

pub use claims::{BrowserToken, Claims, TokenKind, TokenPair};
pub use issuer::Tokens;

/// Shortest HS256 secret accepted (`AUTHD_JWT_SECRET`): 256 bits, the key
/// size of HS256 (RFC 7518 §3.2).
pub const MIN_SECRET_BYTES: usize = 32;

/// The prefix of the audiences of authd's own token kinds (refresh,
/// temporary, browser); only access tokens take the configured audience.
pub const OWN_AUDIENCE_PREFIX: &str = "urn:authd:";

/// Whether `audience` may not be the access tokens' audience: it names (or
/// could one day name) a token kind of authd's own.
pub fn reserved_audience(audience: &str) -> bool {
    audience.to_ascii_lowercase().starts_with(OWN_AUDIENCE_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_under_urn_authd_are_reserved_for_authds_own_token_kinds_in_any_case() {
        for own in ["urn:authd:refresh", "urn:authd:temporary", "URN:AUTHD:browser", "urn:authd:"] {
            assert!(reserved_audience(own), "{own}");
        }
        for other in ["authd", "https://api.example.com", "urn:authdx:refresh", "urn:example:authd:refresh"] {
            assert!(!reserved_audience(other), "{other}");
        }
    }
}
