//! The SeaORM adapters keep the ports' contracts (`domain::testing::contract`)
//! on every backend: SQLite always, PostgreSQL too when
//! AUTHD_TEST_DATABASE_URL names a server. The in-memory fakes run the same
//! suites in domain's tests.

use test_support::testdb;

use std::sync::Arc;

use domain::testing::contract::Store;
use infra::db::{Database, connect, migrate};

fn store(name: &'static str, db: Database) -> Store {
    Store {
        name,
        users: Arc::new(infra::users::SqlUserRepo::new(db.clone())),
        sessions: Arc::new(infra::sessions::SqlSessionRepo::new(db.clone())),
        otps: Arc::new(infra::otps::SqlOtpRepo::new(db.clone(), Default::default())),
        finisher: Arc::new(infra::login_finish::SqlLoginFinisher::new(db.clone())),
        throttle: Arc::new(infra::throttle::SqlThrottleStore::new(db.clone())),
        audit: Arc::new(infra::audit::SqlAuditLog::new(db.clone())),
        totp: Arc::new(infra::totp::SqlTotpRepo::new(db.clone())),
        recovery_codes: Arc::new(infra::recovery_codes::SqlRecoveryCodeRepo::new(db.clone())),
        outbox: Arc::new(infra::outbox::SqlOutbox::new(db.clone())),
        purge: Arc::new(infra::purge::SqlPurgeStore::new(db.clone())),
        apps: Arc::new(infra::apps::SqlAppRepo::new(db.clone())),
        clients: Arc::new(infra::clients::SqlClientRepo::new(db.clone())),
        authorizations: Arc::new(infra::authorizations::SqlAuthorizationRepo::new(db.clone())),
        passkeys: Arc::new(infra::passkeys::SqlPasskeyRepo::new(db.clone())),
        sms_guard: Arc::new(infra::sms_guard::SqlSmsGuardStore::new(db.clone())),
        trusted_devices: Arc::new(infra::trusted_devices::SqlTrustedDeviceRepo::new(db)),
    }
}

/// A migrated in-memory SQLite database.
pub async fn sqlite_db() -> Database {
    let db = connect("sqlite::memory:", 1).await.expect("open SQLite");
    migrate(&db).await.expect("migrate SQLite");
    db
}

/// A fresh migrated PostgreSQL database, when a server is configured.
pub async fn postgres_db() -> Option<Database> {
    let admin = std::env::var(testdb::POSTGRES_ENV).ok()?;
    let url = testdb::create_postgres_database(&admin)
        .await
        .unwrap_or_else(|e| panic!("{} is set but unusable: {e}", testdb::POSTGRES_ENV));
    let db = connect(&url, 8).await.expect("open PostgreSQL");
    migrate(&db).await.expect("migrate PostgreSQL");
    Some(db)
}

mod sqlite {
    async fn store() -> Option<domain::testing::contract::Store> {
        Some(super::store("sqlite", super::sqlite_db().await))
    }
    domain::port_contracts!(store);
}

mod postgres {
    async fn store() -> Option<domain::testing::contract::Store> {
        Some(super::store("postgres", super::postgres_db().await?))
    }
    domain::port_contracts!(store);
}

/// The decorators a node with revocation push runs, over a memory trusted
/// throughout and no listener: every read of a row this node wrote must
/// still see the write, from its own forgetting alone.
mod pushed_postgres {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    async fn store() -> Option<domain::testing::contract::Store> {
        let db = super::postgres_db().await?;
        let memory = infra::revocation::Revocations::new(Duration::from_secs(3600), Default::default());
        memory.heard_up_to(Instant::now());
        let mut store = super::store("postgres, pushed", db.clone());
        store.users =
            Arc::new(infra::pushed_users::PushedUsers::new(infra::users::SqlUserRepo::new(db.clone()), memory.clone()));
        store.sessions =
            Arc::new(infra::revocation::PushedSessions::new(infra::sessions::SqlSessionRepo::new(db), memory));
        Some(store)
    }
    domain::port_contracts!(store);
}

/// Migrations are the one thing here no fake has: they must undo cleanly.
#[tokio::test]
async fn migrations_roll_back_and_reapply() {
    use domain::ports::UserRepo;
    use migration::{Migrator, MigratorTrait};
    let mut dbs = vec![("sqlite", sqlite_db().await)];
    dbs.extend(postgres_db().await.map(|db| ("postgres", db)));
    for (backend, db) in dbs {
        Migrator::down(db.pool(), None).await.unwrap_or_else(|e| panic!("{backend}: down: {e}"));
        let users = infra::users::SqlUserRepo::new(db.clone());
        let id = domain::user::UserId(uuid::Uuid::new_v4());
        assert!(users.by_id(id).await.is_err(), "{backend}: tables gone");
        Migrator::up(db.pool(), None).await.unwrap_or_else(|e| panic!("{backend}: up again: {e}"));
        users.insert(&domain::testing::contract::new_user(1, "ada")).await.unwrap();
    }
}
