//! The first administrator, made at start from the settings when no active
//! one exists.

use secrecy::SecretString;

use super::section::section;

section! {
    /// Settings of the first administrator (`AUTHD_BOOTSTRAP_ADMIN_*`).
    pub struct Bootstrap {
        /// `AUTHD_BOOTSTRAP_ADMIN_EMAIL`: with `…_USERNAME` and `…_PASSWORD`, makes
        /// this the first administrator at start, when no active one exists.
        pub bootstrap_admin_email: Option<String> = None,
        /// `AUTHD_BOOTSTRAP_ADMIN_USERNAME`.
        pub bootstrap_admin_username: Option<String> = None,
        /// `AUTHD_BOOTSTRAP_ADMIN_PASSWORD`: needed unless the user already exists.
        pub bootstrap_admin_password: Option<SecretString> = None,
        /// `AUTHD_BOOTSTRAP_ADMIN_NAME` (default `Admin`).
        pub bootstrap_admin_name: String = "Admin".into(),
        /// `AUTHD_BOOTSTRAP_ADMIN_LASTNAME` (default `User`).
        pub bootstrap_admin_lastname: String = "User".into(),
    }
}

impl Bootstrap {
    /// The first administrator asked for, if any.
    pub fn admin(&self) -> Option<domain::account::Registration> {
        let (email, username) = (self.bootstrap_admin_email.as_deref()?, self.bootstrap_admin_username.as_deref()?);
        Some(domain::admin::admin_form(
            email,
            username,
            &self.bootstrap_admin_name,
            &self.bootstrap_admin_lastname,
            self.bootstrap_admin_password.clone(),
        ))
    }

    pub(super) fn problems(&self, problems: &mut Vec<String>) {
        if self.bootstrap_admin_email.is_some() != self.bootstrap_admin_username.is_some() {
            problems.push(
                "AUTHD_BOOTSTRAP_ADMIN_EMAIL and AUTHD_BOOTSTRAP_ADMIN_USERNAME go together: set both or neither"
                    .into(),
            );
        }
    }
}
