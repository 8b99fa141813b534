//! "Why was X (not) notified" about a stored message finds the message's
//! fan-out job by message id, then its deliveries through
//! `ix_deliveries_fanout`. One index entry per posted message that had
//! subscribers; a post to a queue without any writes no fan-out row.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Fanouts {
    Table,
    MessageId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_fanouts_message")
                    .table(Fanouts::Table)
                    .col(Fanouts::MessageId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_fanouts_message")
                    .table(Fanouts::Table)
                    .to_owned(),
            )
            .await
    }
}
