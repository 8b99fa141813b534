//! The durable outbox: fan-out jobs, deliveries and their attempt log.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Fanouts {
    Table,
    Id,
    Project,
    Queue,
    MessageId,
    Payload,
    Cursor,
    Expanded,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    Project,
    Queue,
    SubscriptionId,
    Subscriber,
    Kind,
    MessageId,
    FanoutId,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DeliveryAttempts {
    Table,
    Id,
    DeliveryId,
    At,
    Outcome,
    Code,
    Detail,
    DurationMs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per posted message on a queue that has subscribers; a
        // worker expands it into deliveries in batches, so posting never
        // loops over subscribers. `cursor` is the last subscription id
        // expanded. The row outlives its expansion because its deliveries
        // (and any later redelivery) read the payload from it.
        manager
            .create_table(
                Table::create()
                    .table(Fanouts::Table)
                    .col(
                        ColumnDef::new(Fanouts::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Fanouts::Project).string().not_null())
                    .col(ColumnDef::new(Fanouts::Queue).string().not_null())
                    .col(ColumnDef::new(Fanouts::MessageId).string().not_null())
                    .col(ColumnDef::new(Fanouts::Payload).text().not_null())
                    .col(ColumnDef::new(Fanouts::Cursor).string().null())
                    .col(
                        ColumnDef::new(Fanouts::Expanded)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(Fanouts::CreatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(
                        ColumnDef::new(Deliveries::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Deliveries::Project).string().not_null())
                    .col(ColumnDef::new(Deliveries::Queue).string().not_null())
                    .col(
                        ColumnDef::new(Deliveries::SubscriptionId)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Deliveries::Subscriber).text().not_null())
                    .col(ColumnDef::new(Deliveries::Kind).string().not_null())
                    .col(ColumnDef::new(Deliveries::MessageId).string().null())
                    .col(ColumnDef::new(Deliveries::FanoutId).big_integer().null())
                    .col(ColumnDef::new(Deliveries::Payload).text().null())
                    .col(ColumnDef::new(Deliveries::Status).string().not_null())
                    .col(
                        ColumnDef::new(Deliveries::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(Deliveries::NextAttemptAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Deliveries::LeaseUntil).big_integer().null())
                    .col(ColumnDef::new(Deliveries::LastError).text().null())
                    .col(
                        ColumnDef::new(Deliveries::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Deliveries::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_due")
                    .table(Deliveries::Table)
                    .col(Deliveries::Status)
                    .col(Deliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_subscription")
                    .table(Deliveries::Table)
                    .col(Deliveries::SubscriptionId)
                    .col(Deliveries::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DeliveryAttempts::Table)
                    .col(
                        ColumnDef::new(DeliveryAttempts::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(DeliveryAttempts::DeliveryId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DeliveryAttempts::At)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DeliveryAttempts::Outcome)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(DeliveryAttempts::Code).integer().null())
                    .col(ColumnDef::new(DeliveryAttempts::Detail).text().not_null())
                    .col(
                        ColumnDef::new(DeliveryAttempts::DurationMs)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_delivery_attempts_delivery")
                    .table(DeliveryAttempts::Table)
                    .col(DeliveryAttempts::DeliveryId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DeliveryAttempts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Deliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Fanouts::Table).to_owned())
            .await
    }
}
