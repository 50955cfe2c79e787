//! `trusted_devices`: devices a user chose to trust after a second factor
//! ("remember this device"), found by their token's keyed hash
//! (`ux_trusted_devices_token_hash`), gone with their user.

use sea_orm_migration::{prelude::*, schema::*};

use crate::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TrustedDevices {
    Table,
    Id,
    UserId,
    TokenHash,
    Label,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TrustedDevices::Table)
                    .if_not_exists()
                    .col(uuid(TrustedDevices::Id).primary_key())
                    .col(uuid(TrustedDevices::UserId))
                    .col(blob(TrustedDevices::TokenHash))
                    .col(string_len(TrustedDevices::Label, 64))
                    .col(timestamp_with_time_zone(TrustedDevices::CreatedAt))
                    .col(timestamp_with_time_zone_null(TrustedDevices::LastUsedAt))
                    .col(timestamp_with_time_zone(TrustedDevices::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_trusted_devices_user")
                            .from(TrustedDevices::Table, TrustedDevices::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let t = || TrustedDevices::Table;
        for index in [
            Index::create().name("ux_trusted_devices_token_hash").table(t()).col(TrustedDevices::TokenHash).unique(),
            Index::create().name("ix_trusted_devices_user").table(t()).col(TrustedDevices::UserId),
            Index::create().name("ix_trusted_devices_expires_at").table(t()).col(TrustedDevices::ExpiresAt),
        ] {
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(TrustedDevices::Table).to_owned()).await
    }
}
