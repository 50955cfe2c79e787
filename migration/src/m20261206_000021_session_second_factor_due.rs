//! Whether a session may only enrol a second factor: its user must have one
//! (`AUTHD_REQUIRE_2FA`) and had none when it opened. Sessions from before
//! may do anything, as they could.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    SecondFactorDue,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let due = ColumnDef::new(Sessions::SecondFactorDue).boolean().not_null().default(false).to_owned();
        manager.alter_table(Table::alter().table(Sessions::Table).add_column(due).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = Table::alter().table(Sessions::Table).drop_column(Sessions::SecondFactorDue).to_owned();
        manager.alter_table(drop).await
    }
}
