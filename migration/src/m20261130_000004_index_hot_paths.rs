//! Indexes for the queries that run all the time and must not slow down as
//! the tables grow: the worker's look for unexpanded fan-out jobs, the
//! fan-out's ordered pages of a queue's active subscriptions, and the
//! retention sweep of finished deliveries and spent fan-out jobs. And one
//! index made smaller: most messages are never claimed, so the claim index
//! holds only claimed rows and an unclaimed post no longer writes to it.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Fanouts {
    Table,
    Id,
    Expanded,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
    Project,
    Queue,
    Status,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    FanoutId,
    Status,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Partial indexes are plain SQL on both backends; `claim_id = ?`
        // implies `claim_id IS NOT NULL`, so lookups by claim still use it.
        // MariaDB has no partial indexes: it keeps the whole one.
        let db = manager.get_connection();
        if manager.get_database_backend() != DbBackend::MySql {
            db.execute_unprepared("DROP INDEX IF EXISTS ix_messages_claim_id")
                .await?;
            db.execute_unprepared(
                "CREATE INDEX ix_messages_claim_id ON messages (claim_id) WHERE claim_id IS NOT NULL",
            )
            .await?;
        }
        // Without it, finding the next unexpanded job reads every job ever
        // expanded first.
        manager
            .create_index(
                Index::create()
                    .name("ix_fanouts_pending")
                    .table(Fanouts::Table)
                    .col(Fanouts::Expanded)
                    .col(Fanouts::Id)
                    .to_owned(),
            )
            .await?;
        // Pages in id order straight off the index, no sort of the queue's
        // whole audience per page.
        if manager.get_database_backend() == DbBackend::MySql {
            // Four VARCHAR(255) in utf8mb4 pass InnoDB's 3,072-byte key
            // limit; the project's first 128 characters select as well.
            db.execute_unprepared(
                "CREATE INDEX ix_subscriptions_fanout_page \
                 ON subscriptions (project(128), queue, status(32), id)",
            )
            .await?;
        } else {
            manager
                .create_index(
                    Index::create()
                        .name("ix_subscriptions_fanout_page")
                        .table(Subscriptions::Table)
                        .col(Subscriptions::Project)
                        .col(Subscriptions::Queue)
                        .col(Subscriptions::Status)
                        .col(Subscriptions::Id)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_finished")
                    .table(Deliveries::Table)
                    .col(Deliveries::Status)
                    .col(Deliveries::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        // The sweep keeps a fan-out job while any delivery refers to it.
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_fanout")
                    .table(Deliveries::Table)
                    .col(Deliveries::FanoutId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() != DbBackend::MySql {
            db.execute_unprepared("DROP INDEX IF EXISTS ix_messages_claim_id")
                .await?;
            db.execute_unprepared("CREATE INDEX ix_messages_claim_id ON messages (claim_id)")
                .await?;
        }
        for (name, table) in [
            ("ix_deliveries_fanout", Deliveries::Table.into_iden()),
            ("ix_deliveries_finished", Deliveries::Table.into_iden()),
            (
                "ix_subscriptions_fanout_page",
                Subscriptions::Table.into_iden(),
            ),
            ("ix_fanouts_pending", Fanouts::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
