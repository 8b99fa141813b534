//! Schema migrations for tidings. The application never builds its schema from
//! entities: these migrations are the only source of truth, and the tests run
//! against them.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_queues_messages_claims;
mod m20261123_000002_create_subscriptions;
mod m20261123_000003_create_deliveries;
mod m20261130_000004_index_hot_paths;
mod m20261201_000005_add_event_types;
mod m20261202_000006_index_fanouts_by_message;
mod m20261202_000007_create_alert_states;
mod m20261202_000008_create_notification_rules;
mod m20261202_000009_create_api_tokens;
mod m20261202_000010_create_confirmation_sends;
mod m20261202_000011_create_suppressions_and_bounces;
mod m20261202_000012_create_template_sets;
mod m20261202_000013_add_message_key_ids;
mod m20261202_000014_mysql_binary_text;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_queues_messages_claims::Migration),
            Box::new(m20261123_000002_create_subscriptions::Migration),
            Box::new(m20261123_000003_create_deliveries::Migration),
            Box::new(m20261130_000004_index_hot_paths::Migration),
            Box::new(m20261201_000005_add_event_types::Migration),
            Box::new(m20261202_000006_index_fanouts_by_message::Migration),
            Box::new(m20261202_000007_create_alert_states::Migration),
            Box::new(m20261202_000008_create_notification_rules::Migration),
            Box::new(m20261202_000009_create_api_tokens::Migration),
            Box::new(m20261202_000010_create_confirmation_sends::Migration),
            Box::new(m20261202_000011_create_suppressions_and_bounces::Migration),
            Box::new(m20261202_000012_create_template_sets::Migration),
            Box::new(m20261202_000013_add_message_key_ids::Migration),
            Box::new(m20261202_000014_mysql_binary_text::Migration),
        ]
    }
}
