//! `sms_prefixes`: the SMS guard's count per destination prefix (sends and
//! correct checks in the current window) and its block. One row per prefix,
//! keyed by it, so the send's conditional upsert and a block's conditional
//! UPDATE decide on one row whichever node runs them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SmsPrefixes {
    Table,
    Prefix,
    Country,
    WindowStart,
    Sends,
    Verified,
    Strikes,
    BlockedUntil,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SmsPrefixes::Table)
                    .if_not_exists()
                    .col(string_len(SmsPrefixes::Prefix, 24).primary_key())
                    .col(string_len(SmsPrefixes::Country, 2))
                    .col(timestamp_with_time_zone(SmsPrefixes::WindowStart))
                    .col(integer(SmsPrefixes::Sends))
                    .col(integer(SmsPrefixes::Verified))
                    .col(integer(SmsPrefixes::Strikes))
                    .col(timestamp_with_time_zone_null(SmsPrefixes::BlockedUntil))
                    .col(timestamp_with_time_zone(SmsPrefixes::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        let blocked = Index::create()
            .name("ix_sms_prefixes_blocked_until")
            .table(SmsPrefixes::Table)
            .col(SmsPrefixes::BlockedUntil)
            .to_owned();
        manager.create_index(blocked).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SmsPrefixes::Table).to_owned()).await
    }
}
