//! [`Ports`]: every adapter the domain's services run on, one field per
//! port, as the infra crate (or the tests' memory fakes) provides them.

use std::sync::Arc;

use crate::clock::Clock;
use crate::ports::{
    AppRepo, AuditLog, AuthorizationRepo, ClientRepo, IdTokenSigner, KeyedHasher, LoginFinisher, Notifier, OtpRepo,
    Outbox, PasskeyRepo, PasswordHasher, PurgeStore, RecoveryCodeRepo, SecretSealer, SessionRepo, SmsGuardStore,
    ThrottleStore, TokenCodec, TotpRepo, TrustedDeviceRepo, UserRepo, WebAuthn,
};
use crate::rng::Rng;

/// The adapters the services run on.
#[derive(Clone)]
pub struct Ports {
    pub users: Arc<dyn UserRepo>,
    pub sessions: Arc<dyn SessionRepo>,
    pub otps: Arc<dyn OtpRepo>,
    pub finisher: Arc<dyn LoginFinisher>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenCodec>,
    pub keyed_hasher: Arc<dyn KeyedHasher>,
    pub notifier: Arc<dyn Notifier>,
    pub outbox: Arc<dyn Outbox>,
    pub audit: Arc<dyn AuditLog>,
    pub throttle: Arc<dyn ThrottleStore>,
    pub purge: Arc<dyn PurgeStore>,
    pub totp: Arc<dyn TotpRepo>,
    pub recovery_codes: Arc<dyn RecoveryCodeRepo>,
    pub apps: Arc<dyn AppRepo>,
    pub clients: Arc<dyn ClientRepo>,
    pub authorizations: Arc<dyn AuthorizationRepo>,
    pub id_tokens: Arc<dyn IdTokenSigner>,
    pub passkeys: Arc<dyn PasskeyRepo>,
    pub trusted_devices: Arc<dyn TrustedDeviceRepo>,
    /// The SMS guard's counts and blocks per destination prefix.
    pub sms_guard: Arc<dyn SmsGuardStore>,
    pub webauthn: Arc<dyn WebAuthn>,
    pub sealer: Arc<dyn SecretSealer>,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn Rng>,
}
