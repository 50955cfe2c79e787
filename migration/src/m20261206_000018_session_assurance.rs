//! How a session's user proved who they are: `amr`, the RFC 8176 method
//! words separated by spaces, and `auth_time`, when they last proved a
//! factor. The access tokens' `acr` follows from `amr` (domain/src/assurance).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Amr,
    AuthTime,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A session from before says no method (the tokens' `amr` is empty,
        // `acr` aal1) and was proved when it opened. SQLite adds one column
        // per statement.
        let amr = ColumnDef::new(Sessions::Amr).string_len(64).not_null().default("").to_owned();
        let auth_time = ColumnDef::new(Sessions::AuthTime)
            .timestamp_with_time_zone()
            .not_null()
            .default("1970-01-01T00:00:00Z")
            .to_owned();
        for column in [amr, auth_time] {
            manager.alter_table(Table::alter().table(Sessions::Table).add_column(column).to_owned()).await?;
        }
        manager.get_connection().execute_unprepared("UPDATE sessions SET auth_time = created_at").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Sessions::AuthTime, Sessions::Amr] {
            manager.alter_table(Table::alter().table(Sessions::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
