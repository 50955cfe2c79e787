//! Time, as the domain sees it: a port for "now", and the one way to add a
//! lifetime to an instant.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The current time. Injected, so every expiry rule is testable to the second.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// `d` as a chrono span, saturating at the longest one chrono has.
pub fn span(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// The instant `ttl` after `now`, saturating at the end of time rather than
/// panicking: a lifetime can never wrap round to the past.
pub fn after(now: DateTime<Utc>, ttl: Duration) -> DateTime<Utc> {
    now.checked_add_signed(span(ttl)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Whole seconds from `now` to `until`, rounded up and at least 1: a
/// Retry-After that never invites an early retry.
pub fn retry_after(now: DateTime<Utc>, until: DateTime<Utc>) -> Duration {
    let wait = (until - now).to_std().unwrap_or_default();
    Duration::from_secs((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_lifetime_too_long_to_represent_ends_at_the_end_of_time() {
        assert_eq!(after(t0(), Duration::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(after(t0(), Duration::from_secs(90)), t0() + chrono::Duration::seconds(90));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_is_never_zero() {
        let ms = chrono::Duration::milliseconds;
        assert_eq!(retry_after(t0(), t0() + ms(1500)), Duration::from_secs(2));
        assert_eq!(retry_after(t0(), t0() + ms(2000)), Duration::from_secs(2));
        assert_eq!(retry_after(t0(), t0() - ms(10)), Duration::from_secs(1));
    }
}
