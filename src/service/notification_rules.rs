//! The Providence notification rules: a facade over alert-mode `mailto:`
//! subscriptions. A rule names a queue (`environmentSubscriptionId`) and
//! addresses; each address becomes one subscription in alert mode
//! (`mailto:<address>?rule=<id>`, so two rules may name the same address),
//! confirmed by its owner under the server's confirmation setting. A rule,
//! its subscriptions and their confirmations commit together.
use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use serde_json::{json, Map, Value};

use super::confirmation;
use super::Deps;
use crate::alerts::providence::RuleSpec;
use crate::alerts::AlertLayout;
use crate::domain::subscription::{Status, MAX_SUBSCRIPTION_TTL};
use crate::domain::{ProjectId, QueueName, Subscriber};
use crate::store;
use crate::store::entities::{notification_rule, subscription};

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// An address had its hourly share of confirmation emails.
    #[error("confirmation emails to this address are capped")]
    ConfirmationsCapped { retry_after: u64 },
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<super::confirmation::SendError> for RuleError {
    fn from(err: super::confirmation::SendError) -> Self {
        match err {
            super::confirmation::SendError::Capped { retry_after } => {
                RuleError::ConfirmationsCapped { retry_after }
            }
            super::confirmation::SendError::Db(err) => RuleError::Db(err),
        }
    }
}

const RULE_NOT_FOUND: &str = "The notification rule was not found.";

fn subscriber_uri(address: &str, rule_id: &str) -> String {
    format!("mailto:{address}?rule={rule_id}")
}

/// The address of one of a rule's subscriptions.
fn address_of(sub: &subscription::Model) -> &str {
    let rest = sub
        .subscriber
        .strip_prefix("mailto:")
        .unwrap_or(&sub.subscriber);
    rest.split('?').next().unwrap_or(rest)
}

/// The queue must exist, and declare every level the rule names.
async fn check_environment(
    deps: &Deps<'_>,
    project: &ProjectId,
    spec: &RuleSpec,
) -> Result<Map<String, Value>, RuleError> {
    if store::queues::get(deps.db, project, &spec.queue)
        .await?
        .is_none()
    {
        return Err(RuleError::NotFound(format!(
            "The environment {:?} (environmentSubscriptionId) was not found.",
            spec.queue.as_str()
        )));
    }
    let metadata = deps.metadata.get(deps.db, project, &spec.queue).await?;
    let layout = AlertLayout::from_metadata(&metadata).map_err(RuleError::Invalid)?;
    if let Some(level) = spec.levels.iter().find(|l| !layout.declares(l)) {
        return Err(RuleError::Invalid(format!(
            "levels: unknown level {level:?} (the environment declares: {}).",
            layout.levels().join(", ")
        )));
    }
    // The same check every subscription gets (alert options, policy).
    let options = spec.subscription_options();
    let probe = subscriber_uri(&spec.addresses[0], "00000000-0000-0000-0000-000000000000");
    deps.router
        .compile_for_subscribe(&options, &probe, &metadata)
        .map_err(RuleError::Invalid)?;
    Ok(options)
}

async fn subscribe(
    db: &impl ConnectionTrait,
    deps: &Deps<'_>,
    project: &ProjectId,
    queue: &QueueName,
    (rule_id, address): (&str, &str),
    options: &Map<String, Value>,
    now: i64,
) -> Result<String, RuleError> {
    let raw = subscriber_uri(address, rule_id);
    let parsed = Subscriber::parse(&raw).map_err(RuleError::Invalid)?;
    let status = confirmation::initial_status(deps.settings.require_confirmation, &parsed);
    let row = subscription::Model {
        id: uuid::Uuid::new_v4().to_string(),
        project: project.as_str().to_string(),
        queue: queue.as_str().to_string(),
        subscriber: raw,
        ttl: MAX_SUBSCRIPTION_TTL,
        options: Value::Object(options.clone()).to_string(),
        status: status.as_str().to_string(),
        created_at: now,
        expires_at: now + MAX_SUBSCRIPTION_TTL * 1000,
        updated_at: now,
        confirmed_at: None,
        last_confirmation_sent_at: None,
    };
    store::subscriptions::insert_if_absent(db, row.clone()).await?;
    if status == Status::Pending {
        confirmation::send(db, deps, &row, now).await?;
    }
    Ok(row.id)
}

async fn unsubscribe_all(db: &impl ConnectionTrait, ids: &[String]) -> Result<(), DbErr> {
    for id in ids {
        store::subscriptions::delete_by_id(db, id).await?;
    }
    store::alert_states::delete_for(db, ids).await
}

fn ids_of(rule: &notification_rule::Model) -> Vec<String> {
    serde_json::from_str(&rule.subscription_ids).unwrap_or_default()
}

fn changed(deps: &Deps<'_>) {
    deps.fanout_targets.subscriptions_changed();
    // Confirmation emails go out now, not at the next poll.
    deps.wake.notify_one();
}

pub async fn create(
    deps: &Deps<'_>,
    project: &ProjectId,
    spec: RuleSpec,
) -> Result<Value, RuleError> {
    let options = check_environment(deps, project, &spec).await?;
    let now = deps.now();
    let id = uuid::Uuid::new_v4().to_string();
    let txn = deps.db.begin().await?;
    let mut ids = Vec::with_capacity(spec.addresses.len());
    for address in &spec.addresses {
        let target = (id.as_str(), address.as_str());
        ids.push(subscribe(&txn, deps, project, &spec.queue, target, &options, now).await?);
    }
    let row = notification_rule::Model {
        id,
        project: project.as_str().to_string(),
        queue: spec.queue.as_str().to_string(),
        document: Value::Object(spec.document).to_string(),
        subscription_ids: json!(ids).to_string(),
        created_at: now,
        updated_at: now,
    };
    store::notification_rules::insert(&txn, row.clone()).await?;
    let view = view(&txn, &row, now).await?;
    txn.commit().await?;
    changed(deps);
    tracing::info!(rule_id = %row.id, queue = %row.queue, addresses = ids.len(), "notification rule created");
    Ok(view)
}

/// Replaces a rule. Addresses it keeps keep their subscription (and its
/// confirmation); new ones are subscribed, dropped ones unsubscribed. A
/// new environment starts afresh.
pub async fn update(
    deps: &Deps<'_>,
    project: &ProjectId,
    id: &str,
    spec: RuleSpec,
) -> Result<(), RuleError> {
    let Some(mut rule) = store::notification_rules::get(deps.db, project.as_str(), id).await?
    else {
        return Err(RuleError::NotFound(RULE_NOT_FOUND.into()));
    };
    let options = check_environment(deps, project, &spec).await?;
    let now = deps.now();
    let txn = deps.db.begin().await?;
    let old_ids = ids_of(&rule);
    let mut old: HashMap<String, subscription::Model> = HashMap::new();
    if rule.queue == spec.queue.as_str() {
        for id in &old_ids {
            if let Some(sub) = store::subscriptions::get_live_by_id(&txn, id, now).await? {
                old.insert(address_of(&sub).to_ascii_lowercase(), sub);
            }
        }
    }
    let mut ids = Vec::with_capacity(spec.addresses.len());
    for address in &spec.addresses {
        match old.remove(&address.to_ascii_lowercase()) {
            Some(mut sub) => {
                sub.options = Value::Object(options.clone()).to_string();
                sub.updated_at = now;
                ids.push(sub.id.clone());
                store::subscriptions::save(&txn, sub).await?;
            }
            None => {
                let target = (rule.id.as_str(), address.as_str());
                ids.push(subscribe(&txn, deps, project, &spec.queue, target, &options, now).await?);
            }
        }
    }
    let dropped: Vec<String> = old_ids.into_iter().filter(|id| !ids.contains(id)).collect();
    unsubscribe_all(&txn, &dropped).await?;
    rule.queue = spec.queue.as_str().to_string();
    rule.document = Value::Object(spec.document).to_string();
    rule.subscription_ids = json!(ids).to_string();
    rule.updated_at = now;
    store::notification_rules::save(&txn, rule).await?;
    txn.commit().await?;
    changed(deps);
    Ok(())
}

pub async fn delete(deps: &Deps<'_>, project: &ProjectId, id: &str) -> Result<(), RuleError> {
    let txn = deps.db.begin().await?;
    let Some(rule) = store::notification_rules::get(&txn, project.as_str(), id).await? else {
        return Err(RuleError::NotFound(RULE_NOT_FOUND.into()));
    };
    unsubscribe_all(&txn, &ids_of(&rule)).await?;
    store::notification_rules::delete(&txn, id).await?;
    txn.commit().await?;
    changed(deps);
    Ok(())
}

pub async fn get(deps: &Deps<'_>, project: &ProjectId, id: &str) -> Result<Value, RuleError> {
    let Some(rule) = store::notification_rules::get(deps.db, project.as_str(), id).await? else {
        return Err(RuleError::NotFound(RULE_NOT_FOUND.into()));
    };
    Ok(view(deps.db, &rule, deps.now()).await?)
}

pub async fn list(deps: &Deps<'_>, project: &ProjectId) -> Result<Vec<Value>, RuleError> {
    let now = deps.now();
    let mut out = Vec::new();
    for rule in store::notification_rules::list(deps.db, project.as_str()).await? {
        out.push(view(deps.db, &rule, now).await?);
    }
    Ok(out)
}

/// The rule as its owner sent it, with its `id` and, per address, the
/// subscription and its status (`pending` until its owner confirms).
async fn view(
    db: &impl ConnectionTrait,
    rule: &notification_rule::Model,
    now: i64,
) -> Result<Value, DbErr> {
    let mut doc = match serde_json::from_str::<Value>(&rule.document) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let ids = ids_of(rule);
    let subs = store::delivery_leases::live_subscriptions(db, &ids, now).await?;
    let subscriptions: Vec<Value> = ids
        .iter()
        .filter_map(|id| subs.get(id))
        .map(|sub| {
            json!({
                "emailAddress": address_of(sub),
                "subscriptionId": sub.id,
                "status": sub.status,
            })
        })
        .collect();
    let mut out = Map::new();
    out.insert("id".into(), json!(rule.id));
    out.append(&mut doc);
    out.insert("subscriptions".into(), json!(subscriptions));
    Ok(Value::Object(out))
}
