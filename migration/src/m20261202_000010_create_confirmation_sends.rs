//! One row per confirmation email queued, keyed by the SHA-256 of the
//! recipient address (lower case), never the address itself: the
//! per-address cap counts them over the last hour across every project,
//! on every node and across restarts. Rows older than the window are
//! deleted as new ones come.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConfirmationSends {
    Table,
    Id,
    AddressHash,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConfirmationSends::Table)
                    .col(
                        ColumnDef::new(ConfirmationSends::Id)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ConfirmationSends::AddressHash)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ConfirmationSends::SentAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_confirmation_sends_address")
                    .table(ConfirmationSends::Table)
                    .col(ConfirmationSends::AddressHash)
                    .col(ConfirmationSends::SentAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_confirmation_sends_sent_at")
                    .table(ConfirmationSends::Table)
                    .col(ConfirmationSends::SentAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ConfirmationSends::Table).to_owned())
            .await
    }
}
