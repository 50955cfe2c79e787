use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Throttles {
    Table,
    Key,
    Failures,
    LockedUntil,
    Hits,
    WindowStart,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per throttled thing: `acct:<id>` / `name:<login>` count
        // consecutive failures and carry a lock; `ip:<route>:<addr>` count
        // requests in a fixed window. Every change is one upsert or update.
        manager
            .create_table(
                Table::create()
                    .table(Throttles::Table)
                    .if_not_exists()
                    .col(string_len(Throttles::Key, 200).primary_key())
                    .col(integer(Throttles::Failures).default(0))
                    .col(timestamp_with_time_zone_null(Throttles::LockedUntil))
                    .col(integer(Throttles::Hits).default(0))
                    .col(timestamp_with_time_zone(Throttles::WindowStart))
                    .col(timestamp_with_time_zone(Throttles::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_throttles_updated_at")
                    .table(Throttles::Table)
                    .col(Throttles::UpdatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Throttles::Table).to_owned()).await
    }
}
