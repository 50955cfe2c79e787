//! `passkeys` and `passkey_ceremonies`: users' WebAuthn credentials and the
//! challenges issued for them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Passkeys {
    Table,
    Id,
    UserId,
    CredentialId,
    Name,
    CreatedAt,
    LastUsedAt,
    BackupEligible,
    BackedUp,
    Counter,
    Data,
}

#[derive(DeriveIden)]
enum PasskeyCeremonies {
    Table,
    Id,
    Purpose,
    Owner,
    State,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A credential id belongs to one user: ux_passkeys_credential_id.
        // `counter` moves only forward, by one conditional UPDATE. `data` is
        // webauthn-rs's record of the credential (public key, flags), JSON.
        manager
            .create_table(
                Table::create()
                    .table(Passkeys::Table)
                    .if_not_exists()
                    .col(uuid(Passkeys::Id).primary_key())
                    .col(uuid(Passkeys::UserId))
                    .col(blob(Passkeys::CredentialId))
                    .col(string(Passkeys::Name))
                    .col(timestamp_with_time_zone(Passkeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(Passkeys::LastUsedAt))
                    .col(boolean(Passkeys::BackupEligible))
                    .col(boolean(Passkeys::BackedUp))
                    .col(big_integer(Passkeys::Counter))
                    .col(text(Passkeys::Data))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_passkeys_user")
                            .from(Passkeys::Table, Passkeys::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_passkeys_credential_id")
                    .table(Passkeys::Table)
                    .col(Passkeys::CredentialId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_passkeys_user").table(Passkeys::Table).col(Passkeys::UserId).to_owned(),
            )
            .await?;
        // A ceremony is taken by one DELETE ... RETURNING whose WHERE names
        // its purpose, owner and lifetime: of concurrent finishes, one gets it.
        // `owner` is a user (registration) or a login challenge (second
        // step), or none (a sign-in); it dies with its lifetime, not by key.
        manager
            .create_table(
                Table::create()
                    .table(PasskeyCeremonies::Table)
                    .if_not_exists()
                    .col(uuid(PasskeyCeremonies::Id).primary_key())
                    .col(
                        string(PasskeyCeremonies::Purpose)
                            .check(Expr::col(PasskeyCeremonies::Purpose).is_in(["register", "login", "sign_in"])),
                    )
                    .col(uuid_null(PasskeyCeremonies::Owner))
                    .col(text(PasskeyCeremonies::State))
                    .col(timestamp_with_time_zone(PasskeyCeremonies::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_passkey_ceremonies_expires_at")
                    .table(PasskeyCeremonies::Table)
                    .col(PasskeyCeremonies::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PasskeyCeremonies::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Passkeys::Table).to_owned()).await
    }
}
