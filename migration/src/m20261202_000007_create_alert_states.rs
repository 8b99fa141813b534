//! Alert subscriptions' per-element state (see `alerts::machine`): one row
//! per (subscription, element) reported to it. A pending "occurred" is a
//! delivery row due when the interval ends; `pending_delivery_id` says
//! which one is current, so a restart neither loses nor repeats it.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AlertStates {
    Table,
    SubscriptionId,
    Element,
    Level,
    Parent,
    LastState,
    NotifiedState,
    Since,
    Seq,
    PendingState,
    PendingDueAt,
    PendingDeliveryId,
    OccurredDeliveryId,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlertStates::Table)
                    .col(
                        ColumnDef::new(AlertStates::SubscriptionId)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AlertStates::Element).string().not_null())
                    .col(ColumnDef::new(AlertStates::Level).string().null())
                    .col(ColumnDef::new(AlertStates::Parent).text().null())
                    .col(ColumnDef::new(AlertStates::LastState).string().not_null())
                    .col(
                        ColumnDef::new(AlertStates::NotifiedState)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AlertStates::Since).big_integer().not_null())
                    // The fan-out job of the last report applied: an older
                    // report arriving late (several workers) is ignored.
                    .col(ColumnDef::new(AlertStates::Seq).big_integer().not_null())
                    .col(ColumnDef::new(AlertStates::PendingState).string().null())
                    .col(
                        ColumnDef::new(AlertStates::PendingDueAt)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(AlertStates::PendingDeliveryId)
                            .big_integer()
                            .null(),
                    )
                    // The "occurred" last let through: its retries go on.
                    .col(
                        ColumnDef::new(AlertStates::OccurredDeliveryId)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(AlertStates::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(AlertStates::SubscriptionId)
                            .col(AlertStates::Element),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AlertStates::Table).to_owned())
            .await
    }
}
