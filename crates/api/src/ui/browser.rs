//! Who is at the pages, as their cookies say, and the cookies the pages set.
//!
//! - **Session** (`__Host-authd_session`): the browser token of a session
//!   row, the same row an API login makes; checked on every page
//!   (signature, kind, live session), so a logout anywhere ends it at once.
//!   Once its session is over (logged out here or elsewhere, expired) it
//!   holds [`SESSION_ENDED`] for a day, so that a tab still open on a page
//!   is told "You were logged out" rather than shown the login page bare.
//! - **Pending login** (`__Host-authd_login`): the temporary token of a
//!   two-factor login between the password and the code, and the name typed
//!   at the login page (or at registration), so that a login that ends
//!   unfinished shows the login page with the name still in it.
//! - **CSRF** (`__Host-authd_csrf`): a random value; every form carries the
//!   token [`FormSigner`] signs over it and the session (signed double-submit).
//! - **Trusted device** (`__Host-authd_device`): the token of a device the
//!   person chose to trust after a second factor ("remember this device"),
//!   kept for `AUTHD_TRUSTED_DEVICE_DAYS`; a login presents it with the password.
//! - **Authorization under way** (`__Host-authd_authorize`): the id of an
//!   OpenID Connect authorization request waiting for this browser to log
//!   in or prove itself again; a finished login goes back to it
//!   ([`Visitor::after_login`]) instead of the account page.
//!
//! All five are `HttpOnly`, `SameSite=Lax` and `Path=/`. They are `Secure`
//! and carry the `__Host-` prefix (no `Domain`, so no sibling host can set
//! them) in production and for requests that reached a trusted proxy over
//! HTTPS; a development server on plain HTTP drops the prefix and `Secure`,
//! which browsers would refuse there.

use std::time::Duration;

use domain::session::{Caller, Sessions};
use poem::web::cookie::{Cookie, CookieJar, SameSite};
use poem::{FromRequest, Request, RequestBody};

use super::render::{self, Failure};
use crate::http::client_addr::TrustedProxies;
use crate::http::csrf::FormSigner;

/// The session cookie's value once its session is over; it is no token.
pub const SESSION_ENDED: &str = "ended";

/// How long the session cookie says its session ended.
const ENDED_KEPT: Duration = Duration::from_secs(86_400);

/// What the pages need beyond the use cases.
#[derive(Clone)]
pub struct UiConfig {
    pub csrf: std::sync::Arc<dyn FormSigner>,
    /// `AUTHD_ENV=production`: cookies are always `Secure`.
    pub production: bool,
}

/// The five cookies, by purpose.
#[derive(Debug, Clone, Copy)]
pub enum Jar {
    Session,
    PendingLogin,
    Csrf,
    Device,
    Authorize,
}

impl Jar {
    fn base(self) -> &'static str {
        match self {
            Jar::Session => "authd_session",
            Jar::PendingLogin => "authd_login",
            Jar::Csrf => "authd_csrf",
            Jar::Device => "authd_device",
            Jar::Authorize => "authd_authorize",
        }
    }

    /// The cookie's name: with the `__Host-` prefix whenever it is `Secure`.
    pub fn name(self, secure: bool) -> String {
        if secure { format!("__Host-{}", self.base()) } else { self.base().to_owned() }
    }
}

/// Whether the browser reached us over TLS: always in production, else when
/// a trusted proxy says so (`X-Forwarded-Proto: https`).
fn over_tls(req: &Request, config: &UiConfig) -> bool {
    if config.production {
        return true;
    }
    let proxies = crate::http::state::part::<TrustedProxies>(req);
    let from_proxy = req.remote_addr().as_socket_addr().is_some_and(|a| proxies.trusts(a.ip()));
    from_proxy && req.headers().get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

/// The person at the pages: their session (if live), pending login (if
/// any) and CSRF cookie, and the jar the answer's cookies go into.
pub struct Visitor {
    jar: CookieJar,
    config: UiConfig,
    secure: bool,
    csrf_cookie: String,
    caller: Option<Caller>,
    /// The browser presented a session that is over (logged out elsewhere, expired).
    session_over: bool,
    pending: Option<String>,
    /// The name typed at the login page, kept with the pending login.
    pending_name: Option<String>,
    /// A trusted device's token, if this browser keeps one.
    device: Option<String>,
    /// What the browser says it is (`User-Agent`): a trusted device's label.
    user_agent: Option<String>,
    /// The authorization request this browser is logging in for, if any.
    authorizing: Option<uuid::Uuid>,
    /// Whether the request came from a page of this origin, by `Origin` or,
    /// failing that, `Sec-Fetch-Site` (both sent by current browsers on a POST).
    same_origin: bool,
}

impl<'a> FromRequest<'a> for Visitor {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let config = req.data::<UiConfig>().expect("UiConfig is attached to the pages").clone();
        let sessions = crate::http::state::part::<Sessions>(req);
        let jar = req.cookie().clone();
        let secure = over_tls(req, &config);
        let read =
            |which: Jar| jar.get(&which.name(secure)).map(|c| c.value_str().to_owned()).filter(|v| !v.is_empty());
        let (pending, pending_name) = read(Jar::PendingLogin).map(|v| pending_parts(&v)).unwrap_or_default();
        let mut visitor = Visitor {
            csrf_cookie: read(Jar::Csrf).unwrap_or_default(),
            session_over: false,
            pending,
            pending_name,
            device: read(Jar::Device),
            authorizing: read(Jar::Authorize).and_then(|v| v.parse().ok()),
            user_agent: req.headers().get("user-agent").and_then(|v| v.to_str().ok()).map(str::to_owned),
            caller: None,
            same_origin: same_origin(req),
            jar: jar.clone(),
            config,
            secure,
        };
        match read(Jar::Session) {
            Some(ended) if ended == SESSION_ENDED => visitor.session_over = true,
            Some(token) => match sessions.authenticate_browser(&token).await {
                Ok(caller) => {
                    crate::http::request_log::record_caller(&caller);
                    visitor.caller = Some(caller);
                }
                // The database does not answer: say so, rather than
                // pretend the visitor is logged out.
                Err(e @ (domain::Error::Unavailable(_) | domain::Error::Internal(_))) => {
                    return Err(poem::Error::from_response(render::failure_page(Failure::from(e))));
                }
                Err(_) => {
                    visitor.session_over = true;
                    visitor.set(Jar::Session, SESSION_ENDED, Some(ENDED_KEPT));
                }
            },
            None => {}
        }
        if visitor.csrf_cookie.is_empty() {
            visitor.new_csrf_cookie();
        }
        Ok(visitor)
    }
}

/// The pending-login cookie's value: `token~name`, the name in base64url
/// (a token is base64url and dots, so never holds `~`); an empty token is
/// only a name to show at the login page.
fn pending_parts(value: &str) -> (Option<String>, Option<String>) {
    use base64::Engine;
    let (token, name) = value.split_once('~').unwrap_or((value, ""));
    let name =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(name).ok().and_then(|n| String::from_utf8(n).ok());
    ((!token.is_empty()).then(|| token.to_owned()), name.filter(|n| !n.is_empty()))
}

/// A POST from a page of ours: `Origin` names this host, or (without
/// `Origin`) `Sec-Fetch-Site` says same-origin, or neither was sent (an old
/// browser or a script; the CSRF token still decides).
fn same_origin(req: &Request) -> bool {
    let host = req.headers().get("host").and_then(|v| v.to_str().ok());
    match req.headers().get("origin").and_then(|v| v.to_str().ok()) {
        Some(origin) => {
            let origin_host = origin.split_once("://").map(|(_, rest)| rest);
            origin_host.is_some() && origin_host == host
        }
        None => !matches!(
            req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok()),
            Some("cross-site" | "same-site")
        ),
    }
}

impl Visitor {
    /// The logged-in user, if their session is live.
    pub fn caller(&self) -> Option<&Caller> {
        self.caller.as_ref()
    }

    /// The logged-in user, or the login page for a visitor without a live
    /// session; a session that may only enrol a second factor
    /// ([`Caller::unrestricted`]) is sent to the account page to enrol one.
    pub fn require_caller(&self) -> Result<Caller, Failure> {
        self.require_session()?.unrestricted().map_err(|_| Failure::EnrolFirst)
    }

    /// The visitor's live session, also one that may only enrol a second
    /// factor: for the account page, the enrolment forms, "Confirm it is
    /// you" and logging out. Every other page asks [`require_caller`](Self::require_caller).
    pub fn require_session(&self) -> Result<Caller, Failure> {
        self.caller.ok_or(if self.session_over { Failure::SessionOver } else { Failure::LoggedOut })
    }

    /// The temporary token of the two-factor login under way.
    pub fn pending_login(&self) -> Option<&str> {
        self.pending.as_deref()
    }

    /// The name typed at the login page for the pending login (or at
    /// registration), to show it again.
    pub fn typed_name(&self) -> Option<&str> {
        self.pending_name.as_deref()
    }

    /// A two-factor login under way: its temporary token for `lasts`, and the name typed.
    pub fn begin_login(&self, token: &str, username: &str, lasts: Duration) {
        self.keep_pending(token, username, lasts);
    }

    /// Keeps only the name a person registered with, for the login page.
    pub fn remember_name(&self, username: &str) {
        self.keep_pending("", username, Duration::from_secs(600));
    }

    fn keep_pending(&self, token: &str, username: &str, lasts: Duration) {
        use base64::Engine;
        let name = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(username);
        self.set(Jar::PendingLogin, &format!("{token}~{name}"), Some(lasts));
    }

    /// The token the pages' forms carry.
    pub fn csrf_token(&self) -> String {
        self.config.csrf.token(&self.csrf_cookie, self.caller.map(|c| c.session_id))
    }

    /// Refuses a form that did not come from one of our pages: a wrong or
    /// missing token, or another origin.
    pub fn check_form(&self, token: &str) -> Result<(), Failure> {
        let session = self.caller.map(|c| c.session_id);
        if self.same_origin && self.config.csrf.verify(&self.csrf_cookie, session, token) {
            Ok(())
        } else {
            Err(Failure::Forged)
        }
    }

    /// The session a form was posted from, once its token is checked. A
    /// session that is over is said first (the login page, "You were
    /// logged out"), since its forms can no longer carry a valid token.
    pub fn session_form(&self, token: &str) -> Result<Caller, Failure> {
        let caller = self.require_session()?;
        self.check_form(token)?;
        Ok(caller)
    }

    /// Sets a cookie for `max_age` (none: until the browser closes).
    pub fn set(&self, which: Jar, value: &str, max_age: Option<Duration>) {
        let mut c = Cookie::new_with_str(which.name(self.secure), value);
        c.set_http_only(true);
        c.set_secure(self.secure);
        c.set_same_site(SameSite::Lax);
        c.set_path("/");
        if let Some(age) = max_age {
            c.set_max_age(age);
        }
        self.jar.add(c);
    }

    /// Tells the browser to drop a cookie.
    pub fn expire(&self, which: Jar) {
        self.set(which, "", Some(Duration::ZERO));
    }

    /// Keeps a new browser session and ends the pending login. The session
    /// begins with a new CSRF value, so nothing from before the login
    /// (fixed by an attacker, say) carries over.
    pub fn start_session(&mut self, browser: &domain::token::BrowserToken) {
        self.set(Jar::Session, &browser.token, Some(Duration::from_secs(browser.expires_in)));
        self.expire(Jar::PendingLogin);
        self.new_csrf_cookie();
    }

    /// Where a finished login (or "Confirm it is you") goes: back to the
    /// authorization request under way, or to the account.
    pub fn after_login(&self) -> &'static str {
        if self.authorizing.is_some() { "/ui/authorize" } else { "/ui/account" }
    }

    /// The authorization request this browser is logging in for.
    pub fn authorizing(&self) -> Option<uuid::Uuid> {
        self.authorizing
    }

    /// Remembers the authorization request waiting for this browser, as
    /// long as the request itself lives.
    pub fn authorize_after_login(&mut self, request: uuid::Uuid, lasts: Duration) {
        self.set(Jar::Authorize, &request.to_string(), Some(lasts));
        self.authorizing = Some(request);
    }

    /// Forgets the authorization request (answered, or gone).
    pub fn authorized(&mut self) {
        if self.authorizing.take().is_some() {
            self.expire(Jar::Authorize);
        }
    }

    /// The token of the trusted device this browser is, if it is one.
    pub fn device_token(&self) -> Option<&str> {
        self.device.as_deref()
    }

    /// What the browser says it is.
    pub fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }

    /// Keeps the token of this browser, now a trusted device, for `days`.
    pub fn trust_device(&mut self, token: &domain::trusted_device::DeviceToken, lasts: Duration) {
        self.set(Jar::Device, token.expose(), Some(lasts));
        self.device = Some(token.expose().to_owned());
    }

    /// Gives the browser a new random CSRF value (244 random bits, from two
    /// v4 UUIDs), kept until it closes.
    fn new_csrf_cookie(&mut self) {
        let value = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        self.set(Jar::Csrf, &value, None);
        self.csrf_cookie = value;
    }

    /// Forgets the session, any pending login and any authorization
    /// waiting for it (after a logout).
    pub fn end_session(&mut self) {
        self.set(Jar::Session, SESSION_ENDED, Some(ENDED_KEPT));
        self.expire(Jar::PendingLogin);
        self.authorized();
        self.caller = None;
    }
}
