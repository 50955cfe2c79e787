//! Changes to a profile: what arrives ([`ProfileChanges`]), parsed into a
//! [`ProfilePatch`], and which changes weaken the second factor and so need
//! the current password.

use secrecy::SecretString;

use super::{Email, PersonName, Phone, User, Username};
use crate::error::Result;

/// Changes to a user; `None` leaves a field as it is. `is_admin`,
/// `is_active` and `forget_proved_email` are only ever set by an administrator.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    pub email: Option<Email>,
    pub username: Option<Username>,
    pub name: Option<PersonName>,
    pub lastname: Option<PersonName>,
    /// `Some(None)` removes the number. A different number is unverified.
    pub phone: Option<Option<Phone>>,
    pub is_2fa: Option<bool>,
    pub is_admin: Option<bool>,
    pub is_active: Option<bool>,
    /// Forget the address the user proved: mail goes to `email` again, and
    /// no reset goes anywhere until an address is proved.
    pub forget_proved_email: bool,
}

impl ProfilePatch {
    /// Whether applying this could leave the user without admin rights or
    /// inactive: the changes the last-admin rule guards.
    pub fn may_remove_an_admin(&self) -> bool {
        self.is_admin == Some(false) || self.is_active == Some(false)
    }

    /// This patch without the fields that already hold its value in
    /// `user`: what is left is what the change really does, and only that
    /// is written (so an unchanged field can never slip past
    /// [`ProfilePatch::needs_password`], whatever happens meanwhile).
    pub fn against(mut self, user: &User) -> Self {
        fn keep<T>(field: &mut Option<T>, unchanged: impl FnOnce(&T) -> bool) {
            if field.as_ref().is_some_and(unchanged) {
                *field = None;
            }
        }
        keep(&mut self.email, |v| v.as_str() == user.email);
        keep(&mut self.username, |v| v.as_str() == user.username);
        keep(&mut self.name, |v| v.as_str() == user.name);
        keep(&mut self.lastname, |v| v.as_str() == user.lastname);
        keep(&mut self.phone, |v| v.as_ref().map(Phone::as_str) == user.phone.as_deref());
        keep(&mut self.is_2fa, |v| *v == user.is_2fa);
        // `is_admin` and `is_active` are an administrator's to set, through
        // a path that writes what it is given.
        self
    }

    /// Whether this patch weakens the second factor of the account it is
    /// applied to: switching the mailed code off, or changing where codes
    /// go (a new email address; a new or removed phone number). A user's
    /// own such change needs the current password, so a stolen access token
    /// alone cannot turn off or redirect the factor that guards the login.
    pub fn needs_password(&self) -> bool {
        self.is_2fa == Some(false) || self.email.is_some() || self.phone.is_some()
    }

    /// Whether this patch does nothing but enrol a second factor: switch
    /// sent codes on, or give the phone number a code can then prove. The
    /// only change a session that may only enrol a second factor may make.
    pub fn only_enrols(&self) -> bool {
        let ProfilePatch { email, username, name, lastname, phone, is_2fa, is_admin, is_active, forget_proved_email } =
            self;
        let profile_unchanged = email.is_none() && username.is_none() && name.is_none() && lastname.is_none();
        profile_unchanged
            && !matches!(phone, Some(None))
            && *is_2fa != Some(false)
            && is_admin.is_none()
            && is_active.is_none()
            && !forget_proved_email
    }

    /// Names of the fields this patch sets, for audit events.
    pub fn field_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        for (set, name) in [
            (self.email.is_some(), "email"),
            (self.username.is_some(), "username"),
            (self.name.is_some(), "name"),
            (self.lastname.is_some(), "lastname"),
            (self.phone.is_some(), "phone"),
            (self.is_2fa.is_some(), "is_2fa"),
            (self.is_admin.is_some(), "is_admin"),
            (self.is_active.is_some(), "is_active"),
            (self.forget_proved_email, "email_verified"),
        ] {
            if set {
                names.push(name);
            }
        }
        names
    }
}

/// Raw profile changes as they arrive; [`ProfileChanges::parse`] turns them into a patch.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    pub email: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
    pub lastname: Option<String>,
    /// `Some(None)` removes the number.
    pub phone: Option<Option<String>>,
    pub is_2fa: Option<bool>,
    /// The account's current password: needed when the changes switch the
    /// second factor off or change the email or phone
    /// ([`ProfilePatch::needs_password`]).
    pub current_password: Option<SecretString>,
}

impl ProfileChanges {
    pub fn parse(self) -> Result<ProfilePatch> {
        Ok(ProfilePatch {
            email: self.email.as_deref().map(Email::parse).transpose()?,
            username: self.username.as_deref().map(Username::parse).transpose()?,
            name: self.name.as_deref().map(|n| PersonName::parse("name", n)).transpose()?,
            lastname: self.lastname.as_deref().map(|n| PersonName::parse("lastname", n)).transpose()?,
            phone: self.phone.map(|p| p.as_deref().map(Phone::parse).transpose()).transpose()?,
            is_2fa: self.is_2fa,
            is_admin: None,
            is_active: None,
            forget_proved_email: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_names_the_fields_it_sets_for_the_audit_trail() {
        let patch = ProfilePatch { is_2fa: Some(false), is_active: Some(true), ..Default::default() };
        assert_eq!(patch.field_names(), ["is_2fa", "is_active"]);
        assert!(ProfilePatch::default().field_names().is_empty());
    }
}
