//! Subscriptions, their single-use confirmation tokens, and the server
//! secrets table (the persisted signing key when `TIDINGS_SECRET_KEY` is
//! unset).
//!
//! Times are epoch milliseconds (BIGINT), as in the first migration.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
    Project,
    Queue,
    Subscriber,
    Ttl,
    Options,
    Status,
    CreatedAt,
    ExpiresAt,
    UpdatedAt,
    ConfirmedAt,
    LastConfirmationSentAt,
}

#[derive(DeriveIden)]
enum ConfirmTokens {
    Table,
    Id,
    SubscriptionId,
    Purpose,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum ServerSecrets {
    Table,
    Name,
    Value,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Subscriptions::Table)
                    .col(
                        ColumnDef::new(Subscriptions::Id)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Subscriptions::Project).string().not_null())
                    .col(ColumnDef::new(Subscriptions::Queue).string().not_null())
                    .col(ColumnDef::new(Subscriptions::Subscriber).text().not_null())
                    .col(ColumnDef::new(Subscriptions::Ttl).big_integer().not_null())
                    .col(ColumnDef::new(Subscriptions::Options).text().not_null())
                    // pending | active | unsubscribed
                    .col(ColumnDef::new(Subscriptions::Status).string().not_null())
                    .col(
                        ColumnDef::new(Subscriptions::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Subscriptions::ExpiresAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Subscriptions::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    // Set when the owner confirmed (link or PUT confirm true);
                    // only such subscriptions make a re-POST a 409.
                    .col(
                        ColumnDef::new(Subscriptions::ConfirmedAt)
                            .big_integer()
                            .null(),
                    )
                    // The re-send rate limit reads this.
                    .col(
                        ColumnDef::new(Subscriptions::LastConfirmationSentAt)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::MySql {
            // InnoDB cannot index a TEXT column whole (and a prefix would
            // make two long URIs with the same start one subscription):
            // the key holds the URI's SHA-256 instead, kept by the server.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE subscriptions ADD COLUMN subscriber_sha256 BINARY(32) \
                     AS (UNHEX(SHA2(subscriber, 256))) STORED",
                )
                .await?;
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE UNIQUE INDEX ux_subscriptions_project_queue_subscriber \
                     ON subscriptions (project, queue, subscriber_sha256)",
                )
                .await?;
        } else {
            manager
                .create_index(
                    Index::create()
                        .name("ux_subscriptions_project_queue_subscriber")
                        .table(Subscriptions::Table)
                        .col(Subscriptions::Project)
                        .col(Subscriptions::Queue)
                        .col(Subscriptions::Subscriber)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        // Fan-out reads active, unexpired subscriptions of one queue.
        manager
            .create_index(
                Index::create()
                    .name("ix_subscriptions_fanout")
                    .table(Subscriptions::Table)
                    .col(Subscriptions::Project)
                    .col(Subscriptions::Queue)
                    .col(Subscriptions::Status)
                    .col(Subscriptions::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_subscriptions_expires_at")
                    .table(Subscriptions::Table)
                    .col(Subscriptions::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConfirmTokens::Table)
                    .col(
                        ColumnDef::new(ConfirmTokens::Id)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ConfirmTokens::SubscriptionId)
                            .string()
                            .not_null(),
                    )
                    // confirm | unsubscribe
                    .col(ColumnDef::new(ConfirmTokens::Purpose).string().not_null())
                    // SHA-256 hex of the token; the token itself is never stored.
                    .col(
                        ColumnDef::new(ConfirmTokens::TokenHash)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(ConfirmTokens::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ConfirmTokens::ExpiresAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ConfirmTokens::UsedAt).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_confirm_tokens_subscription")
                    .table(ConfirmTokens::Table)
                    .col(ConfirmTokens::SubscriptionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_confirm_tokens_expires_at")
                    .table(ConfirmTokens::Table)
                    .col(ConfirmTokens::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ServerSecrets::Table)
                    .col(
                        ColumnDef::new(ServerSecrets::Name)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ServerSecrets::Value).text().not_null())
                    .col(
                        ColumnDef::new(ServerSecrets::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServerSecrets::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ConfirmTokens::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Subscriptions::Table).to_owned())
            .await
    }
}
