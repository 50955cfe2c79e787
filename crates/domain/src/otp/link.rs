//! The token of a mailed link (an email proof, a password reset): 128 bits
//! from the CSPRNG as 32 hex digits, shown only in the mail and stored only
//! as a keyed hash ([`KeyedHasher::hash_link`](crate::ports::KeyedHasher::hash_link)),
//! by which storage finds its challenge. The short code mailed beside it is
//! the challenge's code ([`CodeRules::BESIDE_LINK`](super::CodeRules::BESIDE_LINK)).

use secrecy::{ExposeSecret, SecretString};

use crate::rng::Rng;

const RANDOM_BYTES: usize = 16;

/// A link's token. Never printed.
pub struct LinkToken(SecretString);

impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkToken(…)")
    }
}

impl LinkToken {
    /// Random bits in a token.
    pub const BITS: usize = RANDOM_BYTES * 8;

    pub fn generate(rng: &dyn Rng) -> Self {
        let mut b = [0u8; RANDOM_BYTES];
        rng.fill(&mut b);
        Self(SecretString::from(b.iter().map(|x| format!("{x:02x}")).collect::<String>()))
    }

    /// A presented token, if it has a token's shape; anything else cannot be
    /// one, and is refused without a lookup.
    pub fn parse(raw: &str) -> Option<Self> {
        let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        (raw.len() == RANDOM_BYTES * 2 && raw.bytes().all(hex)).then(|| Self(SecretString::from(raw)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::doubles::SeqRng;

    #[test]
    fn a_link_token_holds_128_random_bits_and_only_its_shape_is_read() {
        const { assert!(LinkToken::BITS >= 128) };
        let t = LinkToken::generate(&SeqRng::new(vec![0xab; 16]));
        assert_eq!(t.expose(), "ab".repeat(16));
        assert_eq!(LinkToken::parse(t.expose()).map(|p| p.expose().to_owned()), Some("ab".repeat(16)));
        for bad in ["", "ab", &"ab".repeat(17), &"AB".repeat(16), &"zz".repeat(16), &format!("{} ", "ab".repeat(16))] {
            assert!(LinkToken::parse(bad).is_none(), "{bad:?}");
        }
        assert!(!format!("{t:?}").contains("abab"), "never printed");
    }
}
