use sea_orm_migration::{prelude::*, schema::*};

use crate::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(uuid(Users::Id).primary_key())
                    .col(string_len(Users::Email, 254))
                    .col(string_len(Users::Username, 32))
                    .col(string_len(Users::Name, 100))
                    .col(string_len(Users::Lastname, 100))
                    .col(string_len(Users::PasswordHash, 255))
                    .col(boolean(Users::IsAdmin).default(false))
                    .col(boolean(Users::Is2fa).default(false))
                    .col(boolean(Users::IsActive).default(true))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::ModifiedAt))
                    .to_owned(),
            )
            .await?;
        // One account per mailbox and per username: the domain lower-cases
        // both, so these plain unique indexes are case-insensitive in effect.
        // The adapter maps their violations to EmailTaken / UsernameTaken by name.
        manager
            .create_index(
                Index::create().name("ux_users_email").table(Users::Table).col(Users::Email).unique().to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ux_users_username").table(Users::Table).col(Users::Username).unique().to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await
    }
}
