//! The per-account lockout schedule: consecutive failed passwords and
//! one-time codes. The first five are free; each further one locks the
//! account for 15 s, doubling up to 15 min (Keycloak's "wait increment"
//! schedule); the 100th locks it until an administrator reactivates it (NIST
//! SP 800-63B §5.2.2 allows no more than 100 consecutive failures). A
//! complete login resets it. Unknown login names are counted the same way,
//! so a lock reveals nothing.

use std::time::Duration;

use crate::user::{LoginName, UserId};

/// Failures that cost nothing.
pub const FREE_FAILURES: u32 = 5;
/// Consecutive failures after which only an administrator can unlock.
pub const HARD_LOCK_AT: u32 = 100;
const FIRST_LOCK: Duration = Duration::from_secs(15);
const LONGEST_LOCK: Duration = Duration::from_secs(15 * 60);
/// Stands for "until an administrator unlocks": long enough to never expire.
pub const UNTIL_UNLOCKED: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// How long an account is locked after its `failures`-th consecutive failure.
pub fn lock_after(failures: u32) -> Option<Duration> {
    if failures >= HARD_LOCK_AT {
        return Some(UNTIL_UNLOCKED);
    }
    let over = failures.checked_sub(FREE_FAILURES + 1)?;
    let doubled = FIRST_LOCK.saturating_mul(1u32.checked_shl(over).unwrap_or(u32::MAX));
    Some(doubled.min(LONGEST_LOCK))
}

/// The throttle key of a known account.
pub fn user_key(user: UserId) -> String {
    account_key(Some(user), None, "")
}

/// The throttle key of an account: its id when it exists, else the name tried.
pub fn account_key(user: Option<UserId>, login: Option<&LoginName>, raw: &str) -> String {
    match (user, login) {
        (Some(id), _) => format!("acct:{id}"),
        (None, Some(LoginName::Email(e))) => format!("name:{}", e.as_str()),
        (None, Some(LoginName::Username(u))) => format!("name:{}", u.as_str()),
        // Unparseable names can never log in; bound the key's length anyway.
        (None, None) => format!("name:{}", raw.chars().take(64).collect::<String>().to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_schedule_starts_after_five_failures_doubles_and_caps_at_fifteen_minutes() {
        let secs = |n| lock_after(n).map(|d| d.as_secs());
        assert_eq!((1..=5).map(secs).collect::<Vec<_>>(), [None; 5]);
        assert_eq!((6..=13).map(secs).collect::<Vec<_>>(), [15, 30, 60, 120, 240, 480, 900, 900].map(Some));
        assert_eq!(secs(99), Some(900));
    }

    #[test]
    fn the_hundredth_consecutive_failure_locks_until_an_admin_unlocks() {
        assert_eq!(lock_after(100), Some(UNTIL_UNLOCKED));
        assert_eq!(lock_after(u32::MAX), Some(UNTIL_UNLOCKED));
    }

    #[test]
    fn a_lock_until_unlocked_outlasts_any_deployment() {
        assert!(UNTIL_UNLOCKED >= Duration::from_secs(50 * 365 * 24 * 3600));
    }

    #[test]
    fn unknown_names_and_accounts_get_distinct_keys() {
        let id = UserId(uuid::Uuid::nil());
        assert_eq!(account_key(Some(id), None, "x"), format!("acct:{id}"));
        let name = LoginName::parse("Ada@Example.com");
        assert_eq!(account_key(None, name.as_ref(), "Ada@Example.com"), "name:ada@example.com");
    }
}
