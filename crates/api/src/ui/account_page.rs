//! The account page: profile, password, second factors, sessions and
//! recent security events, each change a form posting to the use case the
//! JSON API calls for it (`PATCH /users/me`, `/change-password`,
//! `/users/me/totp`, …): the page here, the forms in [`super::account_forms`].

use askama::Template;
use chrono::{DateTime, Utc};
use domain::account::Accounts;
use domain::email::Emails;
use domain::otp::Method;
use domain::passkey::Passkeys;
use domain::phone::Phones;
use domain::session::{Caller, Sessions};
use domain::totp::Authenticator;
use domain::trusted_device::TrustedDevices;
use domain::user::User;
use poem::web::Query;
use poem::{FromRequest, Request, RequestBody, Response, handler};

use super::browser::Visitor;
use super::event_words::EventLine;
use super::render::{self, Done, Failure, page_showing, redirect, sentence};
use crate::http::error::Problem;

/// How many recent events the page reads, and how many it shows before "more".
const EVENTS_READ: u32 = 20;
const EVENTS_FIRST: usize = 5;

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

/// The phone's proof under way: the code sent, as the page says it.
struct PhoneCode {
    prompt: String,
    remaining_attempts: u32,
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
    /// The channels a code to the phone can go by (`sms`, `whatsapp`).
    phone_channels: Vec<&'static str>,
    /// The code sent to the phone, while it can be typed.
    phone_code: Option<PhoneCode>,
    /// Whether "Codes by mail" changes anything: not once an app or a
    /// passkey is the second factor (sent codes then stand in on their own rule).
    mailed_codes_matter: bool,
    /// What a login asks for, as words; empty: the password alone.
    login_asks: Vec<&'static str>,
    totp_since: Option<String>,
    recovery_codes_left: u32,
    /// Whether passkeys are offered, and the account's.
    passkeys_on: bool,
    passkeys: Vec<PasskeyRow>,
    sessions: Vec<SessionRow>,
    devices: Vec<DeviceRow>,
    /// The newest events, and the older ones behind "more".
    events: Vec<EventLine>,
    older_events: Vec<EventLine>,
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
    let AccountServices { accounts, sessions, authenticator, passkeys, trusted_devices, phones, .. } = services;
    let read = async {
        let user = accounts.me(caller).await?;
        let factors = authenticator.status(caller).await?;
        let live = sessions.list(caller).await?;
        let events = accounts.my_events(caller, None, EVENTS_READ).await?;
        let keys = if passkeys.enabled() { passkeys.list(caller).await? } else { vec![] };
        let devices = trusted_devices.list(caller).await?;
        let phone_code = match (&user.phone, user.verified_phone()) {
            (Some(_), None) => super::phone_page::code_under_way(phones, caller).await?,
            _ => None,
        };
        Ok::<_, domain::Error>((user, factors, live, events, keys, devices, phone_code))
    };
    let (user, factors, live, events, keys, devices, phone_code) = match read.await {
        Ok(all) => all,
        Err(e) => return render::failure_page(e.into()),
    };
    let mut events = super::event_words::lines(&events.items, |e| when(e.at));
    let older_events = events.split_off(EVENTS_FIRST.min(events.len()));
    let shown = AccountPage {
        csrf: visitor.csrf_token(),
        enrol_only: caller.assurance.second_factor_due,
        phone: user.phone.clone().unwrap_or_default(),
        phone_verified: user.verified_phone().is_some(),
        phone_channels: phones.channels().into_iter().map(|c| c.as_str()).collect(),
        phone_code: phone_code.map(|s| PhoneCode {
            prompt: super::login_pages::prompt(s.method, s.delivery.map(|d| d.as_str())),
            remaining_attempts: s.remaining_attempts,
        }),
        mailed_codes_matter: !factors.methods.iter().any(|m| matches!(m, Method::Totp | Method::Passkey)),
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
        events,
        older_events,
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
    pub(super) phones: &'a Phones,
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
            phones: crate::http::state::part::<Phones>(req),
        })
    }
}

#[handler]
pub async fn show(visitor: Visitor, services: AccountServices<'_>, done: Query<Done>) -> Response {
    let caller = match visitor.require_session() {
        Ok(c) => c,
        Err(f) => return render::failure_page(f),
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
    // A session that is over is said before the form's token (which it voids).
    let caller = match caller.and_then(|c| visitor.check_form(csrf).map(|()| c)) {
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
