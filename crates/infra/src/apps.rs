//! `AppRepo` over SQL. A key is found by its keyed hash (the primary key of
//! `app_keys`), and whether it still works is decided by the same SELECT
//! (`JOIN apps … WHERE apps.is_active AND (expires_at IS NULL OR
//! expires_at > $now)`), so a deactivation, deletion or expiry holds on
//! every node from the moment it commits.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::app::{App, AppId, AppKey, AppPatch};
use domain::notify::Channel;
use domain::ports::AppRepo;
use sea_orm::{ConnectionTrait, QueryResult, Value};

use crate::db::{Database, execute, internal, query_one, statement};
use crate::key_rows::KeyTable;

const APP_COLUMNS: &str = "apps.id, apps.name, apps.channels, apps.code_length, apps.ttl_seconds, apps.max_attempts, \
     apps.sms_countries, apps.whatsapp_countries, apps.is_active, apps.created_at, apps.modified_at";
/// The app's columns unqualified, for a RETURNING clause.
const RETURNED: &str = "id, name, channels, code_length, ttl_seconds, max_attempts, sms_countries, whatsapp_countries, \
     is_active, created_at, modified_at";

#[derive(Clone)]
pub struct SqlAppRepo {
    db: Database,
}

impl SqlAppRepo {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Channels as stored: their words, comma-separated, in order.
fn channels_text(channels: &[Channel]) -> String {
    channels.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",")
}

/// Countries as stored: ISO codes, comma-separated; empty for none listed.
fn countries_from(row: &QueryResult, col: &str) -> Result<Vec<String>> {
    let text: String = row.try_get("", col).map_err(internal)?;
    Ok(text.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect())
}

fn app_from(row: &QueryResult) -> Result<App> {
    let get_u32 = |col: &str| -> Result<u32> {
        let n: i32 = row.try_get("", col).map_err(internal)?;
        u32::try_from(n).map_err(domain::Error::internal)
    };
    let words: String = row.try_get("", "channels").map_err(internal)?;
    let channels = words
        .split(',')
        .map(|w| Channel::parse(w).ok_or_else(|| domain::Error::internal(format!("unknown channel {w:?}"))))
        .collect::<Result<Vec<_>>>()?;
    Ok(App {
        id: AppId(row.try_get("", "id").map_err(internal)?),
        name: row.try_get("", "name").map_err(internal)?,
        channels,
        code_length: get_u32("code_length")?,
        code_ttl: Duration::from_secs(u64::from(get_u32("ttl_seconds")?)),
        max_attempts: get_u32("max_attempts")?,
        sms_countries: countries_from(row, "sms_countries")?,
        whatsapp_countries: countries_from(row, "whatsapp_countries")?,
        is_active: row.try_get("", "is_active").map_err(internal)?,
        created_at: row.try_get("", "created_at").map_err(internal)?,
        modified_at: row.try_get("", "modified_at").map_err(internal)?,
    })
}

/// `app_keys`: an application's API keys.
const KEYS: KeyTable = KeyTable { table: "app_keys", hash: "key_hash", owner: "app_id", owners: "apps" };

#[async_trait]
impl AppRepo for SqlAppRepo {
    async fn create(&self, a: &App, key: &AppKey) -> Result<()> {
        let txn = self.db.begin().await.map_err(internal)?;
        let sql = "INSERT INTO apps (id, name, channels, code_length, ttl_seconds, max_attempts, is_active, \
                   modified_at, created_at, sms_countries, whatsapp_countries) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        let values: Vec<Value> = vec![
            a.id.0.into(),
            a.name.clone().into(),
            channels_text(&a.channels).into(),
            (a.code_length as i32).into(),
            (a.code_ttl.as_secs() as i32).into(),
            (a.max_attempts as i32).into(),
            a.is_active.into(),
            a.modified_at.into(),
            a.created_at.into(),
            a.sms_countries.join(",").into(),
            a.whatsapp_countries.join(",").into(),
        ];
        execute(&txn, sql, values).await?;
        KEYS.insert(&txn, key).await?;
        txn.commit().await.map_err(internal)
    }

    async fn get(&self, id: AppId) -> Result<Option<App>> {
        let sql = format!("SELECT {APP_COLUMNS} FROM apps WHERE id = $1");
        query_one(&self.db, &sql, vec![id.0.into()]).await?.as_ref().map(app_from).transpose()
    }

    async fn list(&self, after: Option<AppId>, limit: u32) -> Result<Vec<App>> {
        let (filter, values): (&str, Vec<Value>) = match after {
            Some(a) => ("WHERE id > $2", vec![i64::from(limit).into(), a.0.into()]),
            None => ("", vec![i64::from(limit).into()]),
        };
        let sql = format!("SELECT {APP_COLUMNS} FROM apps {filter} ORDER BY id LIMIT $1");
        let rows = self.db.query_all_raw(statement(&self.db, &sql, values)).await.map_err(internal)?;
        rows.iter().map(app_from).collect()
    }

    async fn update(&self, id: AppId, p: &AppPatch, now: DateTime<Utc>) -> Result<Option<App>> {
        // Each setting from the patch or, unset, from the row as this
        // statement finds it: concurrent changes of other settings stay.
        let sql = format!(
            "UPDATE apps SET name = COALESCE($2, name), channels = COALESCE($3, channels), \
             code_length = COALESCE($4, code_length), ttl_seconds = COALESCE($5, ttl_seconds), \
             max_attempts = COALESCE($6, max_attempts), is_active = COALESCE($7, is_active), modified_at = $8, \
             sms_countries = COALESCE($9, sms_countries), whatsapp_countries = COALESCE($10, whatsapp_countries) \
             WHERE id = $1 RETURNING {RETURNED}"
        );
        let values: Vec<Value> = vec![
            id.0.into(),
            p.name.clone().into(),
            p.channels.as_deref().map(channels_text).into(),
            p.code_length.map(|n| n as i32).into(),
            p.code_ttl.map(|t| t.as_secs() as i32).into(),
            p.max_attempts.map(|n| n as i32).into(),
            p.is_active.into(),
            now.into(),
            p.sms_countries.as_ref().map(|c| c.join(",")).into(),
            p.whatsapp_countries.as_ref().map(|c| c.join(",")).into(),
        ];
        query_one(&self.db, &sql, values).await?.as_ref().map(app_from).transpose()
    }

    async fn delete(&self, id: AppId) -> Result<bool> {
        let txn = self.db.begin().await.map_err(internal)?;
        // Its messages, queued or settled, go first: a deleted app's code is never sent.
        execute(&txn, "DELETE FROM deliveries WHERE app_id = $1", vec![id.0.into()]).await?;
        // fk_app_keys_app and fk_otp_challenges_app (ON DELETE CASCADE)
        // remove its keys and verifications in the same statement.
        let deleted = execute(&txn, "DELETE FROM apps WHERE id = $1", vec![id.0.into()]).await? == 1;
        txn.commit().await.map_err(internal)?;
        Ok(deleted)
    }

    async fn add_key(&self, key: &AppKey, others_until: DateTime<Utc>) -> Result<bool> {
        KEYS.rotate(&self.db, key, others_until).await
    }

    async fn by_key(&self, hash: &[u8], now: DateTime<Utc>) -> Result<Option<App>> {
        let sql = format!(
            "SELECT {APP_COLUMNS} FROM app_keys JOIN apps ON apps.id = app_keys.app_id \
             WHERE app_keys.key_hash = $1 AND apps.is_active AND (app_keys.expires_at IS NULL OR app_keys.expires_at > $2)"
        );
        query_one(&self.db, &sql, vec![hex::encode(hash).into(), now.into()]).await?.as_ref().map(app_from).transpose()
    }

    async fn keys(&self, id: AppId) -> Result<Vec<AppKey>> {
        KEYS.of(&self.db, id).await
    }
}
