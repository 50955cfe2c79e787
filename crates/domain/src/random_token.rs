//! A random token shown once and stored only as a keyed hash: `N` bytes
//! from the CSPRNG, written as `2N` lower-case hex digits. Never printed.
//! A mailed link's token ([`LinkToken`](crate::otp::LinkToken)) and a
//! trusted device's ([`DeviceToken`](crate::trusted_device::DeviceToken))
//! are two sizes of it.

use secrecy::{ExposeSecret, SecretString};

use crate::rng::Rng;

pub struct RandomToken<const N: usize>(SecretString);

impl<const N: usize> std::fmt::Debug for RandomToken<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RandomToken(…)")
    }
}

impl<const N: usize> RandomToken<N> {
    /// Random bits in a token.
    pub const BITS: usize = N * 8;

    pub fn generate(rng: &dyn Rng) -> Self {
        let mut b = [0u8; N];
        rng.fill(&mut b);
        Self(SecretString::from(b.iter().map(|x| format!("{x:02x}")).collect::<String>()))
    }

    /// A presented token, if it has a token's shape; anything else cannot be
    /// one, and is refused without a lookup.
    pub fn parse(raw: &str) -> Option<Self> {
        let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        (raw.len() == N * 2 && raw.bytes().all(hex)).then(|| Self(SecretString::from(raw)))
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
    fn a_token_prints_as_its_type_alone() {
        let t = RandomToken::<4>::generate(&SeqRng::new(vec![0xef; 4]));
        assert_eq!((t.expose(), format!("{t:?}").as_str()), ("efefefef", "RandomToken(…)"));
    }
}
