//! The real clock.

use chrono::{DateTime, Utc};

pub struct SystemClock;

impl domain::clock::Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
