//! The configured database: waited for while it is not reachable yet
//! (`AUTHD_DB_CONNECT_TIMEOUT`), pooled with the request and statement
//! waits, and migrated when allowed (`AUTHD_AUTO_MIGRATE`).

use std::time::Duration;

use anyhow::Context;
use infra::Database;

use crate::config::{Settings, SqliteSynchronous};

/// The configured database, reachable and (when allowed) migrated, and its URL.
pub async fn open(settings: &Settings) -> anyhow::Result<(String, Database)> {
    crate::boot::data_dir::prepare(&settings.server.data_dir)?;
    let url = settings.database_url();
    infra::db::wait_until_reachable(&url, Duration::from_secs(settings.database.db_connect_timeout))
        .await
        // The error's text already holds its cause: no chain to repeat it.
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| {
            format!(
                "cannot reach the database (DATABASE_URL; AUTHD_DB_CONNECT_TIMEOUT={} s)",
                settings.database.db_connect_timeout
            )
        })?;
    let waits = infra::db::Waits {
        acquire: Duration::from_millis(settings.database.db_acquire_timeout_ms),
        statement: (settings.database.db_statement_timeout_ms > 0)
            .then(|| Duration::from_millis(settings.database.db_statement_timeout_ms)),
    };
    let sqlite_sync = match settings.database.sqlite_synchronous {
        SqliteSynchronous::Full => infra::db::SqliteSync::Full,
        SqliteSynchronous::Normal => infra::db::SqliteSync::Normal,
    };
    let db = infra::db::connect_with(&url, settings.database.db_max_connections, waits, sqlite_sync)
        .await
        .context("cannot open the database (check DATABASE_URL)")?;
    if settings.database.auto_migrate {
        infra::db::migrate_before_serving(&url, &db).await.context("migrating the database failed")?;
    }
    Ok((url, db))
}
