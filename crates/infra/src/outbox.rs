//! The delivery outbox over SQL. Rows are inserted by `SqlOtpRepo` inside
//! its transactions ([`insert`], [`supersede`]); the courier claims and
//! settles them through [`SqlOutbox`]. A claim is one statement on both
//! backends: PostgreSQL picks the rows with `FOR UPDATE SKIP LOCKED`, so
//! concurrent claimers on many nodes pass over each other's rows instead of
//! waiting or sharing them; SQLite runs one writer at a time, so its
//! conditional UPDATE is already exclusive.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::notify::{Channel, Delivery, DeliveryStatus, MessageKind, Settlement};
use domain::ports::Outbox;
use domain::user::UserId;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Value};
use uuid::Uuid;

use crate::db::{Database, execute, internal, query_one, statement};

/// Rung after a transaction that queued a message commits, so this node's
/// courier sends it at once instead of at its next poll.
#[derive(Clone, Default)]
pub struct Doorbell(Arc<tokio::sync::Notify>);

impl Doorbell {
    pub fn ring(&self) {
        self.0.notify_one();
    }

    /// Waits for the next ring (or one that came while nobody waited).
    pub async fn rung(&self) {
        self.0.notified().await
    }
}

const COLUMNS: &str = "id, user_id, channel, destination, kind, sealed_code, expires_at, status, attempts, \
                       next_attempt_at, provider_id, last_error, created_at, settled_at, app_id, sender";

/// Queues `d` on `conn` (a transaction of the caller's).
pub(crate) async fn insert(conn: &impl ConnectionTrait, d: &Delivery) -> Result<()> {
    let sql = format!(
        "INSERT INTO deliveries ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    );
    let values: Vec<Value> = vec![
        d.id.into(),
        d.user_id.map(|u| u.0).into(),
        d.channel.as_str().into(),
        d.to.clone().into(),
        d.kind.as_str().into(),
        d.sealed_code.clone().into(),
        d.expires_at.into(),
        d.status.as_str().into(),
        (d.attempts as i32).into(),
        d.next_attempt_at.into(),
        d.provider_id.clone().into(),
        d.last_error.clone().into(),
        d.created_at.into(),
        d.settled_at.into(),
        d.app_id.map(|a| a.0).into(),
        d.sender.clone().into(),
    ];
    execute(conn, &sql, values).await?;
    Ok(())
}

/// Fails the message carrying `challenge`'s current code if it is still
/// queued, recording `why`: the code is being replaced (or its verification
/// canceled), and it must not go out. A claimed attempt then cannot settle
/// it. Run before the challenge's `delivery_id` moves on.
pub(crate) async fn supersede(
    conn: &impl ConnectionTrait,
    challenge: Uuid,
    now: DateTime<Utc>,
    why: &str,
) -> Result<()> {
    let sql = "UPDATE deliveries SET status = 'failed', last_error = $2, sealed_code = NULL, settled_at = $3 \
               WHERE id = (SELECT delivery_id FROM otp_challenges WHERE id = $1) AND status = 'queued'";
    execute(conn, sql, vec![challenge.into(), why.into(), now.into()]).await?;
    Ok(())
}

fn to_domain(row: &QueryResult) -> Result<Delivery> {
    let get_str = |col: &str| -> Result<String> { row.try_get("", col).map_err(internal) };
    let (channel, kind, status) = (get_str("channel")?, get_str("kind")?, get_str("status")?);
    let unknown = |what: &str, v: &str| domain::Error::internal(format!("unknown delivery {what} {v:?}"));
    let user_id: Option<Uuid> = row.try_get("", "user_id").map_err(internal)?;
    let app_id: Option<Uuid> = row.try_get("", "app_id").map_err(internal)?;
    let attempts: i32 = row.try_get("", "attempts").map_err(internal)?;
    Ok(Delivery {
        id: row.try_get("", "id").map_err(internal)?,
        user_id: user_id.map(UserId),
        app_id: app_id.map(domain::app::AppId),
        sender: row.try_get("", "sender").map_err(internal)?,
        channel: Channel::parse(&channel).ok_or_else(|| unknown("channel", &channel))?,
        to: get_str("destination")?,
        kind: MessageKind::parse(&kind).ok_or_else(|| unknown("kind", &kind))?,
        sealed_code: row.try_get("", "sealed_code").map_err(internal)?,
        expires_at: row.try_get("", "expires_at").map_err(internal)?,
        status: DeliveryStatus::parse(&status).ok_or_else(|| unknown("status", &status))?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        next_attempt_at: row.try_get("", "next_attempt_at").map_err(internal)?,
        provider_id: row.try_get("", "provider_id").map_err(internal)?,
        last_error: row.try_get("", "last_error").map_err(internal)?,
        created_at: row.try_get("", "created_at").map_err(internal)?,
        settled_at: row.try_get("", "settled_at").map_err(internal)?,
    })
}

/// Stored errors are for people; a provider's answer is cut to fit the column.
fn clip(error: &str) -> String {
    error.chars().take(500).collect()
}

#[derive(Clone)]
pub struct SqlOutbox {
    db: Database,
}

impl SqlOutbox {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl Outbox for SqlOutbox {
    async fn claim(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: u32) -> Result<Vec<Delivery>> {
        let lock = if self.db.get_database_backend() == DbBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        // The ids are picked once (a MATERIALIZED CTE: inlined as `IN
        // (SELECT … LIMIT)` PostgreSQL may re-run the pick and update more
        // than `limit` rows); the UPDATE's WHERE repeats the pick's, so a
        // row settled by another claimer in between is left alone.
        let sql = format!(
            "WITH due AS MATERIALIZED (SELECT id FROM deliveries WHERE status = 'queued' AND next_attempt_at <= $1 \
                                       ORDER BY next_attempt_at, id LIMIT $3 {lock}) \
             UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = $2 \
             WHERE id IN (SELECT id FROM due) AND status = 'queued' AND next_attempt_at <= $1 \
             RETURNING {COLUMNS}"
        );
        let values: Vec<Value> = vec![now.into(), lease_until.into(), i64::from(limit).into()];
        let rows = self.db.query_all_raw(statement(&self.db, &sql, values)).await.map_err(internal)?;
        rows.iter().map(to_domain).collect()
    }

    async fn settle(&self, id: Uuid, attempt: u32, outcome: &Settlement, now: DateTime<Utc>) -> Result<bool> {
        let guard = "WHERE id = $1 AND attempts = $2 AND status = 'queued'";
        let (set, values): (&str, Vec<Value>) = match outcome {
            Settlement::Sent { provider_id } => (
                "status = 'sent', provider_id = $3, sealed_code = NULL, settled_at = $4",
                vec![provider_id.clone().into(), now.into()],
            ),
            Settlement::Retry { at, error } => {
                ("next_attempt_at = $3, last_error = $4", vec![(*at).into(), clip(error).into()])
            }
            Settlement::Failed { error } => (
                "status = 'failed', last_error = $3, sealed_code = NULL, settled_at = $4",
                vec![clip(error).into(), now.into()],
            ),
        };
        let sql = format!("UPDATE deliveries SET {set} {guard}");
        let mut all: Vec<Value> = vec![id.into(), (attempt as i32).into()];
        all.extend(values);
        Ok(execute(&self.db, &sql, all).await? == 1)
    }

    async fn get(&self, id: Uuid) -> Result<Option<Delivery>> {
        let sql = format!("SELECT {COLUMNS} FROM deliveries WHERE id = $1");
        query_one(&self.db, &sql, vec![id.into()]).await?.as_ref().map(to_domain).transpose()
    }

    async fn queue(&self, d: &Delivery) -> Result<()> {
        // Picked up by the next poll of any node (AUTHD_DELIVERY_POLL_MS).
        insert(&self.db, d).await
    }
}
