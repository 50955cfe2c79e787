use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Exactly one of `user_id`, `app_id` and `client_id` is set (CHECK audit_events_subject).
    pub user_id: Option<Uuid>,
    pub app_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub kind: String,
    pub at: DateTimeUtc,
    /// JSON object of non-secret particulars.
    pub detail: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
