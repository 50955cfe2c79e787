use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261201_000012_app_verifications::{OtpChallenges, Shape, challenges_table, indexes_of, link_index};
use crate::sqlite_rebuild;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    VerifiedEmail,
}

/// Every column of the challenges table before this migration.
const COLUMNS: [&str; 17] = [
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
];

fn verified_email_index() -> IndexCreateStatement {
    Index::create().name("ix_users_verified_email").table(Users::Table).col(Users::VerifiedEmail).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every backend (see `sqlite_rebuild`).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The last address a user proved is theirs. Confirming sets it only
        // `WHERE email =` the address the mail went to, and clears it from
        // whoever held it before, in one transaction (infra/src/users.rs).
        manager
            .alter_table(
                Table::alter().table(Users::Table).add_column(string_len_null(Users::VerifiedEmail, 320)).to_owned(),
            )
            .await?;
        manager.create_index(verified_email_index()).await?;
        // Email proofs and resets: two more purposes, and the hash of the
        // mailed link's token, unique, by which the link finds its challenge.
        if manager.get_database_backend() == DbBackend::Sqlite {
            let (table, indexes) = (challenges_table(Shape::EmailProofs), indexes_of(Shape::EmailProofs));
            return sqlite_rebuild::rebuild(manager, "otp_challenges", table, &COLUMNS, indexes).await;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "ALTER TABLE otp_challenges \
                 DROP CONSTRAINT otp_challenges_purpose_check, \
                 ADD CONSTRAINT otp_challenges_purpose_check \
                 CHECK (purpose IN ('login', 'phone', 'verification', 'email', 'reset')), \
                 ADD COLUMN link_hash varchar(64) NULL",
            )
            .await?;
        manager.create_index(link_index()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM otp_challenges WHERE purpose IN ('email', 'reset')").await?;
        if manager.get_database_backend() == DbBackend::Sqlite {
            let (table, indexes) = (challenges_table(Shape::Apps), indexes_of(Shape::Apps));
            sqlite_rebuild::rebuild(manager, "otp_challenges", table, &COLUMNS, indexes).await?;
        } else {
            manager
                .drop_index(Index::drop().name("ux_otp_challenges_link_hash").table(OtpChallenges::Table).to_owned())
                .await?;
            db.execute_unprepared(
                "ALTER TABLE otp_challenges DROP COLUMN link_hash, \
                 DROP CONSTRAINT otp_challenges_purpose_check, \
                 ADD CONSTRAINT otp_challenges_purpose_check CHECK (purpose IN ('login', 'phone', 'verification'))",
            )
            .await?;
        }
        manager.drop_index(Index::drop().name("ix_users_verified_email").table(Users::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::VerifiedEmail).to_owned()).await
    }
}
