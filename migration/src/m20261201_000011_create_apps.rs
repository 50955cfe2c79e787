use sea_orm_migration::{prelude::*, schema::*};

use crate::sqlite_rebuild;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Apps {
    Table,
    Id,
    Name,
    Channels,
    CodeLength,
    TtlSeconds,
    MaxAttempts,
    IsActive,
    CreatedAt,
    ModifiedAt,
}

#[derive(DeriveIden)]
enum AppKeys {
    Table,
    KeyHash,
    AppId,
    Hint,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    UserId,
    AppId,
    ActorId,
    Kind,
    At,
    Detail,
}

/// The event log's columns before and after: events about an application
/// (`app_id`) have no `user_id`; every event is about exactly one of them.
fn audit_events(with_apps: bool) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(AuditEvents::Table).col(uuid(AuditEvents::Id).primary_key());
    if with_apps {
        t.col(uuid_null(AuditEvents::UserId))
            .col(uuid_null(AuditEvents::AppId))
            .check(Expr::col(AuditEvents::UserId).is_not_null().or(Expr::col(AuditEvents::AppId).is_not_null()));
    } else {
        t.col(uuid(AuditEvents::UserId));
    }
    t.col(uuid_null(AuditEvents::ActorId))
        .col(string_len(AuditEvents::Kind, 40))
        .col(timestamp_with_time_zone(AuditEvents::At))
        .col(text(AuditEvents::Detail))
        .to_owned()
}

fn audit_indexes(with_apps: bool) -> Vec<IndexCreateStatement> {
    let mut all = vec![
        Index::create()
            .name("ix_audit_events_user_id")
            .table(AuditEvents::Table)
            .col(AuditEvents::UserId)
            .col(AuditEvents::Id)
            .to_owned(),
        Index::create().name("ix_audit_events_at").table(AuditEvents::Table).col(AuditEvents::At).to_owned(),
    ];
    if with_apps {
        all.push(app_events_index());
    }
    all
}

/// One application's events, newest first, by keyset on the time-ordered id.
fn app_events_index() -> IndexCreateStatement {
    Index::create()
        .name("ix_audit_events_app_id")
        .table(AuditEvents::Table)
        .col(AuditEvents::AppId)
        .col(AuditEvents::Id)
        .to_owned()
}

const OLD_AUDIT_COLUMNS: [&str; 6] = ["id", "user_id", "actor_id", "kind", "at", "detail"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too: the table rebuild must run on one
    /// connection (a pooled one still reading the old schema would see the
    /// old indexes), and a failure part-way must leave the old table.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Applications registered by admins to send and check codes for
        // their own users. The limits of the API are CHECKs here too.
        manager
            .create_table(
                Table::create()
                    .table(Apps::Table)
                    .if_not_exists()
                    .col(uuid(Apps::Id).primary_key())
                    .col(string_len(Apps::Name, 100))
                    .col(string_len(Apps::Channels, 64))
                    .col(integer(Apps::CodeLength).check(Expr::col(Apps::CodeLength).between(4, 10)))
                    .col(integer(Apps::TtlSeconds).check(Expr::col(Apps::TtlSeconds).between(60, 3600)))
                    .col(integer(Apps::MaxAttempts).check(Expr::col(Apps::MaxAttempts).between(1, 10)))
                    .col(boolean(Apps::IsActive).default(true))
                    .col(timestamp_with_time_zone(Apps::CreatedAt))
                    .col(timestamp_with_time_zone(Apps::ModifiedAt))
                    .to_owned(),
            )
            .await?;
        // API keys, as keyed hashes (the primary key finds one). Deleting an
        // app deletes its keys (ON DELETE CASCADE); a key past `expires_at`
        // (the grace period after a rotation) is refused by the lookup's WHERE.
        manager
            .create_table(
                Table::create()
                    .table(AppKeys::Table)
                    .if_not_exists()
                    .col(string_len(AppKeys::KeyHash, 64).primary_key())
                    .col(uuid(AppKeys::AppId))
                    .col(string_len(AppKeys::Hint, 32))
                    .col(timestamp_with_time_zone(AppKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(AppKeys::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_app_keys_app")
                            .from(AppKeys::Table, AppKeys::AppId)
                            .to(Apps::Table, Apps::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_app_keys_app_id").table(AppKeys::Table).col(AppKeys::AppId).to_owned(),
            )
            .await?;
        // Events about an application: no user, an app id. No foreign key, so
        // an app's history outlives it, as a user's does.
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Sqlite {
            let columns = OLD_AUDIT_COLUMNS;
            return sqlite_rebuild::rebuild(manager, "audit_events", audit_events(true), &columns, audit_indexes(true))
                .await;
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE audit_events ALTER COLUMN user_id DROP NOT NULL, ADD COLUMN app_id uuid NULL, \
             ADD CONSTRAINT audit_events_subject CHECK (user_id IS NOT NULL OR app_id IS NOT NULL)",
        )
        .await?;
        manager.create_index(app_events_index()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM audit_events WHERE user_id IS NULL").await?;
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Sqlite {
            let columns = OLD_AUDIT_COLUMNS;
            sqlite_rebuild::rebuild(manager, "audit_events", audit_events(false), &columns, audit_indexes(false))
                .await?;
        } else {
            manager
                .drop_index(Index::drop().name("ix_audit_events_app_id").table(AuditEvents::Table).to_owned())
                .await?;
            db.execute_unprepared(
                "ALTER TABLE audit_events DROP CONSTRAINT audit_events_subject, DROP COLUMN app_id, \
                 ALTER COLUMN user_id SET NOT NULL",
            )
            .await?;
        }
        manager.drop_table(Table::drop().table(AppKeys::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Apps::Table).to_owned()).await
    }
}
