//! The state of OpenID Connect flows between requests: authorization
//! requests waiting for a login or a consent (`oidc_requests`, until
//! `expires_at`), the consents users gave to clients (`oidc_consents`, one
//! row per user and client), and the codes issued (`oidc_codes`: keyed hash
//! as primary key, single use by `used_at`, the session its redemption
//! opened in `issued_session`, which a replay revokes). Deleting a client
//! deletes all three of its rows, deleting a user their consents and codes
//! (ON DELETE CASCADE).

use sea_orm_migration::{prelude::*, schema::*};

use crate::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OidcClients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OidcRequests {
    Table,
    Id,
    ClientId,
    RedirectUri,
    Scopes,
    State,
    Nonce,
    CodeChallenge,
    Prompt,
    MaxAge,
    WantsAal2,
    LoginHint,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum OidcConsents {
    Table,
    UserId,
    ClientId,
    Scopes,
    GrantedAt,
}

#[derive(DeriveIden)]
enum OidcCodes {
    Table,
    CodeHash,
    ClientId,
    UserId,
    BrowserSession,
    RedirectUri,
    Scopes,
    Nonce,
    CodeChallenge,
    Amr,
    AuthTime,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    IssuedSession,
}

fn cascade(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Cascade).to_owned()
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
                    .table(OidcRequests::Table)
                    .if_not_exists()
                    .col(uuid(OidcRequests::Id).primary_key())
                    .col(uuid(OidcRequests::ClientId))
                    .col(text(OidcRequests::RedirectUri))
                    .col(string_len(OidcRequests::Scopes, 100))
                    .col(text_null(OidcRequests::State))
                    .col(text_null(OidcRequests::Nonce))
                    .col(string_len(OidcRequests::CodeChallenge, 43))
                    .col(string_len(OidcRequests::Prompt, 32))
                    .col(big_integer_null(OidcRequests::MaxAge))
                    .col(boolean(OidcRequests::WantsAal2))
                    .col(text_null(OidcRequests::LoginHint))
                    .col(timestamp_with_time_zone(OidcRequests::CreatedAt))
                    .col(timestamp_with_time_zone(OidcRequests::ExpiresAt))
                    .foreign_key(&mut cascade(
                        "fk_oidc_requests_client",
                        (OidcRequests::Table, OidcRequests::ClientId),
                        (OidcClients::Table, OidcClients::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OidcConsents::Table)
                    .if_not_exists()
                    .col(uuid(OidcConsents::UserId))
                    .col(uuid(OidcConsents::ClientId))
                    .col(string_len(OidcConsents::Scopes, 100))
                    .col(timestamp_with_time_zone(OidcConsents::GrantedAt))
                    .primary_key(Index::create().col(OidcConsents::UserId).col(OidcConsents::ClientId))
                    .foreign_key(&mut cascade(
                        "fk_oidc_consents_user",
                        (OidcConsents::Table, OidcConsents::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_oidc_consents_client",
                        (OidcConsents::Table, OidcConsents::ClientId),
                        (OidcClients::Table, OidcClients::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OidcCodes::Table)
                    .if_not_exists()
                    .col(string_len(OidcCodes::CodeHash, 64).primary_key())
                    .col(uuid(OidcCodes::ClientId))
                    .col(uuid(OidcCodes::UserId))
                    .col(uuid(OidcCodes::BrowserSession))
                    .col(text(OidcCodes::RedirectUri))
                    .col(string_len(OidcCodes::Scopes, 100))
                    .col(text_null(OidcCodes::Nonce))
                    .col(string_len(OidcCodes::CodeChallenge, 43))
                    .col(string_len(OidcCodes::Amr, 64))
                    .col(timestamp_with_time_zone(OidcCodes::AuthTime))
                    .col(timestamp_with_time_zone(OidcCodes::CreatedAt))
                    .col(timestamp_with_time_zone(OidcCodes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OidcCodes::UsedAt))
                    .col(uuid_null(OidcCodes::IssuedSession))
                    .foreign_key(&mut cascade(
                        "fk_oidc_codes_user",
                        (OidcCodes::Table, OidcCodes::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut cascade(
                        "fk_oidc_codes_client",
                        (OidcCodes::Table, OidcCodes::ClientId),
                        (OidcClients::Table, OidcClients::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, table, col) in [
            ("ix_oidc_requests_expires_at", OidcRequests::Table.into_iden(), OidcRequests::ExpiresAt.into_iden()),
            ("ix_oidc_codes_expires_at", OidcCodes::Table.into_iden(), OidcCodes::ExpiresAt.into_iden()),
        ] {
            manager.create_index(Index::create().name(name).table(table).col(col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [OidcCodes::Table.into_iden(), OidcConsents::Table.into_iden(), OidcRequests::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
