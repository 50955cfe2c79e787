//! SQLite's durability (`AUTHD_SQLITE_SYNCHRONOUS`): every pooled
//! connection to a file runs in WAL mode and syncs each commit before it
//! returns (`synchronous=FULL`), unless the operator chose NORMAL.

use std::time::Duration;

use infra::db::{SqliteSync, Waits, connect_with};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

#[tokio::test]
async fn every_pooled_sqlite_connection_syncs_each_commit_unless_normal_is_chosen() {
    let waits = Waits { acquire: Duration::from_secs(3), statement: Some(Duration::from_secs(5)) };
    for (sync, wanted) in [(SqliteSync::Full, 2), (SqliteSync::Normal, 1)] {
        let dir = std::env::temp_dir().join(format!("authd-durability-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("authd.db").display());
        let db = connect_with(&url, 4, waits, sync).await.unwrap();
        // Four transactions at once: four connections of the pool.
        let mut held = Vec::new();
        for _ in 0..4 {
            held.push(db.begin().await.unwrap());
        }
        for txn in &held {
            let ask = |sql: &str| Statement::from_string(DbBackend::Sqlite, sql);
            let synchronous: i32 =
                txn.query_one_raw(ask("PRAGMA synchronous")).await.unwrap().unwrap().try_get_by_index(0).unwrap();
            let journal: String =
                txn.query_one_raw(ask("PRAGMA journal_mode")).await.unwrap().unwrap().try_get_by_index(0).unwrap();
            assert_eq!((synchronous, journal.as_str()), (wanted, "wal"), "{sync:?}");
        }
        drop(held);
        db.close().await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
