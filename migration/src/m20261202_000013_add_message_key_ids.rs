//! Encrypted message bodies: the id of the message key that sealed a
//! message's body (and its fan-out job's payload) is stored with the row.
//! NULL: stored in the clear (a queue without `_enable_encrypt_messages`).
//! The id lets keys rotate: `tidings rotate-key` finds the rows sealed by
//! an old key through `ix_messages_key_id`.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    KeyId,
}

#[derive(DeriveIden)]
enum Fanouts {
    Table,
    KeyId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds only one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(ColumnDef::new(Messages::KeyId).string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Fanouts::Table)
                    .add_column(ColumnDef::new(Fanouts::KeyId).string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_messages_key_id")
                    .table(Messages::Table)
                    .col(Messages::KeyId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_messages_key_id")
                    .table(Messages::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Fanouts::Table)
                    .drop_column(Fanouts::KeyId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(Messages::KeyId)
                    .to_owned(),
            )
            .await
    }
}
