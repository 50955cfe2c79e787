//! The composition root of the domain: the adapters it runs on ([`Ports`],
//! in `ports.rs`) and the services built on them ([`Services`]), each
//! holding only what it uses. The api attaches each service to the routes that call it.

mod ports;

pub use ports::Ports;

use crate::account::Accounts;
use crate::admin::Admin;
use crate::app::Apps;
use crate::assurance::StepUp;
use crate::audit::Audit;
use crate::email::Emails;
use crate::login::Login;
use crate::notify::{Courier, Notices};
use crate::oidc::{Authorizations, Clients, Logouts, TokenGrants};
use crate::otp::mailed_links::MailedLinks;
use crate::otp::{SecondFactor, SentCodes};
use crate::passkey::{PasskeyCeremonies, PasskeySignIn, Passkeys};
use crate::phone::Phones;
use crate::policy::Policy;
use crate::reset::Resets;
use crate::retention::Janitor;
use crate::session::Sessions;
use crate::sms_guard::{PrefixBlocks, SmsGuard};
use crate::throttle::Throttle;
use crate::token::Tokens;
use crate::totp::Authenticator;
use crate::trusted_device::TrustedDevices;
use crate::verification::Verifications;

/// Every use case, grouped by what a caller wants done.
#[derive(Clone)]
pub struct Services {
    /// Password step of a login.
    pub login: Login,
    /// Second-factor step of a login.
    pub second_factor: SecondFactor,
    /// Verifying a user's phone number.
    pub phones: Phones,
    /// Proving a user's email address.
    pub emails: Emails,
    /// Replacing a forgotten password.
    pub resets: Resets,
    /// Access-token checks, refresh, logout.
    pub sessions: Sessions,
    /// A user's own account.
    pub accounts: Accounts,
    /// Proving who one is again from a live session.
    pub step_up: StepUp,
    /// Devices whose logins skip the second factor.
    pub trusted_devices: TrustedDevices,
    /// A user's authenticator app and recovery codes.
    pub authenticator: Authenticator,
    /// A user's passkeys.
    pub passkeys: Passkeys,
    /// Signing in with a passkey alone.
    pub passkey_sign_in: PasskeySignIn,
    /// Administration.
    pub admin: Admin,
    /// Applications using the verification API, and their keys.
    pub apps: Apps,
    /// OpenID Connect clients, and their secrets.
    pub clients: Clients,
    /// The OpenID Connect authorization endpoint: requests, consents, codes.
    pub authorizations: Authorizations,
    /// The OpenID Connect token endpoint: codes and refresh tokens for tokens.
    pub token_grants: TokenGrants,
    /// RP-initiated logout: an application's request to end the browser session.
    pub logouts: Logouts,
    /// The SMS guard's blocked prefixes, for administrators.
    pub prefix_blocks: PrefixBlocks,
    /// Codes applications send to their users and check.
    pub verifications: Verifications,
    /// Per-address limits and purging of counters.
    pub throttle: Throttle,
    /// Sends queued messages; every node runs it in the background.
    pub courier: Courier,
    /// Purges finished data; every node runs it in the background.
    pub janitor: Janitor,
}

impl Services {
    pub fn new(p: Ports, policy: Policy) -> Self {
        let (clock, rng) = (p.clock, p.rng);
        let audit = Audit { log: p.audit, clock: clock.clone(), rng: rng.clone() };
        let tokens = Tokens {
            codec: p.tokens,
            clock: clock.clone(),
            rng: rng.clone(),
            access_ttl: policy.access_ttl,
            refresh_ttl: policy.refresh_ttl,
        };
        let throttle =
            Throttle { store: p.throttle, clock: clock.clone(), audit: audit.clone(), limits: policy.rate_limits };
        let trusted_devices = TrustedDevices {
            repo: p.trusted_devices,
            keyed_hasher: p.keyed_hasher.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
            ttl: policy.trusted_device_ttl,
        };
        let sessions = Sessions {
            trusted_devices: trusted_devices.clone(),
            repo: p.sessions,
            tokens: tokens.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
            refresh_ttl: policy.refresh_ttl,
        };
        let guard = SmsGuard {
            store: p.sms_guard.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            numbers: policy.sms_numbers.clone(),
            prefixes: policy.sms_prefixes.clone(),
        };
        let codes = SentCodes {
            otps: p.otps.clone(),
            outbox: p.outbox.clone(),
            keyed_hasher: p.keyed_hasher.clone(),
            sealer: p.sealer.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
            throttle: throttle.clone(),
            audit: audit.clone(),
            resend_cooldown: policy.otp_resend_cooldown,
            channels: p.notifier.channels(),
            guard: guard.clone(),
        };
        let channels = codes.channels.clone();
        let phones = Phones {
            users: p.users.clone(),
            otps: p.otps.clone(),
            codes: codes.clone(),
            throttle: throttle.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
            code_ttl: policy.temporary_ttl,
        };
        let reset_codes = codes.clone();
        let notices =
            Notices { outbox: p.outbox.clone(), sealer: p.sealer.clone(), clock: clock.clone(), rng: rng.clone() };
        let links = MailedLinks {
            users: p.users.clone(),
            otps: p.otps.clone(),
            keyed_hasher: p.keyed_hasher.clone(),
            codes: codes.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
        };
        let emails = Emails {
            users: p.users.clone(),
            otps: p.otps.clone(),
            links: links.clone(),
            codes: codes.clone(),
            throttle: throttle.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            ttl: policy.email_verification_ttl,
        };
        let verifications = Verifications {
            otps: p.otps.clone(),
            codes: codes.clone(),
            throttle: throttle.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
            max_pending: policy.verification_max_pending,
        };
        let ceremonies = PasskeyCeremonies {
            repo: p.passkeys.clone(),
            webauthn: p.webauthn,
            clock: clock.clone(),
            rng: rng.clone(),
            audit: audit.clone(),
        };
        let second_factor = SecondFactor {
            otps: p.otps.clone(),
            keyed_hasher: p.keyed_hasher.clone(),
            users: p.users.clone(),
            totp: p.totp.clone(),
            recovery_codes: p.recovery_codes.clone(),
            sealer: p.sealer.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
            tokens,
            sessions: sessions.clone(),
            throttle: throttle.clone(),
            audit: audit.clone(),
            codes,
            finisher: p.finisher,
            temporary_ttl: policy.temporary_ttl,
            mail_fallback: policy.totp_mail_fallback,
            passkeys: ceremonies.clone(),
            passkeys_on: policy.passkeys,
            required: policy.require_2fa,
        };
        let courier = Courier {
            outbox: p.outbox,
            notifier: p.notifier,
            sealer: p.sealer.clone(),
            clock: clock.clone(),
            audit: audit.clone(),
            policy: policy.delivery,
            public_url: policy.public_url.clone(),
            guard: guard.clone(),
        };
        let login = Login {
            users: p.users.clone(),
            hasher: p.hasher.clone(),
            throttle: throttle.clone(),
            sessions: sessions.clone(),
            second_factor: second_factor.clone(),
            audit: audit.clone(),
            require_verified_email: policy.require_verified_email,
            emails: emails.clone(),
        };
        let passkey_sign_in = PasskeySignIn {
            ceremonies: ceremonies.clone(),
            users: p.users.clone(),
            login: login.clone(),
            sessions: sessions.clone(),
            throttle: throttle.clone(),
            on: policy.passkeys,
        };
        let resets = Resets {
            users: p.users.clone(),
            links,
            hasher: p.hasher.clone(),
            codes: reset_codes,
            throttle: throttle.clone(),
            sessions: sessions.clone(),
            login: login.clone(),
            notices: notices.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            ttl: policy.reset_ttl,
        };
        let accounts = Accounts {
            second_factor: second_factor.clone(),
            reauth_max_age: policy.reauth_max_age,
            users: p.users.clone(),
            hasher: p.hasher,
            sessions: sessions.clone(),
            throttle: throttle.clone(),
            emails: emails.clone(),
            notices: notices.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
        };
        let authenticator = Authenticator {
            users: p.users.clone(),
            totp: p.totp,
            recovery_codes: p.recovery_codes,
            sealer: p.sealer,
            keyed_hasher: p.keyed_hasher.clone(),
            accounts: accounts.clone(),
            second_factor: second_factor.clone(),
            sessions: sessions.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
        };
        let step_up = StepUp { accounts: accounts.clone(), second_factor: second_factor.clone() };
        let passkeys = Passkeys {
            ceremonies,
            users: p.users.clone(),
            accounts: accounts.clone(),
            sessions: sessions.clone(),
            on: policy.passkeys,
        };
        let janitor =
            Janitor { store: p.purge, throttle: throttle.clone(), clock: clock.clone(), retention: policy.retention };
        let admin = Admin {
            users: p.users.clone(),
            accounts: accounts.clone(),
            sessions: sessions.clone(),
            throttle: throttle.clone(),
            authenticator: authenticator.clone(),
            passkeys: p.passkeys,
            audit: audit.clone(),
            clock: clock.clone(),
        };
        let token_grants = TokenGrants {
            repo: p.authorizations.clone(),
            users: p.users.clone(),
            clients: p.clients.clone(),
            sessions: sessions.clone(),
            id_tokens: p.id_tokens.clone(),
            keyed_hasher: p.keyed_hasher.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            id_token_ttl: policy.access_ttl,
        };
        let prefix_blocks = PrefixBlocks {
            store: guard.store.clone(),
            admin: admin.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
        };
        let logouts = Logouts { clients: p.clients.clone(), id_tokens: p.id_tokens, sessions: sessions.clone() };
        let authorizations = Authorizations {
            repo: p.authorizations,
            clients: p.clients.clone(),
            users: p.users,
            second_factor: second_factor.clone(),
            keyed_hasher: p.keyed_hasher.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
            issuer: policy.public_url.trim_end_matches('/').to_owned(),
        };
        let clients = Clients {
            repo: p.clients,
            admin: admin.clone(),
            keyed_hasher: p.keyed_hasher.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
            secret_grace: policy.app_key_grace,
        };
        let apps = Apps {
            repo: p.apps,
            admin: admin.clone(),
            keyed_hasher: p.keyed_hasher,
            audit,
            clock,
            rng: rng.clone(),
            channels,
            countries: policy.sms_numbers.countries.clone(),
            key_grace: policy.app_key_grace,
        };
        Self {
            login,
            second_factor,
            phones,
            emails,
            resets,
            sessions,
            accounts,
            step_up,
            trusted_devices,
            authenticator,
            passkeys,
            passkey_sign_in,
            admin,
            apps,
            clients,
            authorizations,
            token_grants,
            logouts,
            prefix_blocks,
            verifications,
            throttle,
            courier,
            janitor,
        }
    }
}
