//! The token of a mailed link (an email proof, a password reset): 128 bits
//! from the CSPRNG as 32 hex digits, shown only in the mail and stored only
//! as a keyed hash ([`KeyedHasher::hash_link`](crate::ports::KeyedHasher::hash_link)),
//! by which storage finds its challenge. The short code mailed beside it is
//! the challenge's code ([`CodeRules::BESIDE_LINK`](super::CodeRules::BESIDE_LINK)).

/// A link's token: 128 random bits. Never printed.
pub type LinkToken = crate::random_token::RandomToken<16>;

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
