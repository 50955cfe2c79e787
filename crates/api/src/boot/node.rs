//! One node: settings → adapters → use cases. Every adapter is built here
//! (or in the sibling files of `boot/` it calls), once.

use std::sync::Arc;
use std::time::Duration;

use domain::{Ports, Services};
use infra::Database;
use infra::outbox::Doorbell;
use secrecy::ExposeSecret;

use crate::boot::secrets;
use crate::config::Settings;

/// One authd node: the use cases on the real adapters, the database pool
/// they share, and the doorbell that wakes this node's courier.
pub struct Node {
    pub services: Services,
    pub db: Database,
    pub doorbell: Doorbell,
    /// The revocation listener to start when serving (PostgreSQL with
    /// revocation push); until it runs, every check reads the database.
    pub listener: Option<infra::revocation_listener::Listener>,
    /// The EdDSA signing keys (`AUTHD_JWT_ALG=EdDSA`), to reload while serving.
    pub signing_keys: Arc<infra::signing_keys::SigningKeys>,
}

/// Opens the database (migrating it when allowed) and builds the use cases on
/// the real adapters.
pub async fn build_services(settings: &Settings) -> anyhow::Result<Node> {
    let (url, db) = crate::boot::database::open(settings).await?;
    let secret = secrets::jwt_secret(settings)?;
    let secret = secret.expose_secret().as_bytes();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let doorbell = Doorbell::default();
    // Revocation push: on PostgreSQL unless turned off. SQLite has one node,
    // and its in-process database answers a check without a network trip.
    let listener = (settings.database.revocation_push && url.starts_with("postgres")).then(|| {
        let ping = Duration::from_millis(settings.database.revocation_ping_ms);
        infra::revocation_listener::Listener::new(
            &url,
            db.clone(),
            infra::revocation::Revocations::new(
                3 * ping,
                infra::revocation::Bounds {
                    sessions: settings.database.memory_sessions,
                    users: settings.database.memory_users,
                },
            ),
            ping,
            Duration::from_millis(settings.database.revocation_retry_ms),
        )
    });
    let sealer = secrets::sealer(settings)?;
    let clock: Arc<dyn domain::clock::Clock> = Arc::new(infra::clock::SystemClock);
    let (tokens, signing_keys) =
        crate::boot::signing::token_codec(settings, &db, sealer.clone(), clock.clone()).await?;
    // With revocation push, users and sessions answer from the node's memory.
    let (users, sessions): (Arc<dyn domain::ports::UserRepo>, Arc<dyn domain::ports::SessionRepo>) = {
        let (users, sessions) =
            (infra::users::SqlUserRepo::new(db.clone()), infra::sessions::SqlSessionRepo::new(db.clone()));
        match &listener {
            Some(l) => (
                Arc::new(infra::pushed_users::PushedUsers::new(users, l.memory())),
                Arc::new(infra::revocation::PushedSessions::new(sessions, l.memory())),
            ),
            None => (Arc::new(users), Arc::new(sessions)),
        }
    };
    let ports = Ports {
        users,
        sessions,
        otps: Arc::new(infra::otps::SqlOtpRepo::new(db.clone(), doorbell.clone())),
        finisher: Arc::new(infra::login_finish::SqlLoginFinisher::new(db.clone())),
        hasher: Arc::new(
            infra::hasher::Argon2Hasher::new(Default::default(), settings.limits.hash_concurrency.unwrap_or(cores))?
                .max_wait(
                    (settings.limits.hash_queue_max_wait_ms > 0)
                        .then(|| Duration::from_millis(settings.limits.hash_queue_max_wait_ms)),
                ),
        ),
        tokens,
        keyed_hasher: Arc::new(infra::keyed_hash::HmacKeyedHasher::derived_from(secret)),
        notifier: Arc::new(crate::boot::senders::build(settings)?),
        outbox: Arc::new(infra::outbox::SqlOutbox::new(db.clone())),
        audit: Arc::new(infra::audit::SqlAuditLog::new(db.clone())),
        throttle: Arc::new(infra::throttle::SqlThrottleStore::new(db.clone())),
        purge: Arc::new(infra::purge::SqlPurgeStore::new(db.clone())),
        totp: Arc::new(infra::totp::SqlTotpRepo::new(db.clone())),
        recovery_codes: Arc::new(infra::recovery_codes::SqlRecoveryCodeRepo::new(db.clone())),
        apps: Arc::new(infra::apps::SqlAppRepo::new(db.clone())),
        clients: Arc::new(infra::clients::SqlClientRepo::new(db.clone())),
        authorizations: Arc::new(infra::authorizations::SqlAuthorizationRepo::new(db.clone())),
        id_tokens: Arc::new(infra::id_tokens::JwtIdTokens::new(
            signing_keys.clone(),
            &settings.policy().public_url,
            Duration::from_secs(settings.tokens.jwt_key_publish_seconds),
            settings.policy().longest_token_lifetime(),
        )),
        passkeys: Arc::new(infra::passkeys::SqlPasskeyRepo::new(db.clone())),
        trusted_devices: Arc::new(infra::trusted_devices::SqlTrustedDeviceRepo::new(db.clone())),
        sms_guard: Arc::new(infra::sms_guard::SqlSmsGuardStore::new(db.clone())),
        webauthn: Arc::new(webauthn(settings)?),
        sealer,
        clock,
        rng: Arc::new(infra::rng::OsRng),
    };
    Ok(Node { services: Services::new(ports, settings.policy()), db, doorbell, listener, signing_keys })
}

/// The passkey ceremonies for the relying party the settings name: the host
/// of `AUTHD_PUBLIC_URL`, its origin and `AUTHD_WEBAUTHN_ORIGINS`.
fn webauthn(settings: &Settings) -> anyhow::Result<infra::webauthn::WebauthnRs> {
    let f = &settings.factors;
    // With passkeys off no ceremony runs (no route, no method offered): a
    // public URL on an IP address is then fine, and the relying party moot.
    let public_url = if f.passkeys { settings.server.public_url(None) } else { "http://localhost".into() };
    let built = infra::webauthn::RelyingParty::new(&public_url, &f.webauthn_rp_name, &f.webauthn_origins())
        .and_then(|rp| infra::webauthn::WebauthnRs::new(&rp));
    built.map_err(|e| anyhow::anyhow!("passkeys (AUTHD_PUBLIC_URL, AUTHD_WEBAUTHN_ORIGINS): {e}"))
}
