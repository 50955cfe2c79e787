//! authd's schema. Every migration runs on PostgreSQL and SQLite alike and has
//! a real `down` (the session-ended notification, a PostgreSQL trigger, has
//! nothing to create on SQLite). Rules the database enforces are named where
//! they are created.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_users;
mod m20261124_000002_create_sessions;
mod m20261124_000003_create_otp_challenges;
mod m20261124_000004_create_audit_events;
mod m20261124_000005_create_throttles;
mod m20261124_000006_drop_sessions_last_used_at;
mod m20261124_000007_create_second_factors;
mod m20261124_000008_create_deliveries;
mod m20261125_000009_add_phones;
mod m20261125_000010_purge_indexes;
mod m20261201_000011_create_apps;
mod m20261201_000012_app_verifications;
mod m20261201_000013_session_ended_notify;
mod m20261201_000014_create_signing_keys;
mod m20261201_000015_user_changed_notify;
mod m20261206_000016_email_proofs;
mod m20261206_000017_passkeys;
mod m20261206_000018_session_assurance;
mod m20261206_000019_step_up_challenges;
mod m20261206_000020_trusted_devices;
mod m20261206_000021_session_second_factor_due;
mod m20261206_000022_oidc_clients;
mod m20261206_000023_oidc_flows;
mod m20261206_000024_session_client;
mod m20261206_000025_client_credentials;
mod m20261206_000026_client_events;
mod m20261206_000027_sms_prefixes;
mod m20261207_000028_app_countries;
mod sqlite_rebuild;

/// The PostgreSQL channel on which a session's end is announced.
pub use m20261201_000013_session_ended_notify::CHANNEL as SESSION_ENDED_CHANNEL;
/// What a changed user's notification on that channel starts with, before its id.
pub use m20261201_000015_user_changed_notify::USER_PREFIX as USER_CHANGED_PREFIX;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_users::Migration),
            Box::new(m20261124_000002_create_sessions::Migration),
            Box::new(m20261124_000003_create_otp_challenges::Migration),
            Box::new(m20261124_000004_create_audit_events::Migration),
            Box::new(m20261124_000005_create_throttles::Migration),
            Box::new(m20261124_000006_drop_sessions_last_used_at::Migration),
            Box::new(m20261124_000007_create_second_factors::Migration),
            Box::new(m20261124_000008_create_deliveries::Migration),
            Box::new(m20261125_000009_add_phones::Migration),
            Box::new(m20261125_000010_purge_indexes::Migration),
            Box::new(m20261201_000011_create_apps::Migration),
            Box::new(m20261201_000012_app_verifications::Migration),
            Box::new(m20261201_000013_session_ended_notify::Migration),
            Box::new(m20261201_000014_create_signing_keys::Migration),
            Box::new(m20261201_000015_user_changed_notify::Migration),
            Box::new(m20261206_000016_email_proofs::Migration),
            Box::new(m20261206_000017_passkeys::Migration),
            Box::new(m20261206_000018_session_assurance::Migration),
            Box::new(m20261206_000019_step_up_challenges::Migration),
            Box::new(m20261206_000020_trusted_devices::Migration),
            Box::new(m20261206_000021_session_second_factor_due::Migration),
            Box::new(m20261206_000022_oidc_clients::Migration),
            Box::new(m20261206_000023_oidc_flows::Migration),
            Box::new(m20261206_000024_session_client::Migration),
            Box::new(m20261206_000025_client_credentials::Migration),
            Box::new(m20261206_000026_client_events::Migration),
            Box::new(m20261206_000027_sms_prefixes::Migration),
            Box::new(m20261207_000028_app_countries::Migration),
        ]
    }
}

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    Id,
    Email,
    Username,
    Name,
    Lastname,
    PasswordHash,
    IsAdmin,
    #[sea_orm(iden = "is_2fa")]
    Is2fa,
    IsActive,
    CreatedAt,
    ModifiedAt,
}
