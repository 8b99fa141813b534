//! The Providence notification rules (`/api/notificationRules`): each rule
//! as its owner sent it, and the alert-mode `mailto:` subscriptions it
//! made, one per address.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NotificationRules {
    Table,
    Id,
    Project,
    Queue,
    Document,
    SubscriptionIds,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NotificationRules::Table)
                    .col(
                        ColumnDef::new(NotificationRules::Id)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(NotificationRules::Project)
                            .string()
                            .not_null(),
                    )
                    .col(ColumnDef::new(NotificationRules::Queue).string().not_null())
                    .col(
                        ColumnDef::new(NotificationRules::Document)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(NotificationRules::SubscriptionIds)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(NotificationRules::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(NotificationRules::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notification_rules_project")
                    .table(NotificationRules::Table)
                    .col(NotificationRules::Project)
                    .col(NotificationRules::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NotificationRules::Table).to_owned())
            .await
    }
}
