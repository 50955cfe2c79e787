use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Phone,
    PhoneVerifiedAt,
}

#[derive(DeriveIden)]
enum OtpChallenges {
    Table,
    UserId,
    Purpose,
    Destination,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A user's phone (E.164) and when they proved it theirs. Changing the
        // number resets `phone_verified_at` in the same UPDATE
        // (infra/src/users.rs), and confirming sets it only `WHERE phone =`
        // the number the code went to. SQLite adds one column per ALTER.
        manager
            .alter_table(Table::alter().table(Users::Table).add_column(string_len_null(Users::Phone, 16)).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::PhoneVerifiedAt))
                    .to_owned(),
            )
            .await?;
        // What a challenge proves, and for a phone the number its code went to.
        manager
            .alter_table(
                Table::alter()
                    .table(OtpChallenges::Table)
                    .add_column(
                        string_len(OtpChallenges::Purpose, 16)
                            .default("login")
                            .check(Expr::col(OtpChallenges::Purpose).is_in(["login", "phone"])),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OtpChallenges::Table)
                    .add_column(string_len_null(OtpChallenges::Destination, 16))
                    .to_owned(),
            )
            .await?;
        // A user's latest challenge of a purpose (phone confirmation reads it).
        manager
            .create_index(
                Index::create()
                    .name("ix_otp_challenges_user_purpose_created")
                    .table(OtpChallenges::Table)
                    .col(OtpChallenges::UserId)
                    .col(OtpChallenges::Purpose)
                    .col(OtpChallenges::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop().name("ix_otp_challenges_user_purpose_created").table(OtpChallenges::Table).to_owned(),
            )
            .await?;
        for column in [OtpChallenges::Destination, OtpChallenges::Purpose] {
            manager.alter_table(Table::alter().table(OtpChallenges::Table).drop_column(column).to_owned()).await?;
        }
        for column in [Users::PhoneVerifiedAt, Users::Phone] {
            manager.alter_table(Table::alter().table(Users::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
