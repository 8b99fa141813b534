//! Queues, messages and claims: the Zaqar v2 storage core.
//!
//! Times are epoch milliseconds in BIGINT columns so that SQLite and
//! PostgreSQL run the same queries and compare plain integers.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Queues {
    Table,
    Id,
    Project,
    Name,
    Metadata,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Seq,
    Id,
    Project,
    Queue,
    Body,
    Ttl,
    ClientId,
    CreatedAt,
    ExpiresAt,
    VisibleAt,
    ClaimId,
    ClaimExpiresAt,
    ClaimCount,
}

#[derive(DeriveIden)]
enum Claims {
    Table,
    Id,
    Project,
    Queue,
    Ttl,
    Grace,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::MySql {
            // Queue names, projects, ids and addresses compare byte for
            // byte, as on PostgreSQL and SQLite: MariaDB's default
            // collation would make `Orders` and `orders` one queue. (Tables
            // made before a connection sees this are converted in
            // m20261202_000014.)
            manager
                .get_connection()
                .execute_unprepared("ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Queues::Table)
                    .col(
                        ColumnDef::new(Queues::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Queues::Project).string().not_null())
                    .col(ColumnDef::new(Queues::Name).string().not_null())
                    .col(ColumnDef::new(Queues::Metadata).text().not_null())
                    .col(ColumnDef::new(Queues::CreatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_queues_project_name")
                    .table(Queues::Table)
                    .col(Queues::Project)
                    .col(Queues::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(
                        ColumnDef::new(Messages::Seq)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Messages::Id)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Messages::Project).string().not_null())
                    .col(ColumnDef::new(Messages::Queue).string().not_null())
                    .col(ColumnDef::new(Messages::Body).text().not_null())
                    .col(ColumnDef::new(Messages::Ttl).big_integer().not_null())
                    .col(ColumnDef::new(Messages::ClientId).string().not_null())
                    .col(ColumnDef::new(Messages::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(Messages::ExpiresAt).big_integer().not_null())
                    .col(ColumnDef::new(Messages::VisibleAt).big_integer().not_null())
                    .col(ColumnDef::new(Messages::ClaimId).string().null())
                    .col(
                        ColumnDef::new(Messages::ClaimExpiresAt)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Messages::ClaimCount)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_messages_queue_seq")
                    .table(Messages::Table)
                    .col(Messages::Project)
                    .col(Messages::Queue)
                    .col(Messages::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_messages_expires_at")
                    .table(Messages::Table)
                    .col(Messages::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_messages_claim_id")
                    .table(Messages::Table)
                    .col(Messages::ClaimId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Claims::Table)
                    .col(ColumnDef::new(Claims::Id).string().not_null().primary_key())
                    .col(ColumnDef::new(Claims::Project).string().not_null())
                    .col(ColumnDef::new(Claims::Queue).string().not_null())
                    .col(ColumnDef::new(Claims::Ttl).big_integer().not_null())
                    .col(ColumnDef::new(Claims::Grace).big_integer().not_null())
                    .col(ColumnDef::new(Claims::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(Claims::ExpiresAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_claims_expires_at")
                    .table(Claims::Table)
                    .col(Claims::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Claims::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Messages::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Queues::Table).to_owned())
            .await
    }
}
