//! `UserRepo` over SeaORM.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ports::UserRepo;
use domain::user::{LoginName, NewUser, ProfilePatch, StoredUser, User, UserId, UserQuery};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::db::{Database, Transaction, internal, user_write_error};
use crate::entity::users::{self, Column, Entity};

#[derive(Clone)]
pub struct SqlUserRepo {
    db: Database,
}

impl SqlUserRepo {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// A user row without its password hash.
#[derive(FromQueryResult)]
struct UserRow {
    id: Uuid,
    email: String,
    verified_email: Option<String>,
    username: String,
    name: String,
    lastname: String,
    is_admin: bool,
    is_2fa: bool,
    is_active: bool,
    phone: Option<String>,
    phone_verified_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    modified_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: UserId(r.id),
            email: r.email,
            verified_email: r.verified_email,
            username: r.username,
            name: r.name,
            lastname: r.lastname,
            is_admin: r.is_admin,
            is_2fa: r.is_2fa,
            is_active: r.is_active,
            phone: r.phone,
            phone_verified_at: r.phone_verified_at,
            created_at: r.created_at,
            modified_at: r.modified_at,
        }
    }
}

/// The columns a listing selects: every one but the password hash, which
/// a listing never needs. [`ListedRow`] decodes them by position, in this order.
const LISTED: [Column; 13] = [
    Column::Id,
    Column::Email,
    Column::VerifiedEmail,
    Column::Username,
    Column::Name,
    Column::Lastname,
    Column::IsAdmin,
    Column::Is2fa,
    Column::IsActive,
    Column::Phone,
    Column::PhoneVerifiedAt,
    Column::CreatedAt,
    Column::ModifiedAt,
];

/// A listed user, decoded by position in [`LISTED`]'s order (more columns
/// than sea-orm's tuples take).
struct ListedRow(User);

impl FromQueryResult for ListedRow {
    fn from_query_result(r: &sea_orm::QueryResult, _: &str) -> std::result::Result<Self, DbErr> {
        Ok(Self(User {
            id: UserId(r.try_get_by_index(0)?),
            email: r.try_get_by_index(1)?,
            verified_email: r.try_get_by_index(2)?,
            username: r.try_get_by_index(3)?,
            name: r.try_get_by_index(4)?,
            lastname: r.try_get_by_index(5)?,
            is_admin: r.try_get_by_index(6)?,
            is_2fa: r.try_get_by_index(7)?,
            is_active: r.try_get_by_index(8)?,
            phone: r.try_get_by_index(9)?,
            phone_verified_at: r.try_get_by_index(10)?,
            created_at: r.try_get_by_index(11)?,
            modified_at: r.try_get_by_index(12)?,
        }))
    }
}

/// A user row with its password hash, for the lookups that check passwords.
#[derive(FromQueryResult)]
struct StoredRow {
    #[sea_orm(nested)]
    user: UserRow,
    password_hash: String,
}

impl From<StoredRow> for StoredUser {
    fn from(r: StoredRow) -> Self {
        StoredUser { user: r.user.into(), password_hash: r.password_hash }
    }
}

#[async_trait]
impl UserRepo for SqlUserRepo {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, u: &NewUser) -> Result<User> {
        let model = users::ActiveModel {
            id: Set(u.id.0),
            email: Set(u.email.as_str().to_owned()),
            verified_email: Set(None),
            username: Set(u.username.as_str().to_owned()),
            name: Set(u.name.as_str().to_owned()),
            lastname: Set(u.lastname.as_str().to_owned()),
            password_hash: Set(u.password_hash.clone()),
            is_admin: Set(u.is_admin),
            is_2fa: Set(u.is_2fa),
            is_active: Set(true),
            phone: Set(u.phone.as_ref().map(|p| p.as_str().to_owned())),
            phone_verified_at: Set(None),
            created_at: Set(u.created_at),
            modified_at: Set(u.created_at),
        };
        Entity::insert(model).exec(&self.db).await.map_err(user_write_error)?;
        let stored = self.by_id(u.id).await?.ok_or_else(|| domain::Error::internal("inserted user vanished"))?;
        Ok(stored.user)
    }

    async fn by_id(&self, id: UserId) -> Result<Option<StoredUser>> {
        Ok(Entity::find_by_id(id.0).into_model::<StoredRow>().one(&self.db).await.map_err(internal)?.map(Into::into))
    }

    async fn by_login(&self, login: &LoginName) -> Result<Option<StoredUser>> {
        let filter = match login {
            LoginName::Email(e) => Column::Email.eq(e.as_str()),
            LoginName::Username(n) => Column::Username.eq(n.as_str()),
        };
        Ok(Entity::find()
            .filter(filter)
            .into_model::<StoredRow>()
            .one(&self.db)
            .await
            .map_err(internal)?
            .map(Into::into))
    }

    #[tracing::instrument(skip_all)]
    async fn update_profile(&self, id: UserId, p: &ProfilePatch, now: DateTime<Utc>) -> Result<Option<User>> {
        let mut update =
            Entity::update_many().col_expr(Column::ModifiedAt, Expr::value(now)).filter(Column::Id.eq(id.0));
        if let Some(v) = &p.email {
            update = update.col_expr(Column::Email, Expr::value(v.as_str()));
        }
        if let Some(v) = &p.username {
            update = update.col_expr(Column::Username, Expr::value(v.as_str()));
        }
        if let Some(v) = &p.name {
            update = update.col_expr(Column::Name, Expr::value(v.as_str()));
        }
        if let Some(v) = &p.lastname {
            update = update.col_expr(Column::Lastname, Expr::value(v.as_str()));
        }
        if let Some(phone) = &p.phone {
            let phone = phone.as_ref().map(|p| p.as_str().to_owned());
            // SET phone_verified_at = CASE WHEN phone = $new THEN
            // phone_verified_at ELSE NULL END: both sides read the old row,
            // so another number (or none) is unverified in this statement.
            let kept = Expr::case(Column::Phone.eq(phone.clone()), Expr::col(Column::PhoneVerifiedAt))
                .finally(Expr::value(Option::<DateTime<Utc>>::None));
            update = update.col_expr(Column::PhoneVerifiedAt, kept.into()).col_expr(Column::Phone, Expr::value(phone));
        }
        if let Some(v) = p.is_2fa {
            update = update.col_expr(Column::Is2fa, Expr::value(v));
        }
        if let Some(v) = p.is_admin {
            update = update.col_expr(Column::IsAdmin, Expr::value(v));
        }
        if let Some(v) = p.is_active {
            update = update.col_expr(Column::IsActive, Expr::value(v));
        }
        if p.forget_proved_email {
            update = update.col_expr(Column::VerifiedEmail, Expr::value(Option::<String>::None));
        }
        // A new address kills the account's open resets, in the same transaction.
        let new_email = p.email.is_some();
        let changed = if p.may_remove_an_admin() {
            self.guarded(|txn| async move {
                let n = update.filter(keeps_an_admin(id)).exec(&txn).await?.rows_affected;
                if n == 1 && new_email {
                    cancel_open_links(&txn, id, now).await?;
                }
                Ok((n, txn))
            })
            .await?
        } else if new_email {
            let txn = self.db.begin().await.map_err(internal)?;
            let n = update.exec(&txn).await.map_err(user_write_error)?.rows_affected;
            if n == 1 {
                cancel_open_links(&txn, id, now).await.map_err(internal)?;
            }
            txn.commit().await.map_err(internal)?;
            n
        } else {
            update.exec(&self.db).await.map_err(user_write_error)?.rows_affected
        };
        if changed == 0 {
            return self.missing_or_last_admin(id).await.map(|()| None);
        }
        Ok(self.by_id(id).await?.map(|s| s.user))
    }

    async fn list(&self, q: &UserQuery) -> Result<Vec<User>> {
        let mut select = Entity::find().order_by_asc(Column::Id).limit(u64::from(q.limit));
        if let Some(after) = q.after {
            select = select.filter(Column::Id.gt(after.0));
        }
        for (column, wanted) in
            [(Column::IsActive, q.is_active), (Column::IsAdmin, q.is_admin), (Column::Is2fa, q.is_2fa)]
        {
            if let Some(b) = wanted {
                select = select.filter(column.eq(b));
            }
        }
        if let Some(term) = &q.search {
            // Substring match on lower-cased fields; %, _ and \ in the term are literal.
            let escaped = term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            let pattern = format!("%{escaped}%");
            let mut any = Condition::any();
            for column in [Column::Email, Column::Username, Column::Name, Column::Lastname] {
                any = any
                    .add(Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(pattern.clone()).escape('\\')));
            }
            select = select.filter(any);
        }
        // Decoded by position: by name, each of a page's 600 values cost a
        // formatted column name and a lookup.
        let rows: Vec<ListedRow> =
            select.select_only().columns(LISTED).into_model().all(&self.db).await.map_err(internal)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    async fn any_active_admin(&self) -> Result<bool> {
        let found: Option<Uuid> = Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(Column::IsAdmin.eq(true))
            .filter(Column::IsActive.eq(true))
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(internal)?;
        Ok(found.is_some())
    }

    async fn confirm_phone(&self, id: UserId, phone: &str, now: DateTime<Utc>) -> Result<bool> {
        // UPDATE users SET phone_verified_at = $now WHERE id = $id AND
        // phone = $phone: a number changed since its code went out stays
        // unverified, whichever node changed it.
        let done = Entity::update_many()
            .col_expr(Column::PhoneVerifiedAt, Expr::value(now))
            .col_expr(Column::ModifiedAt, Expr::value(now))
            .filter(Column::Id.eq(id.0))
            .filter(Column::Phone.eq(phone))
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected == 1)
    }

    async fn confirm_email(&self, id: UserId, email: &str, now: DateTime<Utc>) -> Result<bool> {
        // One transaction: UPDATE users SET verified_email = $email WHERE id
        // = $id AND email = $email (an address changed since its mail went
        // out stays unproved, whichever node changed it), then UPDATE users
        // SET verified_email = NULL WHERE verified_email = $email AND id <>
        // $id (whoever proved it before moved on; the unique email index
        // makes $id its only holder now).
        let txn = self.db.begin().await.map_err(internal)?;
        let done = Entity::update_many()
            .col_expr(Column::VerifiedEmail, Expr::value(email))
            .col_expr(Column::ModifiedAt, Expr::value(now))
            .filter(Column::Id.eq(id.0))
            .filter(Column::Email.eq(email))
            .exec(&txn)
            .await
            .map_err(internal)?;
        if done.rows_affected != 1 {
            return Ok(false); // dropping the transaction rolls it back
        }
        Entity::update_many()
            .col_expr(Column::VerifiedEmail, Expr::value(Option::<String>::None))
            .col_expr(Column::ModifiedAt, Expr::value(now))
            .filter(Column::VerifiedEmail.eq(email))
            .filter(Column::Id.ne(id.0))
            .exec(&txn)
            .await
            .map_err(internal)?;
        txn.commit().await.map_err(internal)?;
        Ok(true)
    }

    async fn set_password_hash(&self, id: UserId, hash: &str, now: DateTime<Utc>) -> Result<bool> {
        // A new password kills the account's open resets, in the same transaction.
        let txn = self.db.begin().await.map_err(internal)?;
        let done = Entity::update_many()
            .col_expr(Column::PasswordHash, Expr::value(hash))
            .col_expr(Column::ModifiedAt, Expr::value(now))
            .filter(Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(internal)?;
        if done.rows_affected != 1 {
            return Ok(false);
        }
        cancel_open_links(&txn, id, now).await.map_err(internal)?;
        txn.commit().await.map_err(internal)?;
        Ok(true)
    }

    async fn delete(&self, id: UserId) -> Result<bool> {
        // ON DELETE CASCADE on fk_sessions_user and fk_otp_challenges_user
        // removes the user's sessions and challenges in the same statement.
        let deleted = self
            .guarded(|txn| async move {
                Entity::delete_many()
                    .filter(Column::Id.eq(id.0))
                    .filter(keeps_an_admin(id))
                    .exec(&txn)
                    .await
                    .map(|r| (r.rows_affected, txn))
            })
            .await?;
        if deleted == 0 {
            return self.missing_or_last_admin(id).await.map(|()| false);
        }
        Ok(true)
    }
}

/// `NOT (is_admin AND is_active) OR EXISTS (another active admin)`: true for
/// every row whose change or removal leaves at least one active admin.
fn keeps_an_admin(id: UserId) -> Condition {
    let other = Alias::new("other");
    let another_admin = Query::select()
        .expr(Expr::val(1))
        .from_as(Entity, other.clone())
        .and_where(Expr::col((other.clone(), Column::IsAdmin)).eq(true))
        .and_where(Expr::col((other.clone(), Column::IsActive)).eq(true))
        .and_where(Expr::col((other, Column::Id)).ne(id.0))
        .to_owned();
    Condition::any().add(Column::IsAdmin.eq(false)).add(Column::IsActive.eq(false)).add(Expr::exists(another_admin))
}

impl SqlUserRepo {
    /// Runs a write guarded by [`keeps_an_admin`] in a transaction. On
    /// PostgreSQL the transaction first takes an advisory lock: two admins
    /// demoting each other at once would otherwise each still see the other
    /// as admin (READ COMMITTED) and both succeed. SQLite runs one writer at a
    /// time, so the single statement suffices there.
    async fn guarded<F, Fut>(&self, write: F) -> Result<u64>
    where
        F: FnOnce(Transaction) -> Fut,
        Fut: std::future::Future<Output = Result<(u64, Transaction), DbErr>>,
    {
        let txn = self.db.begin().await.map_err(internal)?;
        if txn.get_database_backend() == DbBackend::Postgres {
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({LAST_ADMIN_LOCK})"))
                .await
                .map_err(internal)?;
        }
        let (n, txn) = write(txn).await.map_err(user_write_error)?;
        txn.commit().await.map_err(internal)?;
        Ok(n)
    }

    /// After a guarded write changed nothing: the user is gone, or the guard refused.
    async fn missing_or_last_admin(&self, id: UserId) -> Result<()> {
        match self.by_id(id).await? {
            Some(_) => Err(domain::Error::LastAdmin),
            None => Ok(()),
        }
    }
}

/// UPDATE otp_challenges SET canceled_at = $now WHERE user_id = $id AND
/// purpose IN ('reset', 'email') AND used_at IS NULL AND canceled_at IS
/// NULL: a mailed link (a reset, a proof) from before the password or the
/// address changed works no more.
async fn cancel_open_links(
    conn: &impl ConnectionTrait,
    id: UserId,
    now: DateTime<Utc>,
) -> std::result::Result<(), DbErr> {
    use crate::entity::otp_challenges::{Column as C, Entity as Challenges};
    Challenges::update_many()
        .col_expr(C::CanceledAt, Expr::value(now))
        .filter(C::UserId.eq(id.0))
        .filter(C::Purpose.is_in([domain::otp::Purpose::Reset.as_str(), domain::otp::Purpose::Email.as_str()]))
        .filter(C::UsedAt.is_null())
        .filter(C::CanceledAt.is_null())
        .exec(conn)
        .await
        .map(|_| ())
}

/// Advisory-lock key serialising changes that could remove the last admin.
const LAST_ADMIN_LOCK: i64 = 0x6175_7468_6400_0001;
