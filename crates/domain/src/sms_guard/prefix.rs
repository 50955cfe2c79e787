//! Destination prefixes and the guard's decisions on them. A prefix is a
//! number's country calling code and the first digits of its national
//! number (`+237 6712…` → `+2376712` with four digits): the unit SMS
//! pumping works in, since a pumped range is a block of numbers one
//! carrier (or one fraudster) terminates.
//!
//! Two rules, both counted over one window per prefix across every user,
//! application and node:
//! - **velocity**: at most [`PrefixRules::sends_per_window`] codes to one
//!   prefix per window;
//! - **conversion**: once the window holds at least
//!   [`PrefixRules::volume_floor`] sends, a prefix whose codes were checked
//!   correctly less than [`PrefixRules::min_conversion_percent`] of the time
//!   is blocked, for [`PrefixRules::block_base`] doubled for each earlier
//!   block, never longer than [`PrefixRules::block_max`]. Legitimate traffic
//!   converts well above half (people ask for a code because they want to
//!   type it); pumped traffic converts near zero, since nobody reads the
//!   messages.

use std::time::Duration;

/// The operator's settings for prefixes (`AUTHD_SMS_PREFIX_*`, `AUTHD_SMS_GUARD_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixRules {
    /// National digits after the calling code that make a prefix.
    pub national_digits: usize,
    /// Sends to one prefix per window; 0: no velocity limit.
    pub sends_per_window: u32,
    /// Texted codes of the whole deployment per window, every prefix
    /// together: the last fuse against a bill; 0: no cap.
    pub sends_in_all: u32,
    /// The window the rules count over.
    pub window: Duration,
    /// Sends in a window before conversion is judged; 0: never judged.
    pub volume_floor: u32,
    /// The share of codes checked correctly below which a prefix is blocked.
    pub min_conversion_percent: u32,
    /// The first block's length; each further block of the prefix doubles it.
    pub block_base: Duration,
    pub block_max: Duration,
}

impl Default for PrefixRules {
    /// See docs/security.md for why these numbers.
    fn default() -> Self {
        Self {
            national_digits: 4,
            sends_per_window: 200,
            sends_in_all: 10_000,
            window: Duration::from_secs(3600),
            volume_floor: 30,
            min_conversion_percent: 20,
            block_base: Duration::from_secs(15 * 60),
            block_max: Duration::from_secs(24 * 3600),
        }
    }
}

impl PrefixRules {
    /// The prefix of an E.164 number: `+`, its calling code, and the first
    /// [`national_digits`](Self::national_digits) of its national number.
    pub fn prefix_of(&self, number: &str) -> Option<String> {
        let parsed = phonenumber::parse(None, number).ok()?;
        self.prefix_in(number, parsed.country().code())
    }

    /// [`prefix_of`](Self::prefix_of) for a number whose calling code is
    /// already known (read once, by the number rules).
    pub fn prefix_in(&self, number: &str, calling_code: u16) -> Option<String> {
        let code = calling_code.to_string();
        let digits = number.strip_prefix('+')?;
        let national = digits.strip_prefix(code.as_str())?;
        if !national.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let take = self.national_digits.min(national.len());
        Some(format!("+{code}{}", &national[..take]))
    }

    /// Whether a window with `sends` codes of which `verified` were checked
    /// correctly is low enough to block its prefix.
    pub fn should_block(&self, sends: u32, verified: u32) -> bool {
        self.volume_floor > 0
            && sends >= self.volume_floor
            && u64::from(verified) * 100 < u64::from(sends) * u64::from(self.min_conversion_percent)
    }

    /// How long a block lasts after `earlier` blocks of the same prefix.
    pub fn block_for(&self, earlier: u32) -> Duration {
        let doubled = self.block_base.saturating_mul(1u32.checked_shl(earlier.min(31)).unwrap_or(u32::MAX));
        doubled.min(self.block_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_is_the_calling_code_and_the_first_national_digits() {
        let rules = PrefixRules::default();
        assert_eq!(rules.prefix_of("+237671234567").as_deref(), Some("+2376712"));
        assert_eq!(rules.prefix_of("+14155550100").as_deref(), Some("+14155"));
        assert_eq!(rules.prefix_of("+390612345678").as_deref(), Some("+390612"), "Italy keeps its leading 0");
        assert_eq!(rules.prefix_of("+881612345678").as_deref(), Some("+8816123"));
        let two = PrefixRules { national_digits: 2, ..PrefixRules::default() };
        assert_eq!(two.prefix_of("+4915112345678").as_deref(), Some("+4915"));
        assert_eq!(rules.prefix_of("not a number"), None);
    }

    #[test]
    fn conversion_is_judged_from_the_volume_floor_and_blocks_below_the_threshold_alone() {
        let rules = PrefixRules { volume_floor: 30, min_conversion_percent: 20, ..PrefixRules::default() };
        assert!(!rules.should_block(29, 0), "below the floor: not judged");
        assert!(rules.should_block(30, 0) && rules.should_block(30, 5), "5 of 30 is 16.7 %");
        assert!(!rules.should_block(30, 6), "6 of 30 is exactly 20 %: not below");
        assert!(rules.should_block(100, 19) && !rules.should_block(100, 20));
        let off = PrefixRules { volume_floor: 0, ..rules };
        assert!(!off.should_block(10_000, 0), "a floor of 0 turns the rule off");
    }

    #[test]
    fn a_block_doubles_on_each_repeat_up_to_the_maximum() {
        let rules = PrefixRules::default();
        let minutes = |n: u32| rules.block_for(n).as_secs() / 60;
        assert_eq!((minutes(0), minutes(1), minutes(2), minutes(3)), (15, 30, 60, 120));
        assert_eq!(minutes(6), 16 * 60, "15 min × 64");
        assert_eq!(minutes(7), 24 * 60, "capped at 24 h");
        assert_eq!(rules.block_for(40), Duration::from_secs(24 * 3600), "no overflow");
    }
}
