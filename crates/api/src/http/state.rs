//! What every handler reaches — the use cases and the trusted proxies —
//! attached to each request once, as one `Arc`. (`.data(x)` per use case
//! cloned every one of them into every request and dropped them after it:
//! a quarter of a token check's CPU.) Handlers take `Use<'_, Sessions>`
//! where they took `Data<&Sessions>`.

use std::ops::Deref;
use std::sync::Arc;

use domain::Services;
use domain::account::Accounts;
use domain::admin::Admin;
use domain::app::Apps;
use domain::assurance::StepUp;
use domain::email::Emails;
use domain::login::Login;
use domain::oidc::{Authorizations, Clients, Logouts, TokenGrants};
use domain::otp::SecondFactor;
use domain::passkey::{PasskeySignIn, Passkeys};
use domain::phone::Phones;
use domain::reset::Resets;
use domain::session::Sessions;
use domain::sms_guard::PrefixBlocks;
use domain::totp::Authenticator;
use domain::trusted_device::TrustedDevices;
use domain::verification::Verifications;
use poem::{FromRequest, Request, RequestBody};

use crate::http::client_addr::{ClientAddr, TrustedProxies};

/// The one value every route carries.
pub struct AppState {
    pub services: Services,
    pub proxies: TrustedProxies,
}

/// A part of [`AppState`] a handler may ask for.
pub trait Part: Sync + 'static {
    fn of(state: &AppState) -> &Self;
}

macro_rules! parts {
    ($($ty:ty => $($field:ident).+;)*) => {
        $(impl Part for $ty {
            fn of(state: &AppState) -> &Self {
                &state.$($field).+
            }
        })*
    };
}

parts! {
    Login => services.login;
    SecondFactor => services.second_factor;
    Phones => services.phones;
    Emails => services.emails;
    Resets => services.resets;
    Sessions => services.sessions;
    Accounts => services.accounts;
    Authenticator => services.authenticator;
    Passkeys => services.passkeys;
    PasskeySignIn => services.passkey_sign_in;
    StepUp => services.step_up;
    TrustedDevices => services.trusted_devices;
    Admin => services.admin;
    Apps => services.apps;
    Clients => services.clients;
    Authorizations => services.authorizations;
    TokenGrants => services.token_grants;
    Logouts => services.logouts;
    PrefixBlocks => services.prefix_blocks;
    Verifications => services.verifications;
    TrustedProxies => proxies;
}

/// The part `T` of the state attached to `req`.
pub fn part<T: Part>(req: &Request) -> &T {
    T::of(req.data::<Arc<AppState>>().expect("the AppState is attached to every route"))
}

/// A handler parameter: the part `T` of the state, borrowed from the request.
pub struct Use<'a, T>(pub &'a T);

impl<T> Deref for Use<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0
    }
}

impl<'a, T: Part> FromRequest<'a> for Use<'a, T> {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Use(part(req)))
    }
}

/// A handler parameter: the caller's address, read under the trusted
/// proxies of the state (here, with the other extractors, so that
/// `client_addr.rs` needs nothing of the state: no import circle).
impl<'a> FromRequest<'a> for ClientAddr {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(ClientAddr::of(req, part(req)))
    }
}
