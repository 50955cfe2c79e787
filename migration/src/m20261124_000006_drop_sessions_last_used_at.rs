use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    CreatedAt,
    LastUsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Written on every rotation and read by nothing; a "last seen" for
        // session lists would be updated on access, not on refresh.
        manager.alter_table(Table::alter().table(Sessions::Table).drop_column(Sessions::LastUsedAt).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite cannot add a NOT NULL column without a constant default, so
        // the column comes back nullable, filled from created_at.
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(timestamp_with_time_zone_null(Sessions::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        let fill = Query::update()
            .table(Sessions::Table)
            .value(Sessions::LastUsedAt, Expr::col(Sessions::CreatedAt))
            .to_owned();
        manager.exec_stmt(fill).await
    }
}
