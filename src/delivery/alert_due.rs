//! An alert delivery's turn: a "resolved" goes out as it is; an "occurred"
//! that has come due is first checked, in one transaction with the update
//! of its element's state, to be still current (no other state reported
//! since) and not covered by an ancestor at a watched level already in a
//! state at least as bad (highest level only). A retry of an "occurred"
//! that was let through goes out without a second check.
use std::collections::HashSet;

use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::Value;

use super::alert_intake::{element_state, store_state};
use super::job::Job;
use crate::alerts::{on_due, AlertKind, AlertRule, AlertState, Ancestor, DueVerdict};
use crate::store::alert_states;
use crate::store::entities::subscription;

/// How far up the parent chain to look (a cycle or a runaway chain stops).
const MAX_ANCESTORS: usize = 32;

pub enum Admission {
    Send,
    Skip(String),
}

pub async fn admit(
    db: &DatabaseConnection,
    job: &Job,
    sub: &subscription::Model,
    now: i64,
) -> anyhow::Result<Admission> {
    let alert = job.payload.get("alert").unwrap_or(&Value::Null);
    let text = |key: &str| alert.get(key).and_then(Value::as_str).unwrap_or("");
    match AlertKind::parse(text("kind")) {
        Some(AlertKind::Resolved) => return Ok(Admission::Send),
        Some(AlertKind::Occurred) => {}
        None => return Ok(Admission::Skip("the alert payload is unreadable".into())),
    }
    let (element, Some(state)) = (text("element"), AlertState::parse(text("state"))) else {
        return Ok(Admission::Skip("the alert payload is unreadable".into()));
    };
    let id = job.delivery.id;
    let txn = db.begin().await?;
    let Some(mut row) = alert_states::get(&txn, &sub.id, element).await? else {
        return Ok(Admission::Skip(format!(
            "cancelled: {element} has no alert state any more"
        )));
    };
    if row.occurred_delivery_id == Some(id) {
        // Let through by an earlier attempt: this is a retry.
        return Ok(Admission::Send);
    }
    let options = serde_json::from_str::<Value>(&sub.options).unwrap_or(Value::Null);
    let rule = options
        .as_object()
        .and_then(|map| AlertRule::from_options(map).ok().flatten());
    let Some(rule) = rule.filter(|r| r.active) else {
        return Ok(Admission::Skip(
            "cancelled: the subscription's alert rule is off".into(),
        ));
    };
    let mut ancestors = Vec::new();
    let mut seen = HashSet::from([row.element.clone()]);
    let mut parent = row.parent.clone();
    while let Some(name) = parent.take() {
        if ancestors.len() >= MAX_ANCESTORS || !seen.insert(name.clone()) {
            break;
        }
        let Some(up) = alert_states::peek(&txn, &sub.id, &name).await? else {
            break;
        };
        ancestors.push(Ancestor {
            element: up.element.clone(),
            level: up.level.clone(),
            state: AlertState::parse(&up.last_state).unwrap_or(AlertState::Ok),
        });
        parent = up.parent;
    }
    let current = row.pending_delivery_id == Some(id);
    let admission = match on_due(&rule, &element_state(&row), state, current, &ancestors) {
        DueVerdict::Cancelled => {
            return Ok(Admission::Skip(format!(
                "cancelled: {element} is no longer {state}"
            )))
        }
        DueVerdict::Suppressed { by, next } => {
            store_state(&mut row, &next);
            Admission::Skip(format!(
                "suppressed: {by}, above {element}, is already {state} or worse (highest level only)"
            ))
        }
        DueVerdict::Send { next } => {
            store_state(&mut row, &next);
            row.occurred_delivery_id = Some(id);
            Admission::Send
        }
    };
    row.updated_at = now;
    alert_states::save(&txn, row).await?;
    txn.commit().await?;
    Ok(admission)
}
