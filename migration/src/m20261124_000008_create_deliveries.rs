use sea_orm_migration::{prelude::*, schema::*};

use crate::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    UserId,
    Channel,
    Destination,
    Kind,
    SealedCode,
    ExpiresAt,
    Status,
    Attempts,
    NextAttemptAt,
    ProviderId,
    LastError,
    CreatedAt,
    SettledAt,
}

#[derive(DeriveIden)]
enum OtpChallenges {
    Table,
    DeliveryId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The outbox. A row is inserted in the transaction that creates (or
        // replaces) the code it carries. `next_attempt_at` doubles as the
        // claim: claiming pushes it past the lease, so no other node sees
        // the row due; `attempts` is the claim's number, and a settling
        // UPDATE must match it. The sealed code is set to NULL on settling.
        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .if_not_exists()
                    .col(uuid(Deliveries::Id).primary_key())
                    .col(uuid_null(Deliveries::UserId))
                    .col(string_len(Deliveries::Channel, 16))
                    .col(string_len(Deliveries::Destination, 320))
                    .col(string_len(Deliveries::Kind, 32))
                    .col(blob_null(Deliveries::SealedCode))
                    .col(timestamp_with_time_zone(Deliveries::ExpiresAt))
                    .col(
                        string_len(Deliveries::Status, 16)
                            .check(Expr::col(Deliveries::Status).is_in(["queued", "sent", "failed"])),
                    )
                    .col(integer(Deliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(Deliveries::NextAttemptAt))
                    .col(string_len_null(Deliveries::ProviderId, 255))
                    .col(string_len_null(Deliveries::LastError, 500))
                    .col(timestamp_with_time_zone(Deliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(Deliveries::SettledAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_deliveries_user")
                            .from(Deliveries::Table, Deliveries::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // What every claim scans: the queued rows by due time.
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_due")
                    .table(Deliveries::Table)
                    .col(Deliveries::Status)
                    .col(Deliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_user_id")
                    .table(Deliveries::Table)
                    .col(Deliveries::UserId)
                    .to_owned(),
            )
            .await?;
        // The message carrying a challenge's current code.
        manager
            .alter_table(
                Table::alter().table(OtpChallenges::Table).add_column(uuid_null(OtpChallenges::DeliveryId)).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(OtpChallenges::Table).drop_column(OtpChallenges::DeliveryId).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(Deliveries::Table).to_owned()).await
    }
}
