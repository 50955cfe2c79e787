//! The composition root of the domain: the adapters it runs on ([`Ports`])
//! and the services built on them ([`Services`]), each holding only what it
//! uses. The api attaches each service to the routes that call it.

use std::sync::Arc;

use crate::account::Accounts;
use crate::admin::Admin;
use crate::audit::Audit;
use crate::clock::Clock;
use crate::login::Login;
use crate::otp::SecondFactor;
use crate::otp::second_factor::SecondFactorPorts;
use crate::policy::Policy;
use crate::ports::{
    AuditLog, Mailer, OtpHasher, OtpRepo, PasswordHasher, SessionRepo, ThrottleStore, TokenCodec, UserRepo,
};
use crate::rng::Rng;
use crate::session::Sessions;
use crate::throttle::Throttle;
use crate::token::Tokens;

/// The adapters the services run on.
#[derive(Clone)]
pub struct Ports {
    pub users: Arc<dyn UserRepo>,
    pub sessions: Arc<dyn SessionRepo>,
    pub otps: Arc<dyn OtpRepo>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenCodec>,
    pub otp_hasher: Arc<dyn OtpHasher>,
    pub mailer: Arc<dyn Mailer>,
    pub audit: Arc<dyn AuditLog>,
    pub throttle: Arc<dyn ThrottleStore>,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn Rng>,
}

/// Every use case, grouped by what a caller wants done.
#[derive(Clone)]
pub struct Services {
    /// Password step of a login.
    pub login: Login,
    /// Second-factor step of a login.
    pub second_factor: SecondFactor,
    /// Access-token checks, refresh, logout.
    pub sessions: Sessions,
    /// A user's own account.
    pub accounts: Accounts,
    /// Administration.
    pub admin: Admin,
    /// Per-address limits and purging of counters.
    pub throttle: Throttle,
}

impl Services {
    pub fn new(p: Ports, policy: Policy) -> Self {
        let audit = Audit::new(p.audit, p.clock.clone(), p.rng.clone());
        let tokens = Tokens::new(p.tokens, p.clock.clone(), p.rng.clone(), policy.access_ttl, policy.refresh_ttl);
        let throttle = Throttle::new(p.throttle, p.clock.clone(), audit.clone(), policy.rate_limits);
        let sessions = Sessions::new(
            p.sessions,
            tokens.clone(),
            audit.clone(),
            p.clock.clone(),
            p.rng.clone(),
            policy.refresh_ttl,
        );
        let second_factor = SecondFactor::new(
            SecondFactorPorts {
                otps: p.otps,
                otp_hasher: p.otp_hasher,
                mailer: p.mailer,
                users: p.users.clone(),
                clock: p.clock.clone(),
                rng: p.rng.clone(),
            },
            tokens,
            sessions.clone(),
            throttle.clone(),
            audit.clone(),
            policy.temporary_ttl,
            policy.otp_resend_cooldown,
        );
        let login = Login::new(
            p.users.clone(),
            p.hasher.clone(),
            throttle.clone(),
            sessions.clone(),
            second_factor.clone(),
            audit.clone(),
        );
        let accounts =
            Accounts::new(p.users.clone(), p.hasher, sessions.clone(), audit.clone(), p.clock.clone(), p.rng);
        let admin = Admin::new(p.users, accounts.clone(), sessions.clone(), throttle.clone(), audit, p.clock);
        Self { login, second_factor, sessions, accounts, admin, throttle }
    }
}
