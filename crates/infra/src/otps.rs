//! `OtpRepo` over SeaORM. Each limit is part of the WHERE clause of the one
//! UPDATE that spends it, so concurrent requests on any node cannot exceed it.
//! A challenge and the message carrying its code are written in one
//! transaction, and the courier's doorbell rings once it commits.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::app::AppId;
use domain::notify::Delivery;
use domain::notify::delivery::{CANCELED, SUPERSEDED};
use domain::otp::{Capped, CodeRules, Method, OtpChallenge, Purpose};
use domain::ports::OtpRepo;
use domain::subject::Subject;
use domain::user::UserId;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Value};
use uuid::Uuid;

use crate::db::{Database, execute, internal, query_one};
use crate::entity::otp_challenges::{self, Column, Entity};
use crate::outbox::{self, Doorbell};

#[derive(Clone)]
pub struct SqlOtpRepo {
    db: Database,
    doorbell: Doorbell,
}

impl SqlOtpRepo {
    /// `doorbell` is rung whenever a message was queued.
    pub fn new(db: Database, doorbell: Doorbell) -> Self {
        Self { db, doorbell }
    }
}

fn to_domain(m: otp_challenges::Model) -> Result<OtpChallenge> {
    let method = Method::parse(&m.method)
        .ok_or_else(|| domain::Error::internal(format!("unknown OTP method {:?}", m.method)))?;
    let purpose = Purpose::parse(&m.purpose)
        .ok_or_else(|| domain::Error::internal(format!("unknown challenge purpose {:?}", m.purpose)))?;
    let owner = match (m.user_id, m.app_id) {
        (Some(u), _) => Subject::User(UserId(u)),
        (None, Some(a)) => Subject::App(AppId(a)),
        (None, None) => return Err(domain::Error::internal("a challenge of no one")),
    };
    let count = |n: i32| u32::try_from(n).unwrap_or(0);
    Ok(OtpChallenge {
        id: m.id,
        owner,
        purpose,
        method,
        destination: m.destination,
        code_hash: hex::decode(&m.code_hash).map_err(domain::Error::internal)?,
        rules: CodeRules { digits: count(m.code_length), max_attempts: count(m.max_attempts) },
        attempts: u32::try_from(m.attempts).unwrap_or(0),
        resends: u32::try_from(m.resends).unwrap_or(0),
        created_at: m.created_at,
        last_sent_at: m.last_sent_at,
        expires_at: m.expires_at,
        used_at: m.used_at,
        canceled_at: m.canceled_at,
        delivery_id: m.delivery_id,
        link_hash: m.link_hash.as_deref().map(hex::decode).transpose().map_err(domain::Error::internal)?,
    })
}

/// UPDATE otp_challenges SET used_at = $now WHERE id = $id AND used_at IS
/// NULL AND canceled_at IS NULL AND attempts < $max AND expires_at > $now:
/// of concurrent callers, one wins. On the pool or inside a caller's transaction.
pub(crate) async fn consume_challenge(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
    max_attempts: u32,
) -> Result<bool> {
    let done = Entity::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .filter(Column::CanceledAt.is_null())
        .filter(Column::Attempts.lt(max_attempts as i32))
        .filter(Column::ExpiresAt.gt(now))
        .exec(conn)
        .await
        .map_err(internal)?;
    Ok(done.rows_affected == 1)
}

/// Every column of a challenge, in the order of [`insert_values`].
const INSERT_COLUMNS: &str = "id, user_id, app_id, purpose, method, destination, code_hash, code_length, max_attempts, \
                              attempts, resends, created_at, last_sent_at, expires_at, used_at, canceled_at, delivery_id, \
                              link_hash";

/// `$1` to `$18`: the values of [`INSERT_COLUMNS`] for `c`.
fn insert_values(c: &OtpChallenge) -> Vec<Value> {
    vec![
        c.id.into(),
        c.owner.user().map(|u| u.0).into(),
        c.owner.app().map(|a| a.0).into(),
        c.purpose.as_str().into(),
        c.method.as_str().into(),
        c.destination.clone().into(),
        hex::encode(&c.code_hash).into(),
        (c.rules.digits as i32).into(),
        (c.rules.max_attempts as i32).into(),
        (c.attempts as i32).into(),
        (c.resends as i32).into(),
        c.created_at.into(),
        c.last_sent_at.into(),
        c.expires_at.into(),
        c.used_at.into(),
        c.canceled_at.into(),
        c.delivery_id.into(),
        c.link_hash.as_ref().map(hex::encode).into(),
    ]
}

/// `INSERT … SELECT $1 … $18 WHERE {condition}`: the challenge is stored
/// only if `condition` (whose own parameters start at `$19`) holds, in the
/// one statement. `$2`/`$3` are its owner, `$4` its purpose, `$6` its destination.
fn insert_where(condition: &str) -> String {
    let params: Vec<String> = (1..=18).map(|i| format!("${i}")).collect();
    format!("INSERT INTO otp_challenges ({INSERT_COLUMNS}) SELECT {} WHERE {condition}", params.join(", "))
}

/// An open challenge, as the cap counts it: unused, not canceled, under its
/// own attempt limit and unexpired at `$19`.
const OPEN: &str = "used_at IS NULL AND canceled_at IS NULL AND attempts < max_attempts AND expires_at > $19";

#[async_trait]
impl OtpRepo for SqlOtpRepo {
    async fn create(&self, c: &OtpChallenge, delivery: Option<&Delivery>) -> Result<()> {
        let model = otp_challenges::ActiveModel {
            id: Set(c.id),
            user_id: Set(c.owner.user().map(|u| u.0)),
            app_id: Set(c.owner.app().map(|a| a.0)),
            purpose: Set(c.purpose.as_str().to_owned()),
            method: Set(c.method.as_str().to_owned()),
            destination: Set(c.destination.clone()),
            code_hash: Set(hex::encode(&c.code_hash)),
            code_length: Set(c.rules.digits as i32),
            max_attempts: Set(c.rules.max_attempts as i32),
            attempts: Set(c.attempts as i32),
            resends: Set(c.resends as i32),
            created_at: Set(c.created_at),
            last_sent_at: Set(c.last_sent_at),
            expires_at: Set(c.expires_at),
            used_at: Set(c.used_at),
            canceled_at: Set(c.canceled_at),
            delivery_id: Set(c.delivery_id),
            link_hash: Set(c.link_hash.as_ref().map(hex::encode)),
        };
        let txn = self.db.begin().await.map_err(internal)?;
        Entity::insert(model).exec_without_returning(&txn).await.map_err(internal)?;
        if let Some(d) = delivery {
            outbox::insert(&txn, d).await?;
        }
        txn.commit().await.map_err(internal)?;
        if delivery.is_some() {
            self.doorbell.ring();
        }
        Ok(())
    }

    async fn create_unless_open(
        &self,
        c: &OtpChallenge,
        d: &Delivery,
        now: DateTime<Utc>,
        max_attempts: u32,
    ) -> Result<bool> {
        let txn = self.db.begin().await.map_err(internal)?;
        if txn.get_database_backend() == DbBackend::Postgres {
            // Under READ COMMITTED two requests would each see no open
            // challenge and both insert; the user's row lock queues them, and
            // the INSERT below then sees what the first committed. SQLite runs
            // one writer at a time, so the INSERT alone suffices there.
            let user = c.owner.user().ok_or_else(|| domain::Error::internal("a user's challenge only"))?;
            query_one(&txn, "SELECT id FROM users WHERE id = $1 FOR UPDATE", vec![user.0.into()]).await?;
        }
        let sql = insert_where(
            "NOT EXISTS (SELECT 1 FROM otp_challenges WHERE user_id = $2 AND purpose = $4 AND destination = $6 \
             AND used_at IS NULL AND canceled_at IS NULL AND attempts < $20 AND expires_at > $19)",
        );
        let mut values = insert_values(c);
        values.extend([now.into(), (max_attempts as i32).into()]);
        if execute(&txn, &sql, values).await? == 0 {
            return Ok(false); // dropping the transaction rolls it back
        }
        outbox::insert(&txn, d).await?;
        txn.commit().await.map_err(internal)?;
        self.doorbell.ring();
        Ok(true)
    }

    async fn create_capped(&self, c: &OtpChallenge, d: &Delivery, now: DateTime<Utc>, max_open: u32) -> Result<Capped> {
        let owner = if c.owner.app().is_some() { "app_id = $3" } else { "user_id = $2" };
        let same = format!("{owner} AND purpose = $4 AND destination = $6 AND {OPEN}");
        let txn = self.db.begin().await.map_err(internal)?;
        if txn.get_database_backend() == DbBackend::Postgres {
            // Under READ COMMITTED two requests would each count the open
            // ones and both insert; a lock on the owner and destination queues
            // them, and the count below then sees what the first committed.
            // SQLite runs one writer at a time, so the INSERT alone suffices.
            let key =
                format!("otp_cap:{:?}:{}:{}", c.owner, c.purpose.as_str(), c.destination.as_deref().unwrap_or(""));
            query_one(&txn, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", vec![key.into()]).await?;
        }
        let sql = insert_where(&format!("(SELECT COUNT(*) FROM otp_challenges WHERE {same}) < $20"));
        let mut values = insert_values(c);
        values.extend([now.into(), i64::from(max_open).into()]);
        if execute(&txn, &sql, values.clone()).await? == 0 {
            let first = format!("SELECT MIN(expires_at) AS frees_at FROM otp_challenges WHERE {same}");
            values.truncate(19); // the challenge's values and `now` ($19)
            let row = query_one(&txn, &first, values).await?;
            let frees_at: Option<DateTime<Utc>> =
                row.map(|r| r.try_get("", "frees_at")).transpose().map_err(internal)?.flatten();
            return Ok(Capped::Full { frees_at: frees_at.unwrap_or(now) });
        }
        outbox::insert(&txn, d).await?;
        txn.commit().await.map_err(internal)?;
        self.doorbell.ring();
        Ok(Capped::Created)
    }

    async fn cancel(&self, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
        let txn = self.db.begin().await.map_err(internal)?;
        let sql = "UPDATE otp_challenges SET canceled_at = $2 WHERE id = $1 AND used_at IS NULL \
                   AND canceled_at IS NULL AND attempts < max_attempts AND expires_at > $2";
        if execute(&txn, sql, vec![id.into(), now.into()]).await? != 1 {
            return Ok(false);
        }
        outbox::supersede(&txn, id, now, CANCELED).await?;
        txn.commit().await.map_err(internal)?;
        Ok(true)
    }

    async fn get(&self, id: Uuid) -> Result<Option<OtpChallenge>> {
        Entity::find_by_id(id).one(&self.db).await.map_err(internal)?.map(to_domain).transpose()
    }

    async fn by_link(&self, link_hash: &[u8]) -> Result<Option<OtpChallenge>> {
        // The unique index ux_otp_challenges_link_hash finds it.
        let found = Entity::find().filter(Column::LinkHash.eq(hex::encode(link_hash))).one(&self.db).await;
        found.map_err(internal)?.map(to_domain).transpose()
    }

    async fn latest(&self, user: UserId, purpose: Purpose) -> Result<Option<OtpChallenge>> {
        Entity::find()
            .filter(Column::UserId.eq(user.0))
            .filter(Column::Purpose.eq(purpose.as_str()))
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .one(&self.db)
            .await
            .map_err(internal)?
            .map(to_domain)
            .transpose()
    }

    async fn consume(&self, id: Uuid, now: DateTime<Utc>, max_attempts: u32) -> Result<bool> {
        consume_challenge(&self.db, id, now, max_attempts).await
    }

    async fn record_failure(&self, id: Uuid, max_attempts: u32) -> Result<bool> {
        // UPDATE ... SET attempts = attempts + 1 WHERE ... attempts < $max:
        // parallel wrong guesses cannot push the count past the limit.
        let done = Entity::update_many()
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .filter(Column::Id.eq(id))
            .filter(Column::UsedAt.is_null())
            .filter(Column::CanceledAt.is_null())
            .filter(Column::Attempts.lt(max_attempts as i32))
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected == 1)
    }

    async fn replace_code(
        &self,
        id: Uuid,
        method: Method,
        hash: &[u8],
        now: DateTime<Utc>,
        sent_before: DateTime<Utc>,
        max_attempts: u32,
        max_resends: u32,
        delivery: &Delivery,
    ) -> Result<bool> {
        let txn = self.db.begin().await.map_err(internal)?;
        // The conditional UPDATE takes the challenge's row lock (PostgreSQL)
        // or the write lock (SQLite) first, so only the resend that won
        // supersedes the previous message and queues its own.
        let done = Entity::update_many()
            .col_expr(Column::CodeHash, Expr::value(hex::encode(hash)))
            .col_expr(Column::Method, Expr::value(method.as_str()))
            .col_expr(Column::Resends, Expr::col(Column::Resends).add(1))
            .col_expr(Column::LastSentAt, Expr::value(now))
            .filter(Column::Id.eq(id))
            .filter(Column::UsedAt.is_null())
            .filter(Column::CanceledAt.is_null())
            .filter(Column::Attempts.lt(max_attempts as i32))
            .filter(Column::Resends.lt(max_resends as i32))
            .filter(Column::LastSentAt.lte(sent_before))
            .filter(Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await
            .map_err(internal)?;
        if done.rows_affected != 1 {
            return Ok(false);
        }
        outbox::supersede(&txn, id, now, SUPERSEDED).await?;
        outbox::insert(&txn, delivery).await?;
        Entity::update_many()
            .col_expr(Column::DeliveryId, Expr::value(delivery.id))
            .filter(Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(internal)?;
        txn.commit().await.map_err(internal)?;
        self.doorbell.ring();
        Ok(true)
    }
}
