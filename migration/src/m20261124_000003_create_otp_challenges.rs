use sea_orm_migration::{prelude::*, schema::*};

use crate::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OtpChallenges {
    Table,
    Id,
    UserId,
    Method,
    CodeHash,
    Attempts,
    Resends,
    CreatedAt,
    LastSentAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per two-factor login attempt; its id is the temporary token's
        // `sid`. Only a keyed hash of the code is kept.
        manager
            .create_table(
                Table::create()
                    .table(OtpChallenges::Table)
                    .if_not_exists()
                    .col(uuid(OtpChallenges::Id).primary_key())
                    .col(uuid(OtpChallenges::UserId))
                    .col(string_len(OtpChallenges::Method, 16))
                    .col(string_len(OtpChallenges::CodeHash, 64))
                    .col(integer(OtpChallenges::Attempts).default(0))
                    .col(integer(OtpChallenges::Resends).default(0))
                    .col(timestamp_with_time_zone(OtpChallenges::CreatedAt))
                    .col(timestamp_with_time_zone(OtpChallenges::LastSentAt))
                    .col(timestamp_with_time_zone(OtpChallenges::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OtpChallenges::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_otp_challenges_user")
                            .from(OtpChallenges::Table, OtpChallenges::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_otp_challenges_user")
                    .table(OtpChallenges::Table)
                    .col(OtpChallenges::UserId)
                    .to_owned(),
            )
            .await?;
        // For purging dead challenges by age.
        manager
            .create_index(
                Index::create()
                    .name("ix_otp_challenges_expires")
                    .table(OtpChallenges::Table)
                    .col(OtpChallenges::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OtpChallenges::Table).to_owned()).await
    }
}
