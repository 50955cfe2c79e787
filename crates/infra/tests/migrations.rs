//! Every migration has a real `down`: the schema goes all the way down and
//! up again, on SQLite and (with AUTHD_TEST_DATABASE_URL) on PostgreSQL,
//! with rows in the tables the rebuilding migrations copy.

use infra::db::connect;
use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use test_support::testdb;

async fn down_and_up(url: &str) {
    let db = connect(url, 1).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
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
    Migrator::down(&db, Some((applied - 1) as u32)).await.unwrap();
    assert_eq!(Migrator::get_applied_migrations(&db).await.unwrap().len(), 1);
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(Migrator::get_applied_migrations(&db).await.unwrap().len(), applied);
    let kept = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) FROM users"))
        .await;
    let count: i64 = kept.unwrap().unwrap().try_get_by_index(0).unwrap();
    assert_eq!(count, 1, "the user row lived through every down and up");
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
