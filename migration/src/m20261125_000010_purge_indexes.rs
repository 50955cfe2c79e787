use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The indexes the data-lifecycle purge (`infra/src/purge.rs`) finds its
/// rows by, so a purge round reads only what it deletes.
/// `otp_challenges` already has `ix_otp_challenges_expires`.
const INDEXES: [(&str, &str, &str); 4] = [
    ("ix_sessions_expires_at", "sessions", "expires_at"),
    ("ix_sessions_revoked_at", "sessions", "revoked_at"),
    ("ix_deliveries_expires_at", "deliveries", "expires_at"),
    ("ix_audit_events_at", "audit_events", "at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, column) in INDEXES {
            manager
                .create_index(Index::create().name(name).table(Alias::new(table)).col(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
