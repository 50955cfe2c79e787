//! Fresh databases for tests: every caller gets its own, migrated.

use sea_orm::ConnectionTrait;

use crate::db::{Database, connect, migrate};

/// The admin URL of a PostgreSQL server tests may create databases on, if any.
pub const POSTGRES_ENV: &str = "AUTHD_TEST_DATABASE_URL";

/// Creates an empty database named `authd_test_<random>` on the server behind
/// `admin_url` and returns its URL.
pub async fn create_postgres_database(admin_url: &str) -> Result<String, sea_orm::DbErr> {
    let name = format!("authd_test_{}", uuid::Uuid::new_v4().simple());
    let admin = connect(admin_url, 1).await?;
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
    admin.close().await?;
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(s, _)| s);
    Ok(match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    })
}

/// One migrated database per backend under test: SQLite in memory always,
/// plus a fresh PostgreSQL database when [`POSTGRES_ENV`] is set.
pub async fn databases() -> Vec<(&'static str, Database)> {
    let mut dbs = Vec::new();
    let sqlite = connect("sqlite::memory:", 1).await.expect("open SQLite");
    migrate(&sqlite).await.expect("migrate SQLite");
    dbs.push(("sqlite", sqlite));
    if let Ok(admin) = std::env::var(POSTGRES_ENV) {
        let url = create_postgres_database(&admin)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_ENV} is set but unusable: {e}"));
        let pg = connect(&url, 8).await.expect("open PostgreSQL");
        migrate(&pg).await.expect("migrate PostgreSQL");
        dbs.push(("postgres", pg));
    }
    dbs
}
