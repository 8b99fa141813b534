//! Per-queue template sets (`/v2/queues/{queue}/templates/{name}`): the
//! subject, text and optional HTML templates of one named set, kept as
//! their owner wrote them (they compiled when they were stored).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TemplateSets {
    Table,
    Project,
    Queue,
    Name,
    Subject,
    Text,
    Html,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TemplateSets::Table)
                    .col(ColumnDef::new(TemplateSets::Project).string().not_null())
                    .col(ColumnDef::new(TemplateSets::Queue).string().not_null())
                    .col(ColumnDef::new(TemplateSets::Name).string().not_null())
                    .col(ColumnDef::new(TemplateSets::Subject).text().not_null())
                    .col(ColumnDef::new(TemplateSets::Text).text().not_null())
                    .col(ColumnDef::new(TemplateSets::Html).text().null())
                    .col(
                        ColumnDef::new(TemplateSets::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TemplateSets::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(TemplateSets::Project)
                            .col(TemplateSets::Queue)
                            .col(TemplateSets::Name),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TemplateSets::Table).to_owned())
            .await
    }
}
