//! The OpenID Connect client a session was opened for (a code exchange),
//! with the scopes granted: `client_id` (NULL for authd's own logins) and
//! `scope` (the words, space-separated). Deleting a client ends its
//! sessions through the domain (so every node hears of it), which the index
//! finds.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    ClientId,
    Scope,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let client = ColumnDef::new(Sessions::ClientId).uuid().null().to_owned();
        manager.alter_table(Table::alter().table(Sessions::Table).add_column(client).to_owned()).await?;
        let scope = ColumnDef::new(Sessions::Scope).string_len(100).null().to_owned();
        manager.alter_table(Table::alter().table(Sessions::Table).add_column(scope).to_owned()).await?;
        let by_client =
            Index::create().name("ix_sessions_client_id").table(Sessions::Table).col(Sessions::ClientId).to_owned();
        manager.create_index(by_client).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_sessions_client_id").table(Sessions::Table).to_owned()).await?;
        for column in [Sessions::Scope, Sessions::ClientId] {
            let drop = Table::alter().table(Sessions::Table).drop_column(column).to_owned();
            manager.alter_table(drop).await?;
        }
        Ok(())
    }
}
