//! The SMS guard: which numbers texted codes (SMS and WhatsApp) may go to.

use domain::sms_guard::parse_countries;

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
    }
}

impl SmsGuard {
    pub(super) fn problems(&self, problems: &mut Vec<String>) {
        if let Err(e) = parse_countries(&self.sms_countries) {
            problems.push(format!("AUTHD_SMS_COUNTRIES: {e}"));
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
