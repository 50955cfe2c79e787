use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261201_000011_create_apps::Apps;
use crate::{Users, sqlite_rebuild};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum OtpChallenges {
    Table,
    Id,
    UserId,
    AppId,
    Purpose,
    Method,
    Destination,
    CodeHash,
    CodeLength,
    MaxAttempts,
    Attempts,
    Resends,
    CreatedAt,
    LastSentAt,
    ExpiresAt,
    UsedAt,
    CanceledAt,
    DeliveryId,
    LinkHash,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    AppId,
    Sender,
}

const OLD_COLUMNS: [&str; 13] = [
    "id",
    "user_id",
    "purpose",
    "method",
    "destination",
    "code_hash",
    "attempts",
    "resends",
    "created_at",
    "last_sent_at",
    "expires_at",
    "used_at",
    "delivery_id",
];

/// The shapes the challenges table has had, for the SQLite rebuilds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Shape {
    /// Before this migration: a user's logins and phones.
    Users,
    /// After it: applications' verifications too.
    Apps,
    /// After `m20261206_000016_email_proofs`: mailed email proofs and
    /// resets, found by their link's hash.
    EmailProofs,
    /// After `m20261206_000019_step_up_challenges`: a session's step-up.
    StepUp,
}

/// The challenges table before (`for_apps` false) and after: a challenge is
/// a user's (a login, a phone) or an application's (a verification, sent
/// to `destination`, an email address or a number); its code's length and
/// the wrong answers it survives are its own; an app's can be canceled.
fn challenges(for_apps: bool) -> TableCreateStatement {
    challenges_table(if for_apps { Shape::Apps } else { Shape::Users })
}

/// The challenges table of `shape`.
pub(crate) fn challenges_table(shape: Shape) -> TableCreateStatement {
    let for_apps = shape >= Shape::Apps;
    let c = OtpChallenges::Table;
    let mut t = Table::create();
    t.table(c).col(uuid(OtpChallenges::Id).primary_key());
    if for_apps {
        t.col(uuid_null(OtpChallenges::UserId))
            .col(uuid_null(OtpChallenges::AppId))
            .check(Expr::col(OtpChallenges::UserId).is_not_null().or(Expr::col(OtpChallenges::AppId).is_not_null()));
    } else {
        t.col(uuid(OtpChallenges::UserId));
    }
    let purposes: &[&str] = match shape {
        Shape::Users => &["login", "phone"],
        Shape::Apps => &["login", "phone", "verification"],
        Shape::EmailProofs => &["login", "phone", "verification", "email", "reset"],
        Shape::StepUp => &["login", "phone", "verification", "email", "reset", "step_up"],
    };
    t.col(
        string_len(OtpChallenges::Purpose, 16)
            .default("login")
            .check(Expr::col(OtpChallenges::Purpose).is_in(purposes.iter().copied())),
    )
    .col(string_len(OtpChallenges::Method, 16))
    .col(string_len_null(OtpChallenges::Destination, if for_apps { 320 } else { 16 }))
    .col(string_len(OtpChallenges::CodeHash, 64));
    if for_apps {
        t.col(integer(OtpChallenges::CodeLength).default(6)).col(integer(OtpChallenges::MaxAttempts).default(5));
    }
    t.col(integer(OtpChallenges::Attempts).default(0))
        .col(integer(OtpChallenges::Resends).default(0))
        .col(timestamp_with_time_zone(OtpChallenges::CreatedAt))
        .col(timestamp_with_time_zone(OtpChallenges::LastSentAt))
        .col(timestamp_with_time_zone(OtpChallenges::ExpiresAt))
        .col(timestamp_with_time_zone_null(OtpChallenges::UsedAt));
    if for_apps {
        t.col(timestamp_with_time_zone_null(OtpChallenges::CanceledAt));
    }
    t.col(uuid_null(OtpChallenges::DeliveryId));
    if shape >= Shape::EmailProofs {
        t.col(string_len_null(OtpChallenges::LinkHash, 64));
    }
    t.foreign_key(
        ForeignKey::create()
            .name("fk_otp_challenges_user")
            .from(c, OtpChallenges::UserId)
            .to(Users::Table, Users::Id)
            .on_delete(ForeignKeyAction::Cascade),
    );
    if for_apps {
        t.foreign_key(
            ForeignKey::create()
                .name("fk_otp_challenges_app")
                .from(c, OtpChallenges::AppId)
                .to(Apps::Table, Apps::Id)
                .on_delete(ForeignKeyAction::Cascade),
        );
    }
    t.to_owned()
}

fn indexes(for_apps: bool) -> Vec<IndexCreateStatement> {
    indexes_of(if for_apps { Shape::Apps } else { Shape::Users })
}

/// The challenges table's indexes in `shape`.
pub(crate) fn indexes_of(shape: Shape) -> Vec<IndexCreateStatement> {
    let for_apps = shape >= Shape::Apps;
    let c = OtpChallenges::Table;
    let mut all = vec![
        Index::create().name("ix_otp_challenges_user").table(c).col(OtpChallenges::UserId).to_owned(),
        Index::create().name("ix_otp_challenges_expires").table(c).col(OtpChallenges::ExpiresAt).to_owned(),
        Index::create()
            .name("ix_otp_challenges_user_purpose_created")
            .table(c)
            .col(OtpChallenges::UserId)
            .col(OtpChallenges::Purpose)
            .col(OtpChallenges::CreatedAt)
            .to_owned(),
    ];
    if for_apps {
        all.push(app_destination_index());
    }
    if shape >= Shape::EmailProofs {
        all.push(link_index());
    }
    all
}

/// A mailed link's challenge, found by its token's hash; one challenge per hash.
pub(crate) fn link_index() -> IndexCreateStatement {
    Index::create()
        .name("ux_otp_challenges_link_hash")
        .table(OtpChallenges::Table)
        .col(OtpChallenges::LinkHash)
        .unique()
        .to_owned()
}

/// An app's open verifications to one destination: the pending cap counts them.
fn app_destination_index() -> IndexCreateStatement {
    Index::create()
        .name("ix_otp_challenges_app_destination")
        .table(OtpChallenges::Table)
        .col(OtpChallenges::AppId)
        .col(OtpChallenges::Destination)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every backend (see `sqlite_rebuild`).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Sqlite {
            sqlite_rebuild::rebuild(manager, "otp_challenges", challenges(true), &OLD_COLUMNS, indexes(true)).await?;
        } else {
            db.execute_unprepared(
                "ALTER TABLE otp_challenges ALTER COLUMN user_id DROP NOT NULL, \
                 ADD COLUMN app_id uuid NULL CONSTRAINT fk_otp_challenges_app REFERENCES apps (id) ON DELETE CASCADE, \
                 ADD CONSTRAINT otp_challenges_owner CHECK (user_id IS NOT NULL OR app_id IS NOT NULL), \
                 DROP CONSTRAINT IF EXISTS otp_challenges_purpose_check, \
                 ADD CONSTRAINT otp_challenges_purpose_check CHECK (purpose IN ('login', 'phone', 'verification')), \
                 ALTER COLUMN destination TYPE varchar(320), \
                 ADD COLUMN code_length integer NOT NULL DEFAULT 6, \
                 ADD COLUMN max_attempts integer NOT NULL DEFAULT 5, \
                 ADD COLUMN canceled_at timestamptz NULL",
            )
            .await?;
            manager.create_index(app_destination_index()).await?;
        }
        // A message for an app's verification: the app it is about (its
        // events), and its name for the wording. Deleting an app deletes its
        // messages in the same transaction (infra/src/apps.rs).
        for column in [uuid_null(Deliveries::AppId), string_len_null(Deliveries::Sender, 100)] {
            manager.alter_table(Table::alter().table(Deliveries::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM deliveries WHERE app_id IS NOT NULL").await?;
        db.execute_unprepared("DELETE FROM otp_challenges WHERE user_id IS NULL").await?;
        for column in [Deliveries::Sender, Deliveries::AppId] {
            manager.alter_table(Table::alter().table(Deliveries::Table).drop_column(column).to_owned()).await?;
        }
        if manager.get_database_backend() == DbBackend::Sqlite {
            return sqlite_rebuild::rebuild(manager, "otp_challenges", challenges(false), &OLD_COLUMNS, indexes(false))
                .await;
        }
        manager
            .drop_index(Index::drop().name("ix_otp_challenges_app_destination").table(OtpChallenges::Table).to_owned())
            .await?;
        db.execute_unprepared(
            "ALTER TABLE otp_challenges DROP CONSTRAINT otp_challenges_owner, DROP COLUMN app_id, \
             DROP COLUMN code_length, DROP COLUMN max_attempts, DROP COLUMN canceled_at, \
             ALTER COLUMN destination TYPE varchar(16), ALTER COLUMN user_id SET NOT NULL, \
             DROP CONSTRAINT otp_challenges_purpose_check, \
             ADD CONSTRAINT otp_challenges_purpose_check CHECK (purpose IN ('login', 'phone'))",
        )
        .await?;
        Ok(())
    }
}
