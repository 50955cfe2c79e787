//! OpenID Connect clients and their secrets. A client's redirect URIs are
//! kept exactly as registered (a JSON array of strings: an authorization
//! request must name one of them as the same string); its scopes are their
//! words, space-separated. Secrets are keyed hashes (the primary key finds
//! one); deleting a client deletes them (ON DELETE CASCADE); a secret past
//! `expires_at` (the grace after a rotation) no longer proves the client.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OidcClients {
    Table,
    Id,
    Name,
    RedirectUris,
    PostLogoutRedirectUris,
    Kind,
    Scopes,
    SkipConsent,
    IdTokenAlg,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OidcClientSecrets {
    Table,
    SecretHash,
    ClientId,
    Hint,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OidcClients::Table)
                    .if_not_exists()
                    .col(uuid(OidcClients::Id).primary_key())
                    .col(string_len(OidcClients::Name, 100))
                    .col(text(OidcClients::RedirectUris))
                    .col(text(OidcClients::PostLogoutRedirectUris))
                    .col(
                        string_len(OidcClients::Kind, 16)
                            .check(Expr::col(OidcClients::Kind).is_in(["confidential", "public"])),
                    )
                    .col(string_len(OidcClients::Scopes, 100))
                    .col(boolean(OidcClients::SkipConsent))
                    .col(string_len(OidcClients::IdTokenAlg, 8))
                    .col(timestamp_with_time_zone(OidcClients::CreatedAt))
                    .col(timestamp_with_time_zone(OidcClients::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OidcClientSecrets::Table)
                    .if_not_exists()
                    .col(string_len(OidcClientSecrets::SecretHash, 64).primary_key())
                    .col(uuid(OidcClientSecrets::ClientId))
                    .col(string_len(OidcClientSecrets::Hint, 32))
                    .col(timestamp_with_time_zone(OidcClientSecrets::CreatedAt))
                    .col(timestamp_with_time_zone_null(OidcClientSecrets::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oidc_client_secrets_client")
                            .from(OidcClientSecrets::Table, OidcClientSecrets::ClientId)
                            .to(OidcClients::Table, OidcClients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let by_client = Index::create()
            .name("ix_oidc_client_secrets_client_id")
            .table(OidcClientSecrets::Table)
            .col(OidcClientSecrets::ClientId)
            .to_owned();
        manager.create_index(by_client).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OidcClientSecrets::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(OidcClients::Table).to_owned()).await
    }
}
