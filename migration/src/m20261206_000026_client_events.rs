//! Events about an OpenID Connect client acting for itself (its
//! `client_credentials` tokens issued and revoked): `audit_events.client_id`,
//! and the subject check (`audit_events_subject`) widened to "a user, an
//! app or a client is named". No foreign key, so a client's
//! history outlives it, as an app's does. SQLite cannot change a CHECK in
//! place: the table is rebuilt there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::sqlite_rebuild;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    UserId,
    AppId,
    ClientId,
    ActorId,
    Kind,
    At,
    Detail,
}

const COLUMNS: [&str; 7] = ["id", "user_id", "app_id", "actor_id", "kind", "at", "detail"];

/// The table, with `client_id` or (down) without it.
fn audit_events(with_clients: bool) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(AuditEvents::Table)
        .col(uuid(AuditEvents::Id).primary_key())
        .col(uuid_null(AuditEvents::UserId))
        .col(uuid_null(AuditEvents::AppId));
    let mut named = Expr::col(AuditEvents::UserId).is_not_null().or(Expr::col(AuditEvents::AppId).is_not_null());
    if with_clients {
        t.col(uuid_null(AuditEvents::ClientId));
        named = named.or(Expr::col(AuditEvents::ClientId).is_not_null());
    }
    t.check(named)
        .col(uuid_null(AuditEvents::ActorId))
        .col(string_len(AuditEvents::Kind, 40))
        .col(timestamp_with_time_zone(AuditEvents::At))
        .col(text(AuditEvents::Detail))
        .to_owned()
}

fn by(name: &str, column: AuditEvents) -> IndexCreateStatement {
    Index::create().name(name).table(AuditEvents::Table).col(column).col(AuditEvents::Id).to_owned()
}

/// One client's events, newest first, by keyset on the time-ordered id.
fn client_events_index() -> IndexCreateStatement {
    by("ix_audit_events_client_id", AuditEvents::ClientId)
}

fn indexes(with_clients: bool) -> Vec<IndexCreateStatement> {
    let mut all = vec![
        by("ix_audit_events_user_id", AuditEvents::UserId),
        Index::create().name("ix_audit_events_at").table(AuditEvents::Table).col(AuditEvents::At).to_owned(),
        by("ix_audit_events_app_id", AuditEvents::AppId),
    ];
    if with_clients {
        all.push(client_events_index());
    }
    all
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            return sqlite_rebuild::rebuild(manager, "audit_events", audit_events(true), &COLUMNS, indexes(true)).await;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "ALTER TABLE audit_events ADD COLUMN client_id uuid NULL, DROP CONSTRAINT audit_events_subject, \
                 ADD CONSTRAINT audit_events_subject \
                 CHECK (user_id IS NOT NULL OR app_id IS NOT NULL OR client_id IS NOT NULL)",
            )
            .await?;
        manager.create_index(client_events_index()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM audit_events WHERE user_id IS NULL AND app_id IS NULL").await?;
        if manager.get_database_backend() == DbBackend::Sqlite {
            return sqlite_rebuild::rebuild(manager, "audit_events", audit_events(false), &COLUMNS, indexes(false))
                .await;
        }
        manager
            .drop_index(Index::drop().name("ix_audit_events_client_id").table(AuditEvents::Table).to_owned())
            .await?;
        db.execute_unprepared(
            "ALTER TABLE audit_events DROP CONSTRAINT audit_events_subject, DROP COLUMN client_id, \
             ADD CONSTRAINT audit_events_subject CHECK (user_id IS NOT NULL OR app_id IS NOT NULL)",
        )
        .await
        .map(|_| ())
    }
}
