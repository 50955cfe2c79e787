//! Every migration has a real `down`: the schema goes all the way down and
//! up again, on SQLite and (with AUTHD_TEST_DATABASE_URL) on PostgreSQL,
//! with rows in the tables the rebuilding migrations copy.

use infra::db::connect;
use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use test_support::testdb;

async fn down_and_up(url: &str) {
    let db = connect(url, 1).await.unwrap();
    Migrator::up(db.pool(), None).await.unwrap();
    db.execute_unprepared(
        "INSERT INTO users (id, email, username, name, lastname, password_hash, is_admin, is_2fa, is_active, created_at, modified_at) \
         VALUES ('0190a1b2-0000-7000-8000-000000000001', 'ada@example.com', 'ada', 'Ada', 'Lovelace', 'x', false, true, true, \
         '2026-12-06 00:00:00+00', '2026-12-06 00:00:00+00')",
    )
    .await
    .unwrap();
    let applied = Migrator::get_applied_migrations(&db).await.unwrap().len();
    assert_eq!(applied, Migrator::migrations().len());
    // Down to the first migration (which creates the users table), keeping the row.
    Migrator::down(db.pool(), Some((applied - 1) as u32)).await.unwrap();
    assert_eq!(Migrator::get_applied_migrations(&db).await.unwrap().len(), 1);
    Migrator::up(db.pool(), None).await.unwrap();
    assert_eq!(Migrator::get_applied_migrations(&db).await.unwrap().len(), applied);
    let kept = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) FROM users"))
        .await;
    let count: i64 = kept.unwrap().unwrap().try_get_by_index(0).unwrap();
    assert_eq!(count, 1, "the user row lived through every down and up");
}

/// A session opened before authd recorded how its user logged in reads as
/// such after the upgrade: no method, proved when it opened.
async fn an_older_session_reads_as_unknown_methods_proved_when_it_opened(url: &str) {
    use domain::ports::SessionRepo;
    let db = connect(url, 1).await.unwrap();
    let migrations = Migrator::migrations();
    let before = migrations.iter().position(|m| m.name() == "m20261206_000018_session_assurance").unwrap();
    Migrator::up(db.pool(), Some(before as u32)).await.unwrap();
    let user = uuid::Uuid::new_v4();
    let opened = chrono::DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z").unwrap().to_utc();
    let add_user = "INSERT INTO users (id, email, username, name, lastname, password_hash, is_admin, is_2fa, is_active, \
                    created_at, modified_at) VALUES ($1, 'ada@example.com', 'ada', 'Ada', 'Lovelace', 'x', false, true, true, $2, $2)";
    let backend = db.get_database_backend();
    db.execute_raw(sea_orm::Statement::from_sql_and_values(backend, add_user, [user.into(), opened.into()]))
        .await
        .unwrap();
    let id = uuid::Uuid::new_v4();
    let insert = "INSERT INTO sessions (id, user_id, refresh_jti, created_at, expires_at, revoked_at) \
                  VALUES ($1, $2, $3, $4, $5, NULL)";
    let values = vec![id.into(), user.into(), uuid::Uuid::new_v4().into(), opened.into(), opened.into()];
    db.execute_raw(sea_orm::Statement::from_sql_and_values(backend, insert, values)).await.unwrap();
    Migrator::up(db.pool(), None).await.unwrap();
    let read = infra::sessions::SqlSessionRepo::new(db.clone()).get(id).await.unwrap().expect("the session");
    assert_eq!(
        read.assurance,
        domain::assurance::Assurance { auth_time: opened, ..domain::assurance::Assurance::UNKNOWN }
    );
}

#[tokio::test]
async fn a_session_from_before_the_assurance_columns_says_no_method_proved_when_it_opened() {
    an_older_session_reads_as_unknown_methods_proved_when_it_opened("sqlite::memory:").await;
    if let Ok(admin) = std::env::var(testdb::POSTGRES_ENV) {
        an_older_session_reads_as_unknown_methods_proved_when_it_opened(
            &testdb::create_postgres_database(&admin).await.unwrap(),
        )
        .await;
    }
}

#[tokio::test]
async fn every_migration_goes_down_and_up_again_on_sqlite() {
    down_and_up("sqlite::memory:").await;
}

#[tokio::test]
async fn every_migration_goes_down_and_up_again_on_postgres() {
    let Ok(admin) = std::env::var(testdb::POSTGRES_ENV) else {
        println!("skipped: needs a PostgreSQL server (AUTHD_TEST_DATABASE_URL); CI runs it there");
        return;
    };
    down_and_up(&testdb::create_postgres_database(&admin).await.unwrap()).await;
}
