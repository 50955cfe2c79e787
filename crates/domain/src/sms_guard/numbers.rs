//! Which numbers a texted code may go to. The country and the kind of a
//! number come from libphonenumber's metadata (the `phonenumber` crate),
//! never from a table of our own: its calling code and national prefix
//! name the country (ISO 3166 alpha-2), its pattern the kind.
//!
//! Refused unless the operator allows them (`AUTHD_SMS_COSTLY_NUMBERS`):
//! premium-rate and shared-cost numbers (a message to them earns their
//! holder money, the core of SMS pumping), and numbers of no country, the
//! ITU's non-geographic codes (+881 satellite, +882 and +883 international
//! networks, +870 Inmarsat, +979 international premium, …), whose
//! termination rates are the highest and which no ordinary user has.

use phonenumber::{PhoneNumber, Type};

use crate::error::{Error, Result};

/// The operator's rules (`AUTHD_SMS_COUNTRIES`, `AUTHD_SMS_COSTLY_NUMBERS`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberRules {
    /// ISO 3166 alpha-2 codes, upper case; empty: every country.
    pub countries: Vec<String>,
    /// Premium-rate, shared-cost and non-geographic numbers too.
    pub costly_numbers: bool,
}

/// A list of countries as the setting writes it (`"DE, FR,us"`): ISO 3166
/// alpha-2 codes libphonenumber knows, upper-cased; empty for every
/// country. A code it does not know is an error naming it.
pub fn parse_countries(list: &str) -> std::result::Result<Vec<String>, String> {
    let mut countries = Vec::new();
    for word in list.split([',', ' ']).map(str::trim).filter(|w| !w.is_empty()) {
        let code = word.to_ascii_uppercase();
        if code.parse::<phonenumber::country::Id>().is_err() {
            return Err(format!("{word:?} is not an ISO 3166 alpha-2 country code with a numbering plan"));
        }
        if !countries.contains(&code) {
            countries.push(code);
        }
    }
    Ok(countries)
}

/// The ISO 3166 alpha-2 country of an E.164 number, if it has one.
pub fn country_of(number: &str) -> Option<String> {
    parsed(number).and_then(|n| n.country().id()).map(|id| id.as_ref().to_owned())
}

fn parsed(number: &str) -> Option<PhoneNumber> {
    phonenumber::parse(None, number).ok()
}

/// What the rules read of a number they admitted: enough for its prefix
/// without reading the number again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// ISO 3166 alpha-2, empty for a number of no country.
    pub country: String,
    pub calling_code: u16,
}

impl NumberRules {
    /// Whether a texted code may go to `number` (E.164); the refusal says why.
    pub fn admit(&self, number: &str) -> Result<Admitted> {
        let refuse = |reason: String| Err(Error::DestinationNotAllowed { reason });
        let Some(parsed) = parsed(number) else {
            return refuse("the number cannot be read".into());
        };
        let country = parsed.country().id().map(|id| id.as_ref().to_owned());
        if !self.costly_numbers {
            let kind = parsed.number_type(&phonenumber::metadata::DATABASE);
            match (kind, &country) {
                (Type::PremiumRate, _) => return refuse("premium-rate numbers receive no codes".into()),
                (Type::SharedCost, _) => return refuse("shared-cost numbers receive no codes".into()),
                (_, None) => {
                    let code = parsed.country().code();
                    return refuse(format!("+{code} numbers (satellite or international networks) receive no codes"));
                }
                _ => {}
            }
        }
        match &country {
            Some(c) if !self.countries.is_empty() && !self.countries.contains(c) => {
                refuse(format!("numbers in {c} receive no codes here"))
            }
            None if !self.countries.is_empty() => refuse("numbers of no country receive no codes here".into()),
            _ => Ok(Admitted { country: country.unwrap_or_default(), calling_code: parsed.country().code() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(rules: &NumberRules, number: &str) -> String {
        match rules.admit(number) {
            Err(Error::DestinationNotAllowed { reason }) => reason,
            other => panic!("{number}: {other:?}"),
        }
    }

    #[test]
    fn countries_are_iso_codes_libphonenumber_knows_upper_cased_once_each() {
        assert_eq!(parse_countries("de, fr,DE us").unwrap(), ["DE", "FR", "US"]);
        assert_eq!(parse_countries("  ").unwrap(), Vec::<String>::new());
        assert!(parse_countries("DE,XX").unwrap_err().contains("\"XX\""));
        assert!(parse_countries("GER").is_err());
    }

    #[test]
    fn a_number_s_country_comes_from_its_calling_code_and_national_prefix() {
        // +1 is shared: the area code names the country.
        assert_eq!(country_of("+14155550100").as_deref(), Some("US"));
        assert_eq!(country_of("+16135550100").as_deref(), Some("CA"));
        assert_eq!(country_of("+237671234567").as_deref(), Some("CM"));
        assert_eq!(country_of("+881612345678"), None, "satellite: no country");
    }

    #[test]
    fn premium_rate_shared_cost_and_non_geographic_numbers_are_refused_unless_allowed() {
        let rules = NumberRules::default();
        assert!(refused(&rules, "+19002345678").contains("premium-rate"), "+1 900");
        assert!(refused(&rules, "+449061234567").contains("premium-rate"), "UK 09");
        assert!(refused(&rules, "+33884012345").contains("shared-cost"), "FR 0884");
        for satellite in ["+881612345678", "+8823421234", "+870301234567"] {
            assert!(refused(&rules, satellite).contains("satellite"), "{satellite}");
        }
        assert!(rules.admit("+14155550100").is_ok() && rules.admit("+4915112345678").is_ok());
        let allowed = NumberRules { costly_numbers: true, ..NumberRules::default() };
        for costly in ["+19002345678", "+449061234567", "+33884012345", "+881612345678"] {
            assert!(allowed.admit(costly).is_ok(), "{costly}");
        }
    }

    #[test]
    fn only_the_allowed_countries_receive_codes_when_a_list_is_set() {
        let rules = NumberRules { countries: vec!["DE".into(), "US".into()], costly_numbers: false };
        assert!(rules.admit("+4915112345678").is_ok() && rules.admit("+14155550100").is_ok());
        assert_eq!(refused(&rules, "+237671234567"), "numbers in CM receive no codes here");
        assert_eq!(refused(&rules, "+16135550100"), "numbers in CA receive no codes here", "+1, not the US");
        let costly = NumberRules { costly_numbers: true, ..rules };
        assert!(refused(&costly, "+881612345678").contains("no country"), "allowed kinds, still not a country");
        assert!(refused(&costly, "not a number").contains("cannot be read"));
    }
}
