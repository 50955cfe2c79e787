//! `signing_keys`: the Ed25519 keys tokens are signed with when
//! `AUTHD_JWT_ALG=EdDSA`. Every node reads them, so a rotation made by one
//! `authd keys rotate` reaches all. The private half is sealed
//! (ChaCha20-Poly1305 under a key derived from the server secret, the `kid`
//! as associated data), so a database dump signs nothing.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    Alg,
    PublicKey,
    SealedPrivateKey,
    CreatedAt,
    SignsFrom,
    RetiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    // The RFC 7638 thumbprint of the public key: the primary
                    // key makes one key one row, however often it is imported.
                    .col(string_len(SigningKeys::Kid, 64).primary_key())
                    .col(string_len(SigningKeys::Alg, 16))
                    .col(binary(SigningKeys::PublicKey))
                    .col(binary(SigningKeys::SealedPrivateKey))
                    .col(timestamp_with_time_zone(SigningKeys::CreatedAt))
                    .col(timestamp_with_time_zone(SigningKeys::SignsFrom))
                    .col(timestamp_with_time_zone_null(SigningKeys::RetiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SigningKeys::Table).to_owned()).await
    }
}
