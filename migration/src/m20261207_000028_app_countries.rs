//! An application's geo permissions: `apps.sms_countries` and
//! `apps.whatsapp_countries`, the ISO 3166 alpha-2 codes its texted codes
//! may go to on each channel, comma-separated (`DE,FR`); empty (the
//! default, so apps made before keep sending as they did): every country
//! the deployment texts.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Apps {
    Table,
    SmsCountries,
    WhatsappCountries,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds one at a time.
        for column in [Apps::SmsCountries, Apps::WhatsappCountries] {
            let def = ColumnDef::new(column).text().not_null().default("").to_owned();
            manager.alter_table(Table::alter().table(Apps::Table).add_column(def).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Apps::SmsCountries, Apps::WhatsappCountries] {
            manager.alter_table(Table::alter().table(Apps::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
