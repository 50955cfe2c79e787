//! An OpenID Connect client's credentials grant (`client_credentials`):
//! `oidc_clients.credentials_grant`, the id its tokens name as `sid`
//! (NULL until its first such token, and again after a revocation). A
//! token is live while its client exists and still has that grant; the
//! token endpoint sets it with `COALESCE(credentials_grant, $new)`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OidcClients {
    Table,
    CredentialsGrant,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let grant = ColumnDef::new(OidcClients::CredentialsGrant).uuid().null().to_owned();
        manager.alter_table(Table::alter().table(OidcClients::Table).add_column(grant).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let drop = Table::alter().table(OidcClients::Table).drop_column(OidcClients::CredentialsGrant).to_owned();
        manager.alter_table(drop).await
    }
}
