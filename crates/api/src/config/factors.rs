//! Second factors: how often a code may be sent again, whether a mailed
//! code may stand in for an authenticator app, passkeys, trusted devices,
//! and who must have a second factor.

use domain::assurance::SecondFactorPolicy;
use domain::policy::Policy;

use super::section::{section, words};

words!(SecondFactorPolicy);

section! {
    /// Settings of the second factors.
    pub struct Factors {
        /// `AUTHD_OTP_RESEND_COOLDOWN`, seconds between codes for one login.
        pub otp_resend_cooldown: u64 = Policy::default().otp_resend_cooldown.as_secs(),
        /// `AUTHD_TOTP_MAIL_FALLBACK`: let users with an authenticator app also
        /// answer with a mailed code (weaker: the mailbox becomes a second factor).
        pub totp_mail_fallback: bool = Policy::default().totp_mail_fallback,
        /// `AUTHD_REQUIRE_VERIFIED_EMAIL`: let in only accounts whose email
        /// address is proved (403 `email_unverified`, answered only after a
        /// right password).
        pub require_verified_email: bool = Policy::default().require_verified_email,
        /// `AUTHD_PASSKEYS`: offer passkeys (WebAuthn); `false` removes their
        /// routes (404) and buttons.
        pub passkeys: bool = Policy::default().passkeys,
        /// `AUTHD_WEBAUTHN_ORIGINS`: further origins allowed to use the
        /// passkeys (comma-separated), beside the origin of `AUTHD_PUBLIC_URL`,
        /// whose host is the relying-party id.
        pub webauthn_origins: String = String::new(),
        /// `AUTHD_WEBAUTHN_RP_NAME`: the name the browser shows when it asks
        /// for a passkey.
        pub webauthn_rp_name: String = "authd".into(),
        /// `AUTHD_TRUSTED_DEVICE_DAYS`: how long a device trusted after a
        /// second factor ("remember this device") skips it at the same
        /// user's password logins; 0 turns trusted devices off.
        pub trusted_device_days: u64 = Policy::default().trusted_device_ttl.as_secs() / 86_400,
        /// `AUTHD_REQUIRE_2FA`: who must have a second factor: `none`,
        /// `admins` or `all`. A covered user without one logs in to a
        /// session that may only enrol one (403 `second_factor_required`
        /// elsewhere); under `admins` and `all`, admin routes need `aal2`.
        pub require_2fa: SecondFactorPolicy = Policy::default().require_2fa,
    }
}

impl Factors {
    /// The origins of `AUTHD_WEBAUTHN_ORIGINS`.
    pub fn webauthn_origins(&self) -> Vec<String> {
        self.webauthn_origins.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
    }

    /// What keeps passkeys from working with the public URL `public_url`,
    /// and a trusted device's days out of range.
    pub(super) fn problems(&self, public_url: &str, problems: &mut Vec<String>) {
        if self.trusted_device_days > 366 {
            problems.push(format!(
                "AUTHD_TRUSTED_DEVICE_DAYS is at most 366 (got {}); 0 turns trusted devices off",
                self.trusted_device_days
            ));
        }
        if !self.passkeys {
            return;
        }
        let host = public_url.split("://").nth(1).and_then(|r| r.split('/').next()).unwrap_or("");
        let host = host.rsplit_once(':').filter(|(_, port)| port.parse::<u16>().is_ok()).map_or(host, |(h, _)| h);
        if host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok() {
            problems.push(format!(
                "passkeys need a host name in AUTHD_PUBLIC_URL (got {public_url:?}: WebAuthn binds them to a domain, never an IP address); use localhost or a name, or set AUTHD_PASSKEYS=false"
            ));
        }
        for origin in self.webauthn_origins() {
            let scheme = origin.starts_with("https://") || origin.starts_with("http://");
            if !scheme || origin.trim_start_matches("https://").trim_start_matches("http://").contains('/') {
                problems.push(format!(
                    "AUTHD_WEBAUTHN_ORIGINS takes origins like https://app.example.com, without a path (got {origin:?})"
                ));
            }
        }
        if self.webauthn_rp_name.trim().is_empty() {
            problems.push("AUTHD_WEBAUTHN_RP_NAME must not be empty".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(f: &Factors, public_url: &str) -> Vec<String> {
        let mut p = vec![];
        f.problems(public_url, &mut p);
        p
    }

    #[test]
    fn passkeys_need_a_host_name_in_the_public_url_and_origins_without_a_path() {
        let on = Factors::default();
        for good in ["http://localhost:8000", "https://id.example.com", "https://id.example.com/auth"] {
            assert!(problems(&on, good).is_empty(), "{good}");
        }
        for ip in ["http://127.0.0.1:8000", "https://[::1]:8443", "http://10.0.0.5"] {
            let p = problems(&on, ip);
            assert!(p.len() == 1 && p[0].contains("AUTHD_PASSKEYS=false"), "{ip}: {p:?}");
        }
        let off = Factors { passkeys: false, ..Factors::default() };
        assert!(problems(&off, "http://127.0.0.1:8000").is_empty(), "off: the IP address is fine");
        let origins =
            Factors { webauthn_origins: "https://app.example.com, ftp://x, https://a.example.com/path".into(), ..on };
        let p = problems(&origins, "https://id.example.com");
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p.iter().all(|l| l.starts_with("AUTHD_WEBAUTHN_ORIGINS")));
        let unnamed = Factors { webauthn_rp_name: "  ".into(), ..Factors::default() };
        assert_eq!(problems(&unnamed, "http://localhost:8000"), ["AUTHD_WEBAUTHN_RP_NAME must not be empty"]);
    }
}
