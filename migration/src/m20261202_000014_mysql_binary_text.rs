//! MariaDB/MySQL only; nothing changes on the other databases.
//!
//! - Every table compares text byte for byte (`utf8mb4_bin`), as
//!   PostgreSQL and SQLite do: MariaDB's default collation would make
//!   `Orders` and `orders` one queue, and `mailto:a@X.org` the same
//!   subscriber as `mailto:a@x.org`. The first migration sets the
//!   database's default, but a pooled connection keeps the default it
//!   saw when it connected, so each table is converted here.
//! - TEXT holds 64 KiB there (unbounded on PostgreSQL and SQLite), less
//!   than one message may carry (256 KiB) or a bounce report may be. The
//!   columns that hold bodies, payloads and reports become MEDIUMTEXT
//!   (16 MiB).
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, column, NULL or NOT NULL as created).
const WIDENED: &[(&str, &str, &str)] = &[
    ("queues", "metadata", "NOT NULL"),
    ("messages", "body", "NOT NULL"),
    ("subscriptions", "options", "NOT NULL"),
    ("fanouts", "payload", "NOT NULL"),
    ("deliveries", "payload", "NULL"),
    ("deliveries", "last_error", "NULL"),
    ("delivery_attempts", "detail", "NOT NULL"),
    ("notification_rules", "document", "NOT NULL"),
    ("notification_rules", "subscription_ids", "NOT NULL"),
    ("bounces", "details", "NOT NULL"),
    ("bounces", "raw", "NOT NULL"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::MySql {
            return Ok(());
        }
        let db = manager.get_connection();
        let tables = db
            .query_all_raw(Statement::from_string(
                DbBackend::MySql,
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' \
                 AND table_name <> 'seaql_migrations'",
            ))
            .await?;
        for row in tables {
            let table: String = row.try_get_by_index(0)?;
            db.execute_unprepared(&format!(
                "ALTER TABLE `{table}` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            ))
            .await?;
        }
        for (table, column, null) in WIDENED {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} MODIFY {column} MEDIUMTEXT {null}"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::MySql {
            return Ok(());
        }
        for (table, column, null) in WIDENED {
            manager
                .get_connection()
                .execute_unprepared(&format!("ALTER TABLE {table} MODIFY {column} TEXT {null}"))
                .await?;
        }
        Ok(())
    }
}
