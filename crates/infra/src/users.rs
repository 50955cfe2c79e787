//! `UserRepo` over SeaORM.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::Result;
use domain::ports::UserRepo;
use domain::user::{LoginName, NewUser, ProfilePatch, StoredUser, User, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::db::{Database, internal, user_write_error};
use crate::entity::users::{self, Column, Entity};

#[derive(Clone)]
pub struct SeaUserRepo {
    db: Database,
}

impl SeaUserRepo {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl From<users::Model> for StoredUser {
    fn from(m: users::Model) -> Self {
        StoredUser {
            user: User {
                id: UserId(m.id),
                email: m.email,
                username: m.username,
                name: m.name,
                lastname: m.lastname,
                is_admin: m.is_admin,
                is_2fa: m.is_2fa,
                is_active: m.is_active,
                created_at: m.created_at,
                modified_at: m.modified_at,
            },
            password_hash: m.password_hash,
        }
    }
}

#[async_trait]
impl UserRepo for SeaUserRepo {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, u: &NewUser) -> Result<User> {
        let model = users::ActiveModel {
            id: Set(u.id.0),
            email: Set(u.email.as_str().to_owned()),
            username: Set(u.username.as_str().to_owned()),
            name: Set(u.name.as_str().to_owned()),
            lastname: Set(u.lastname.as_str().to_owned()),
            password_hash: Set(u.password_hash.clone()),
            is_admin: Set(u.is_admin),
            is_2fa: Set(u.is_2fa),
            is_active: Set(true),
            created_at: Set(u.created_at),
            modified_at: Set(u.created_at),
        };
        Entity::insert(model).exec(&self.db).await.map_err(user_write_error)?;
        let stored = self.by_id(u.id).await?.ok_or_else(|| domain::Error::internal("inserted user vanished"))?;
        Ok(stored.user)
    }

    async fn by_id(&self, id: UserId) -> Result<Option<StoredUser>> {
        Ok(Entity::find_by_id(id.0).one(&self.db).await.map_err(internal)?.map(Into::into))
    }

    async fn by_login(&self, login: &LoginName) -> Result<Option<StoredUser>> {
        let filter = match login {
            LoginName::Email(e) => Column::Email.eq(e.as_str()),
            LoginName::Username(n) => Column::Username.eq(n.as_str()),
        };
        Ok(Entity::find().filter(filter).one(&self.db).await.map_err(internal)?.map(Into::into))
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
        if let Some(v) = p.is_2fa {
            update = update.col_expr(Column::Is2fa, Expr::value(v));
        }
        let done = update.exec(&self.db).await.map_err(user_write_error)?;
        if done.rows_affected == 0 {
            return Ok(None);
        }
        Ok(self.by_id(id).await?.map(|s| s.user))
    }

    async fn set_password_hash(&self, id: UserId, hash: &str, now: DateTime<Utc>) -> Result<bool> {
        let done = Entity::update_many()
            .col_expr(Column::PasswordHash, Expr::value(hash))
            .col_expr(Column::ModifiedAt, Expr::value(now))
            .filter(Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(internal)?;
        Ok(done.rows_affected == 1)
    }

    async fn delete(&self, id: UserId) -> Result<bool> {
        // ON DELETE CASCADE on fk_sessions_user and fk_otp_challenges_user
        // removes the user's sessions and challenges in the same statement.
        let done = Entity::delete_by_id(id.0).exec(&self.db).await.map_err(internal)?;
        Ok(done.rows_affected == 1)
    }
}
