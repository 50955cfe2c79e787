//! The account page: profile, password, second factors, sessions and
//! recent security events, each change a form posting to the use case the
//! JSON API calls for it (`PATCH /users/me`, `/change-password`,
//! `/users/me/totp`, …).

use askama::Template;
use chrono::{DateTime, Utc};
use domain::account::Accounts;
use domain::audit::AuditEvent;
use domain::email::Emails;
use domain::passkey::Passkeys;
use domain::session::{Caller, Sessions};
use domain::totp::Authenticator;
use domain::trusted_device::TrustedDevices;
use domain::user::{ProfileChanges, User};
use poem::web::{Form, Query};
use poem::{FromRequest, Request, RequestBody, Response, handler};
use secrecy::SecretString;
use serde::Deserialize;

use super::browser::Visitor;
use super::render::{self, Done, Failure, page_showing, redirect, sentence};
use crate::http::error::Problem;

/// How many recent events the page lists.
const EVENTS_SHOWN: u32 = 20;

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

struct SessionRow {
    id: String,
    started: String,
    ends: String,
    current: bool,
}

struct PasskeyRow {
    id: String,
    name: String,
    added: String,
    last_used: Option<String>,
    synced: bool,
}

struct DeviceRow {
    id: String,
    label: String,
    added: String,
    last_used: Option<String>,
    until: String,
}

struct EventRow {
    at: String,
    kind: &'static str,
    detail: String,
}

impl From<&AuditEvent> for EventRow {
    fn from(e: &AuditEvent) -> Self {
        let detail = e.detail.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ");
        EventRow { at: when(e.at), kind: e.kind.as_str(), detail }
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    csrf: String,
    user: User,
    /// The session may only enrol a second factor (`AUTHD_REQUIRE_2FA`):
    /// the page shows only that, and once one is there, the way to prove it.
    enrol_only: bool,
    phone: String,
    phone_verified: bool,
    /// What a login asks for, as words; empty: the password alone.
    login_asks: Vec<&'static str>,
    totp_since: Option<String>,
    recovery_codes_left: u32,
    /// Whether passkeys are offered, and the account's.
    passkeys_on: bool,
    passkeys: Vec<PasskeyRow>,
    sessions: Vec<SessionRow>,
    devices: Vec<DeviceRow>,
    events: Vec<EventRow>,
    notice: Option<&'static str>,
    error: Option<String>,
}

/// Everything the page shows, read through the use cases.
async fn account_page(
    visitor: &Visitor,
    caller: &Caller,
    services: AccountServices<'_>,
    notice: Option<&'static str>,
    refused: Option<Problem>,
) -> Response {
    let AccountServices { accounts, sessions, authenticator, passkeys, trusted_devices, .. } = services;
    let read = async {
        let user = accounts.me(caller).await?;
        let factors = authenticator.status(caller).await?;
        let live = sessions.list(caller).await?;
        let events = accounts.my_events(caller, None, EVENTS_SHOWN).await?;
        let keys = if passkeys.enabled() { passkeys.list(caller).await? } else { vec![] };
        let devices = trusted_devices.list(caller).await?;
        Ok::<_, domain::Error>((user, factors, live, events, keys, devices))
    };
    let (user, factors, live, events, keys, devices) = match read.await {
        Ok(all) => all,
        Err(e) => return render::failure_page(e.into()),
    };
    let shown = AccountPage {
        csrf: visitor.csrf_token(),
        enrol_only: caller.assurance.second_factor_due,
        phone: user.phone.clone().unwrap_or_default(),
        phone_verified: user.verified_phone().is_some(),
        login_asks: factors.methods.iter().map(|m| super::login_pages::label(*m)).collect(),
        totp_since: factors.totp_since.map(when),
        recovery_codes_left: factors.recovery_codes_left,
        passkeys_on: passkeys.enabled(),
        passkeys: keys
            .into_iter()
            .map(|p| PasskeyRow {
                id: p.id.to_string(),
                name: p.name,
                added: when(p.created_at),
                last_used: p.last_used_at.map(when),
                synced: p.backed_up,
            })
            .collect(),
        sessions: live
            .iter()
            .map(|s| SessionRow {
                id: s.id.to_string(),
                started: when(s.created_at),
                ends: when(s.expires_at),
                current: s.id == caller.session_id,
            })
            .collect(),
        devices: devices
            .into_iter()
            .map(|d| DeviceRow {
                id: d.id.to_string(),
                label: d.label,
                added: when(d.created_at),
                last_used: d.last_used_at.map(when),
                until: when(d.expires_at),
            })
            .collect(),
        events: events.items.iter().map(EventRow::from).collect(),
        user,
        notice,
        error: refused.as_ref().map(sentence),
    };
    page_showing(refused.as_ref(), &shown)
}

/// The use cases the account page reads and its forms call.
#[derive(Clone, Copy)]
pub struct AccountServices<'a> {
    pub(super) accounts: &'a Accounts,
    pub(super) emails: &'a Emails,
    pub(super) sessions: &'a Sessions,
    pub(super) authenticator: &'a Authenticator,
    pub(super) passkeys: &'a Passkeys,
    pub(super) trusted_devices: &'a TrustedDevices,
}

impl<'a> FromRequest<'a> for AccountServices<'a> {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(AccountServices {
            accounts: crate::http::state::part::<Accounts>(req),
            emails: crate::http::state::part::<Emails>(req),
            sessions: crate::http::state::part::<Sessions>(req),
            authenticator: crate::http::state::part::<Authenticator>(req),
            passkeys: crate::http::state::part::<Passkeys>(req),
            trusted_devices: crate::http::state::part::<TrustedDevices>(req),
        })
    }
}

#[handler]
pub async fn show(visitor: Visitor, services: AccountServices<'_>, done: Query<Done>) -> Response {
    let Ok(caller) = visitor.require_session() else {
        return redirect("/ui/login");
    };
    let notice = render::notice(done.done.as_deref());
    account_page(&visitor, &caller, services, notice, None).await
}

/// Runs one account change for the logged-in visitor whose form carried
/// its CSRF token: a redirect on success, the account page with the
/// refusal otherwise. A session that may only enrol a second factor is
/// sent to enrol one ([`enrol`] takes it).
pub(super) async fn change<F, Fut>(visitor: Visitor, csrf: &str, services: AccountServices<'_>, act: F) -> Response
where
    F: FnOnce(Caller) -> Fut,
    Fut: Future<Output = Result<Response, domain::Error>>,
{
    let caller = visitor.require_caller();
    act_as(visitor, caller, csrf, services, act).await
}

/// [`change`] for the forms that enrol a second factor (an app, a passkey,
/// codes by mail): a session that may only do that may post them.
pub(super) async fn enrol<F, Fut>(visitor: Visitor, csrf: &str, services: AccountServices<'_>, act: F) -> Response
where
    F: FnOnce(Caller) -> Fut,
    Fut: Future<Output = Result<Response, domain::Error>>,
{
    let caller = visitor.require_session();
    act_as(visitor, caller, csrf, services, act).await
}

async fn act_as<F, Fut>(
    visitor: Visitor,
    caller: Result<Caller, Failure>,
    csrf: &str,
    services: AccountServices<'_>,
    act: F,
) -> Response
where
    F: FnOnce(Caller) -> Fut,
    Fut: Future<Output = Result<Response, domain::Error>>,
{
    let caller = match visitor.check_form(csrf).and(caller) {
        Ok(c) => c,
        Err(f) => return render::failure_page(f),
    };
    match act(caller).await {
        Ok(resp) => resp,
        // The same refusals the API answers: RFC 9470's 401 (step up
        // first) and 403 `second_factor_required` (enrol first).
        Err(domain::Error::ReauthenticationRequired { .. }) => redirect("/ui/reauthenticate"),
        Err(domain::Error::SecondFactorRequired) => render::failure_page(Failure::EnrolFirst),
        Err(e) => account_page(&visitor, &caller, services, None, Some(Problem::from(e))).await,
    }
}

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
