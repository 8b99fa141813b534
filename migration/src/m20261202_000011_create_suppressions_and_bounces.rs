//! The suppression lists (per project, and server-wide under project
//! `*`), the bounce audit trail, the VERP tokens that map a bounce back to
//! its delivery (by their SHA-256, never the token), and the count of
//! temporary bounces in a row per address.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Suppressions {
    Table,
    Id,
    Project,
    Address,
    Reason,
    CreatedAt,
    ExpiresAt,
    Source,
}

#[derive(DeriveIden)]
enum Bounces {
    Table,
    Id,
    ReceivedAt,
    Project,
    DeliveryId,
    Kind,
    Classification,
    Details,
    Raw,
}

#[derive(DeriveIden)]
enum BounceTokens {
    Table,
    TokenHash,
    DeliveryId,
    Project,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BounceStreaks {
    Table,
    Id,
    Project,
    Address,
    Count,
    UpdatedAt,
}

fn id(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .string()
        .not_null()
        .primary_key()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Suppressions::Table)
                    .col(id(Suppressions::Id))
                    .col(ColumnDef::new(Suppressions::Project).string().not_null())
                    .col(ColumnDef::new(Suppressions::Address).string().not_null())
                    .col(ColumnDef::new(Suppressions::Reason).string().not_null())
                    .col(
                        ColumnDef::new(Suppressions::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Suppressions::ExpiresAt).big_integer().null())
                    .col(ColumnDef::new(Suppressions::Source).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_suppressions_project_address")
                    .table(Suppressions::Table)
                    .col(Suppressions::Project)
                    .col(Suppressions::Address)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Bounces::Table)
                    .col(id(Bounces::Id))
                    .col(ColumnDef::new(Bounces::ReceivedAt).big_integer().not_null())
                    .col(ColumnDef::new(Bounces::Project).string().null())
                    .col(ColumnDef::new(Bounces::DeliveryId).big_integer().null())
                    .col(ColumnDef::new(Bounces::Kind).string().null())
                    .col(ColumnDef::new(Bounces::Classification).string().not_null())
                    .col(ColumnDef::new(Bounces::Details).text().not_null())
                    .col(ColumnDef::new(Bounces::Raw).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_bounces_received_at")
                    .table(Bounces::Table)
                    .col(Bounces::ReceivedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BounceTokens::Table)
                    .col(id(BounceTokens::TokenHash))
                    .col(
                        ColumnDef::new(BounceTokens::DeliveryId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(BounceTokens::Project).string().not_null())
                    .col(
                        ColumnDef::new(BounceTokens::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_bounce_tokens_created_at")
                    .table(BounceTokens::Table)
                    .col(BounceTokens::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BounceStreaks::Table)
                    .col(id(BounceStreaks::Id))
                    .col(ColumnDef::new(BounceStreaks::Project).string().not_null())
                    .col(ColumnDef::new(BounceStreaks::Address).string().not_null())
                    .col(ColumnDef::new(BounceStreaks::Count).integer().not_null())
                    .col(
                        ColumnDef::new(BounceStreaks::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_bounce_streaks_project_address")
                    .table(BounceStreaks::Table)
                    .col(BounceStreaks::Project)
                    .col(BounceStreaks::Address)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Suppressions::Table.into_iden(),
            Bounces::Table.into_iden(),
            BounceTokens::Table.into_iden(),
            BounceStreaks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
