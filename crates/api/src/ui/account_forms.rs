//! The account page's forms that change the profile, the password, the
//! mailed codes and the sessions; each posts to the use case the JSON API
//! calls for it, through [`change`] (or [`enrol`]).

use poem::web::Form;
use poem::{Response, handler};
use secrecy::SecretString;
use serde::Deserialize;

use super::account_page::{AccountServices, change, enrol};
use super::browser::Visitor;
use super::render::redirect;
use domain::user::ProfileChanges;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    csrf: String,
    email: String,
    username: String,
    name: String,
    lastname: String,
    phone: String,
    /// The current password; needed only to change the email or phone.
    password: String,
}

/// A password field left empty is no password.
fn typed(password: String) -> Option<SecretString> {
    (!password.is_empty()).then(|| SecretString::from(password))
}

/// The form as typed: the use case writes only what differs from the
/// account, so an unchanged phone number keeps its verification and an
/// unchanged email needs no password.
fn changes(f: ProfileForm) -> ProfileChanges {
    let phone = f.phone.trim();
    ProfileChanges {
        email: Some(f.email),
        username: Some(f.username),
        name: Some(f.name),
        lastname: Some(f.lastname),
        // An empty field removes the number.
        phone: Some((!phone.is_empty()).then(|| phone.to_owned())),
        is_2fa: None,
        current_password: typed(f.password),
    }
}

#[handler]
pub async fn profile(visitor: Visitor, services: AccountServices<'_>, Form(form): Form<ProfileForm>) -> Response {
    change(visitor, &form.csrf.clone(), services, |caller| async move {
        services.accounts.update_me(&caller, changes(form)).await?;
        Ok(redirect("/ui/account?done=profile"))
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    confirm: String,
}

#[handler]
pub async fn password_submit(
    visitor: Visitor,
    services: AccountServices<'_>,
    Form(form): Form<PasswordForm>,
) -> Response {
    let PasswordForm { csrf, current, new, confirm } = form;
    change(visitor, &csrf, services, |caller| async move {
        let (current, new, confirm) =
            (SecretString::from(current), SecretString::from(new), SecretString::from(confirm));
        services.accounts.change_password(&caller, &current, &new, &confirm).await?;
        Ok(redirect("/ui/account?done=password"))
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SwitchForm {
    csrf: String,
    /// `on` or `off`.
    to: String,
    /// Needed to switch them off.
    password: String,
}

#[handler]
pub async fn mailed_codes(visitor: Visitor, services: AccountServices<'_>, Form(form): Form<SwitchForm>) -> Response {
    let SwitchForm { csrf, to, password } = form;
    let on = to == "on";
    // Switching them off from a session that may only enrol a factor is
    // refused by the use case.
    enrol(visitor, &csrf, services, |caller| async move {
        let switch = ProfileChanges { is_2fa: Some(on), current_password: typed(password), ..Default::default() };
        services.accounts.update_me(&caller, switch).await?;
        Ok(redirect(if on { "/ui/account?done=mailed_codes_on" } else { "/ui/account?done=mailed_codes_off" }))
    })
    .await
}

/// A new mail proving the caller's address, as `POST /users/me/email/verify`.
#[handler]
pub async fn email_proof(visitor: Visitor, services: AccountServices<'_>, Form(form): Form<CsrfOnly>) -> Response {
    change(visitor, &form.csrf, services, |caller| async move {
        services.emails.resend(&caller).await?;
        Ok(redirect("/ui/account?done=email_sent"))
    })
    .await
}

/// A form that carries nothing but its CSRF token.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    csrf: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SessionForm {
    csrf: String,
    session: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeviceForm {
    csrf: String,
    id: String,
}

/// Forgets a trusted device: its next login asks for the second factor.
#[handler]
pub async fn forget_device(visitor: Visitor, services: AccountServices<'_>, Form(form): Form<DeviceForm>) -> Response {
    change(visitor, &form.csrf.clone(), services, |caller| async move {
        let id = form.id.parse().map_err(|_| domain::Error::TrustedDeviceNotFound)?;
        services.trusted_devices.forget(&caller, id).await?;
        Ok(redirect("/ui/account?done=device_forgotten"))
    })
    .await
}

/// Logs out another device; this browser's own row posts to `/ui/logout`.
#[handler]
pub async fn end_session(visitor: Visitor, services: AccountServices<'_>, Form(form): Form<SessionForm>) -> Response {
    change(visitor, &form.csrf.clone(), services, |caller| async move {
        let id = form.session.parse().map_err(|_| domain::Error::SessionNotFound)?;
        services.sessions.end(&caller, id).await?;
        Ok(redirect("/ui/account?done=session_ended"))
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordOnlyForm {
    pub(super) csrf: String,
    pub(super) password: String,
}
