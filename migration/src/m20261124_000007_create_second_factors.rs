use sea_orm_migration::{prelude::*, schema::*};

use crate::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TotpCredentials {
    Table,
    UserId,
    SealedSecret,
    CreatedAt,
    ConfirmedAt,
    LastStep,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One authenticator-app enrolment per user (the primary key). The
        // secret is sealed (AEAD) by the application; `last_step` is the
        // newest accepted time step, advanced only forward by one
        // conditional UPDATE, so each code is accepted once across nodes.
        manager
            .create_table(
                Table::create()
                    .table(TotpCredentials::Table)
                    .if_not_exists()
                    .col(uuid(TotpCredentials::UserId).primary_key())
                    .col(blob(TotpCredentials::SealedSecret))
                    .col(timestamp_with_time_zone(TotpCredentials::CreatedAt))
                    .col(timestamp_with_time_zone_null(TotpCredentials::ConfirmedAt))
                    .col(big_integer_null(TotpCredentials::LastStep))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_totp_credentials_user")
                            .from(TotpCredentials::Table, TotpCredentials::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Recovery codes as keyed hashes; `used_at` spends one, once.
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .if_not_exists()
                    .col(uuid(RecoveryCodes::UserId))
                    .col(blob(RecoveryCodes::CodeHash))
                    .col(timestamp_with_time_zone(RecoveryCodes::CreatedAt))
                    .col(timestamp_with_time_zone_null(RecoveryCodes::UsedAt))
                    .primary_key(Index::create().col(RecoveryCodes::UserId).col(RecoveryCodes::CodeHash))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_recovery_codes_user")
                            .from(RecoveryCodes::Table, RecoveryCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RecoveryCodes::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(TotpCredentials::Table).to_owned()).await
    }
}
