//! The SMS guard: which numbers texted codes (SMS and WhatsApp) may go to.

use domain::sms_guard::{PrefixRules, parse_countries};

use super::section::section;

section! {
    /// Settings of the guard in front of texted codes.
    pub struct SmsGuard {
        /// `AUTHD_SMS_COUNTRIES`: the countries texted codes may go to, ISO
        /// 3166 alpha-2 codes separated by commas (`DE,FR,US`); empty: every
        /// country. A number's country comes from libphonenumber's metadata.
        pub sms_countries: String = String::new(),
        /// `AUTHD_SMS_COSTLY_NUMBERS`: also text premium-rate, shared-cost and
        /// non-geographic numbers (+881 satellite, +882/+883 international
        /// networks, …), which SMS pumping lives on; off by default.
        pub sms_costly_numbers: bool = false,
        /// `AUTHD_SMS_PREFIX_DIGITS`: national digits after the calling code
        /// that make a destination prefix (`+237 6712…` with 4), 1 to 8.
        pub sms_prefix_digits: u32 = PrefixRules::default().national_digits as u32,
        /// `AUTHD_SMS_PREFIX_MAX_PER_HOUR`: texted codes to one prefix per hour,
        /// across every user, application and node (0: no limit).
        pub sms_prefix_max_per_hour: u32 = PrefixRules::default().sends_per_window,
        /// `AUTHD_SMS_MAX_PER_HOUR`: texted codes of the whole deployment per
        /// hour, every node together; past it they pause (503
        /// `sending_paused`) until the hour ends (0: no cap).
        pub sms_max_per_hour: u32 = PrefixRules::default().sends_in_all,
        /// `AUTHD_SMS_GUARD_MIN_SENDS`: codes to a prefix in an hour before its
        /// conversion is judged (0: never judged, no prefix is blocked).
        pub sms_guard_min_sends: u32 = PrefixRules::default().volume_floor,
        /// `AUTHD_SMS_GUARD_MIN_CONVERSION_PERCENT`: the share of a prefix's codes
        /// checked correctly below which it is blocked, 0 to 100.
        pub sms_guard_min_conversion_percent: u32 = PrefixRules::default().min_conversion_percent,
        /// `AUTHD_SMS_GUARD_BLOCK_MINUTES`: a prefix's first block; each further
        /// block doubles it.
        pub sms_guard_block_minutes: u64 = PrefixRules::default().block_base.as_secs() / 60,
        /// `AUTHD_SMS_GUARD_MAX_BLOCK_HOURS`: the longest block.
        pub sms_guard_max_block_hours: u64 = PrefixRules::default().block_max.as_secs() / 3600,
    }
}

impl SmsGuard {
    pub(super) fn problems(&self, problems: &mut Vec<String>) {
        if let Err(e) = parse_countries(&self.sms_countries) {
            problems.push(format!("AUTHD_SMS_COUNTRIES: {e}"));
        }
        if !(1..=8).contains(&self.sms_prefix_digits) {
            problems.push("AUTHD_SMS_PREFIX_DIGITS must be 1 to 8".into());
        }
        if self.sms_guard_min_conversion_percent > 100 {
            problems.push("AUTHD_SMS_GUARD_MIN_CONVERSION_PERCENT must be 0 to 100".into());
        }
        if self.sms_guard_block_minutes == 0 {
            problems.push("AUTHD_SMS_GUARD_BLOCK_MINUTES must be at least 1".into());
        }
        if self.sms_guard_max_block_hours * 60 < self.sms_guard_block_minutes {
            problems.push("AUTHD_SMS_GUARD_MAX_BLOCK_HOURS must be at least AUTHD_SMS_GUARD_BLOCK_MINUTES".into());
        }
    }

    /// The prefix rules; only called on settings without problems.
    pub fn prefixes(&self) -> PrefixRules {
        PrefixRules {
            national_digits: self.sms_prefix_digits as usize,
            sends_per_window: self.sms_prefix_max_per_hour,
            sends_in_all: self.sms_max_per_hour,
            window: std::time::Duration::from_secs(3600),
            volume_floor: self.sms_guard_min_sends,
            min_conversion_percent: self.sms_guard_min_conversion_percent,
            block_base: std::time::Duration::from_secs(self.sms_guard_block_minutes * 60),
            block_max: std::time::Duration::from_secs(self.sms_guard_max_block_hours * 3600),
        }
    }

    /// The rules; only called on settings without problems.
    pub fn numbers(&self) -> domain::sms_guard::NumberRules {
        domain::sms_guard::NumberRules {
            countries: parse_countries(&self.sms_countries).unwrap_or_default(),
            costly_numbers: self.sms_costly_numbers,
        }
    }
}
