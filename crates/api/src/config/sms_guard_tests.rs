//! The SMS guard's settings: its rules from the environment, and the
//! impossible ones refused naming the setting.

use super::*;

#[test]
#[allow(clippy::result_large_err)] // figment's Jail fixes the closure's error type
fn sms_countries_are_iso_codes_and_an_unknown_one_is_refused_naming_the_setting() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("AUTHD_SMS_COUNTRIES", "de, US");
        jail.set_env("AUTHD_SMS_COSTLY_NUMBERS", "true");
        let s = Settings::load(None).expect("valid");
        let rules = s.policy().sms_numbers;
        assert_eq!((rules.countries, rules.costly_numbers), (vec!["DE".to_owned(), "US".to_owned()], true));
        Ok(())
    });
    let s =
        Settings { sms_guard: SmsGuard { sms_countries: "DE,ZZ".into(), ..Default::default() }, ..Default::default() };
    let e = s.check().unwrap_err().to_string();
    assert!(e.contains("AUTHD_SMS_COUNTRIES") && e.contains("\"ZZ\""), "{e}");
    let default = Settings::default().policy().sms_numbers;
    assert!(default.countries.is_empty() && !default.costly_numbers, "every country, no costly numbers");
}

#[test]
fn the_prefix_guard_settings_make_its_rules_and_impossible_ones_are_refused_naming_them() {
    let guard = SmsGuard {
        sms_prefix_digits: 3,
        sms_guard_block_minutes: 10,
        sms_guard_max_block_hours: 2,
        sms_max_per_hour: 500,
        ..Default::default()
    };
    let rules = Settings { sms_guard: guard, ..Default::default() }.policy().sms_prefixes;
    assert_eq!((rules.national_digits, rules.block_base.as_secs(), rules.block_max.as_secs()), (3, 600, 7200));
    assert_eq!(rules.sends_in_all, 500, "AUTHD_SMS_MAX_PER_HOUR");
    assert_eq!(Settings::default().policy().sms_prefixes, domain::sms_guard::PrefixRules::default());
    for (bad, name) in [
        (SmsGuard { sms_prefix_digits: 0, ..Default::default() }, "AUTHD_SMS_PREFIX_DIGITS"),
        (SmsGuard { sms_prefix_digits: 9, ..Default::default() }, "AUTHD_SMS_PREFIX_DIGITS"),
        (
            SmsGuard { sms_guard_min_conversion_percent: 101, ..Default::default() },
            "AUTHD_SMS_GUARD_MIN_CONVERSION_PERCENT",
        ),
        (SmsGuard { sms_guard_block_minutes: 0, ..Default::default() }, "AUTHD_SMS_GUARD_BLOCK_MINUTES"),
        (
            SmsGuard { sms_guard_block_minutes: 120, sms_guard_max_block_hours: 1, ..Default::default() },
            "AUTHD_SMS_GUARD_MAX_BLOCK_HOURS",
        ),
    ] {
        let e = Settings { sms_guard: bad, ..Default::default() }.check().unwrap_err().to_string();
        assert!(e.contains(name), "{name}: {e}");
    }
}
