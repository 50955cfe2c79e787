//! The operating system's random source.

pub struct OsRng;

impl domain::rng::Rng for OsRng {
    fn fill(&self, buf: &mut [u8]) {
        // The kernel's CSPRNG failing is not something to limp on from.
        getrandom::fill(buf).expect("the OS random source failed");
    }
}
