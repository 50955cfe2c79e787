use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "otp_challenges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Exactly one of `user_id` and `app_id` (CHECK otp_challenges_owner).
    pub user_id: Option<Uuid>,
    pub app_id: Option<Uuid>,
    /// `login`, `phone`, `verification`, `email` or `reset`.
    pub purpose: String,
    pub method: String,
    /// For a phone challenge, the number its code went to; for a
    /// verification, the email address or number.
    pub destination: Option<String>,
    /// Hex of HMAC-SHA256(key, challenge id ‖ code).
    pub code_hash: String,
    pub code_length: i32,
    pub max_attempts: i32,
    pub attempts: i32,
    pub resends: i32,
    pub created_at: DateTimeUtc,
    pub last_sent_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub canceled_at: Option<DateTimeUtc>,
    /// The message carrying the current code (`deliveries.id`).
    pub delivery_id: Option<Uuid>,
    /// Hex of HMAC-SHA256(key, "link" ‖ token) of a mailed link (email
    /// proofs, resets); unique (`ux_otp_challenges_link_hash`).
    pub link_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
