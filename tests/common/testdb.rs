//! Fresh PostgreSQL databases for tests and the benchmark, on the server
//! named by AUTHD_TEST_DATABASE_URL, for infra's tests, the black-box suite
//! and the bench.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, IntoIden, PostgresQueryBuilder, QuotedBuilder};

/// The admin URL of a PostgreSQL server tests may create databases on, if any.
pub const POSTGRES_ENV: &str = "AUTHD_TEST_DATABASE_URL";

/// Creates an empty database named `authd_test_<random>` on the server behind
/// `admin_url` and returns its URL.
pub async fn create_postgres_database(admin_url: &str) -> Result<String, sea_orm::DbErr> {
    let name = format!("authd_test_{}", uuid::Uuid::new_v4().simple());
    // CREATE DATABASE takes no bind parameters: the name goes in as an
    // identifier quoted by sea-query, never spliced in raw.
    let mut sql = String::from("CREATE DATABASE ");
    PostgresQueryBuilder.prepare_iden(&Alias::new(name.as_str()).into_iden(), &mut sql);
    let mut options = sea_orm::ConnectOptions::new(admin_url);
    options.max_connections(1).sqlx_logging(false);
    let admin = sea_orm::Database::connect(options).await?;
    admin.execute_unprepared(&sql).await?;
    admin.close().await?;
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(s, _)| s);
    Ok(match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    })
}
