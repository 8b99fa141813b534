//! Each message's event type, derived when it is posted (see
//! `routing::event_type`), stored with the message and with its fan-out
//! job: fan-out matches subscriptions against it without reading the
//! message, and the AMQP channel uses it as the routing key. NULL: the
//! message has no event type.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    EventType,
}

#[derive(DeriveIden)]
enum Fanouts {
    Table,
    EventType,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds only one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(ColumnDef::new(Messages::EventType).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Fanouts::Table)
                    .add_column(ColumnDef::new(Fanouts::EventType).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Fanouts::Table)
                    .drop_column(Fanouts::EventType)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(Messages::EventType)
                    .to_owned(),
            )
            .await
    }
}
