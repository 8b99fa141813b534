//! State reports reaching alert subscriptions, applied during fan-out in
//! the expansion's own transaction: an alert subscription gets no ordinary
//! delivery; its element's state row is updated, a pending "occurred"
//! becomes a delivery row due when the interval ends (or is cancelled), a
//! "resolved" a delivery row due now.
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{json, Value};

use crate::alerts::{
    judge, AlertKind, AlertRule, AlertState, Effect, ElementState, Pending, Report,
};
use crate::domain::delivery::{DeliveryKind, NewDelivery};
use crate::store::alert_states;
use crate::store::entities::{alert_state, fanout, subscription};

/// One state report for one alert subscription.
#[derive(Debug, Clone)]
pub struct AlertHit {
    pub job: Arc<fanout::Model>,
    pub subscription: subscription::Model,
    pub rule: Arc<AlertRule>,
    pub report: Report,
}

/// What an alert delivery's payload says: `{"kind", "state", "element",
/// "level", "since"}` under `alert`, beside the Zaqar notification dict.
pub fn payload(
    notification: &str,
    kind: AlertKind,
    state: AlertState,
    report: &Report,
    since_ms: i64,
) -> Value {
    let mut dict = match serde_json::from_str::<Value>(notification) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    dict.insert(
        "alert".into(),
        json!({
            "kind": kind.as_str(),
            "state": state.as_str(),
            "element": report.element,
            "level": report.level,
            "since": crate::clock::iso8601(since_ms),
        }),
    );
    Value::Object(dict)
}

pub fn element_state(row: &alert_state::Model) -> ElementState {
    let state = |s: &str| AlertState::parse(s).unwrap_or(AlertState::Ok);
    ElementState {
        notified: state(&row.notified_state),
        last: state(&row.last_state),
        since: row.since,
        pending: match (&row.pending_state, row.pending_due_at) {
            (Some(s), Some(due_at)) => Some(Pending {
                state: state(s),
                due_at,
            }),
            _ => None,
        },
    }
}

/// Writes `state` into `row` (pending delivery id aside).
pub fn store_state(row: &mut alert_state::Model, state: &ElementState) {
    row.notified_state = state.notified.as_str().to_string();
    row.last_state = state.last.as_str().to_string();
    row.since = state.since;
    row.pending_state = state.pending.map(|p| p.state.as_str().to_string());
    row.pending_due_at = state.pending.map(|p| p.due_at);
    if state.pending.is_none() {
        row.pending_delivery_id = None;
    }
}

/// Applies the reports in order (fan-out order is post order). Returns how
/// many deliveries were created.
pub async fn apply(db: &impl ConnectionTrait, hits: Vec<AlertHit>, now: i64) -> Result<u64, DbErr> {
    let mut created = 0;
    for hit in hits {
        created += apply_one(db, &hit, now).await?;
    }
    Ok(created)
}

async fn apply_one(db: &impl ConnectionTrait, hit: &AlertHit, now: i64) -> Result<u64, DbErr> {
    let AlertHit {
        job,
        subscription: sub,
        rule,
        report,
    } = hit;
    let stored = alert_states::get(db, &sub.id, &report.element).await?;
    if stored.as_ref().is_some_and(|row| row.seq >= job.id) {
        // A later report was applied first (another worker): this one is stale.
        return Ok(0);
    }
    // The report's time is when it was posted, not when it was fanned out.
    let at = job.created_at;
    let mut row = stored.clone().unwrap_or_else(|| alert_state::Model {
        subscription_id: sub.id.clone(),
        element: report.element.clone(),
        level: None,
        parent: None,
        last_state: AlertState::Ok.as_str().into(),
        notified_state: AlertState::Ok.as_str().into(),
        since: at,
        seq: job.id,
        pending_state: None,
        pending_due_at: None,
        pending_delivery_id: None,
        occurred_delivery_id: None,
        updated_at: now,
    });
    row.level = report.level.clone();
    row.parent = report.parent.clone();
    row.seq = job.id;
    row.updated_at = now;
    let previous = stored.as_ref().map(element_state);
    if !rule.watches_level(report.level.as_deref()) {
        // Kept only as a link in the parent chain and an ancestor's state.
        if previous.as_ref().map(|p| p.last) != Some(report.state) {
            row.last_state = report.state.as_str().into();
            row.since = at;
        }
        alert_states::save(db, row).await?;
        return Ok(0);
    }
    let judgement = judge(rule, previous.as_ref(), report.state, at);
    if judgement.cancelled {
        if let Some(id) = row.pending_delivery_id {
            let reason = format!(
                "cancelled: {} reported {} before the interval ended",
                report.element, report.state
            );
            alert_states::cancel(db, id, &reason, now).await?;
        }
    }
    store_state(&mut row, &judgement.next);
    let mut created = 0;
    if let Some(effect) = judgement.effect {
        let (kind, state, due_at) = match effect {
            Effect::Schedule { state, due_at } => (AlertKind::Occurred, state, due_at),
            Effect::Resolved { state } => (AlertKind::Resolved, state, now),
        };
        let delivery = NewDelivery {
            project: sub.project.clone(),
            queue: sub.queue.clone(),
            subscription_id: sub.id.clone(),
            subscriber: sub.subscriber.clone(),
            kind: DeliveryKind::Alert,
            message_id: Some(job.message_id.clone()),
            payload: payload(&job.payload, kind, state, report, at),
            due_at,
        };
        let id = alert_states::enqueue(db, delivery, now).await?;
        if kind == AlertKind::Occurred {
            row.pending_delivery_id = Some(id);
        }
        created = 1;
    }
    alert_states::save(db, row).await?;
    Ok(created)
}
