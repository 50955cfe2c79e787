//! The real clock and the operating system's random source.

use chrono::{DateTime, Utc};

pub struct SystemClock;

impl domain::ports::Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

pub struct OsRng;

impl domain::ports::Rng for OsRng {
    fn fill(&self, buf: &mut [u8]) {
        // The kernel's CSPRNG failing is not something to limp on from.
        getrandom::fill(buf).expect("the OS random source failed");
    }
}
