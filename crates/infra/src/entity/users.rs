use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    /// The last address the user proved is theirs.
    pub verified_email: Option<String>,
    pub username: String,
    pub name: String,
    pub lastname: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub is_2fa: bool,
    pub is_active: bool,
    /// E.164.
    pub phone: Option<String>,
    pub phone_verified_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub modified_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
