//! One more challenge purpose: `step_up`, a code (or a passkey ceremony's
//! tries) that renews how recently a session's user proved who they are
//! (`POST /auth/reauthenticate`). Its `destination` is the session it raises.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261201_000012_app_verifications::{Shape, challenges_table, indexes_of};
use crate::sqlite_rebuild;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every column of the challenges table, before and after.
const COLUMNS: [&str; 18] = [
    "id",
    "user_id",
    "app_id",
    "purpose",
    "method",
    "destination",
    "code_hash",
    "code_length",
    "max_attempts",
    "attempts",
    "resends",
    "created_at",
    "last_sent_at",
    "expires_at",
    "used_at",
    "canceled_at",
    "delivery_id",
    "link_hash",
];

/// The purposes' CHECK on PostgreSQL.
fn purposes(step_up: bool) -> String {
    let extra = if step_up { ", 'step_up'" } else { "" };
    format!(
        "ALTER TABLE otp_challenges DROP CONSTRAINT otp_challenges_purpose_check, \
         ADD CONSTRAINT otp_challenges_purpose_check \
         CHECK (purpose IN ('login', 'phone', 'verification', 'email', 'reset'{extra}))"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every backend (see `sqlite_rebuild`).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            let (table, indexes) = (challenges_table(Shape::StepUp), indexes_of(Shape::StepUp));
            return sqlite_rebuild::rebuild(manager, "otp_challenges", table, &COLUMNS, indexes).await;
        }
        manager.get_connection().execute_unprepared(&purposes(true)).await.map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM otp_challenges WHERE purpose = 'step_up'").await?;
        if manager.get_database_backend() == DbBackend::Sqlite {
            let (table, indexes) = (challenges_table(Shape::EmailProofs), indexes_of(Shape::EmailProofs));
            return sqlite_rebuild::rebuild(manager, "otp_challenges", table, &COLUMNS, indexes).await;
        }
        db.execute_unprepared(&purposes(false)).await.map(|_| ())
    }
}
