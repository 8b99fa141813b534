//! Bounce intake: a DSN or an abuse report comes in (`POST /v2/bounces`,
//! `tidings bounce`), is matched to its delivery by the VERP token in the
//! address it was sent back to, and acted on:
//!
//! - a permanent failure (5.x.x) or a complaint suppresses the address in
//!   the delivery's project and marks the delivery failed;
//! - a temporary one (4.x.x) is counted; `TIDINGS_SOFT_BOUNCE_LIMIT` in a
//!   row suppress the address (as `hard_bounce`).
//!
//! Only a report that names a token tidings issued acts, and only on
//! addresses that delivery was actually sent to: the bounce address is
//! public, so anyone can mail it a forged report, and a forged report must
//! not be able to silence an arbitrary address. Every report, acted on or
//! not, is kept with its classification for audit.
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, TransactionTrait};
use serde_json::{json, Value};

use super::suppressions::{self, Entry};
use crate::domain::bounce_report::{self, BounceReport, Classification, RecipientReport};
use crate::domain::email_address::mask;
use crate::domain::subscriber::Subscriber;
use crate::domain::suppression::{suppression_key, SuppressionReason, SuppressionScope};
use crate::store::entities::{bounce, delivery, subscription};
use crate::store::{bounces, delivery_outcomes, verp};

/// Reports kept in full up to this size; a larger one is cut (the report
/// parts come first in a DSN, so the cut loses the returned message).
pub const MAX_RAW_KEPT: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub struct Settings<'a> {
    /// `TIDINGS_BOUNCE_ADDRESS`; None: nothing can match.
    pub bounce_address: Option<&'a str>,
    pub soft_bounce_limit: u32,
}

/// What became of one report.
#[derive(Debug, Clone)]
pub struct Processed {
    pub id: String,
    pub row: bounce::Model,
}

/// Reads, matches, acts on and records one report, in one transaction.
/// `envelope_recipient` is the address the MTA received it for, when the
/// MTA says so (exim's `$local_part$local_part_suffix@$domain`).
pub async fn intake(
    db: &DatabaseConnection,
    settings: &Settings<'_>,
    raw: &[u8],
    envelope_recipient: Option<&str>,
    now: i64,
) -> Result<Processed, DbErr> {
    let txn = db.begin().await?;
    let row = match bounce_report::parse(raw) {
        Err(why) => record(
            raw,
            None,
            None,
            None,
            "unrecognised",
            json!({"error": why.to_string()}),
            now,
        ),
        Ok(report) => act(&txn, settings, report, raw, envelope_recipient, now).await?,
    };
    bounces::insert(&txn, row.clone()).await?;
    txn.commit().await?;
    Ok(Processed {
        id: row.id.clone(),
        row,
    })
}

fn record(
    raw: &[u8],
    kind: Option<&str>,
    project: Option<String>,
    delivery_id: Option<i64>,
    classification: &str,
    details: Value,
    now: i64,
) -> bounce::Model {
    let kept = &raw[..raw.len().min(MAX_RAW_KEPT)];
    bounce::Model {
        // v7: the id sorts by arrival, which the audit list pages on.
        id: uuid::Uuid::now_v7().to_string(),
        received_at: now,
        project,
        delivery_id,
        kind: kind.map(String::from),
        classification: classification.to_string(),
        details: details.to_string(),
        raw: String::from_utf8_lossy(kept).into_owned(),
    }
}

async fn act(
    db: &impl ConnectionTrait,
    settings: &Settings<'_>,
    report: BounceReport,
    raw: &[u8],
    envelope_recipient: Option<&str>,
    now: i64,
) -> Result<bounce::Model, DbErr> {
    let kind = Some(report.kind.as_str());
    let overall = overall(&report.recipients);
    let mut candidates: Vec<String> = envelope_recipient.map(String::from).into_iter().collect();
    candidates.extend(report.verp_candidates.iter().cloned());
    let matched = match settings.bounce_address {
        Some(template) => verp::delivery_for(db, template, &candidates).await?,
        None => None,
    };
    let delivery = match &matched {
        Some(token) => {
            delivery::Entity::find_by_id(token.delivery_id)
                .one(db)
                .await?
        }
        None => None,
    };
    let (Some(token), Some(delivery)) = (matched, delivery) else {
        let details = json!({
            "recipients": report.recipients.iter().map(|r| describe(r, "none: no delivery of this server matched")).collect::<Vec<_>>(),
            "seen": overall.as_str(),
        });
        return Ok(record(raw, kind, None, None, "unmatched", details, now));
    };
    let sent_to = delivery_recipients(db, &delivery).await?;
    let bounce_id_hint = uuid::Uuid::now_v7().to_string();
    let mut row_details = Vec::new();
    let mut failed_detail = None;
    for recipient in &report.recipients {
        let key = suppression_key(&recipient.address);
        let action = if !sent_to.contains(&key) {
            "none: not a recipient of the delivery".to_string()
        } else {
            match recipient.classification {
                Classification::Ignored => "none".to_string(),
                Classification::Permanent | Classification::Complaint => {
                    let reason = if recipient.classification == Classification::Complaint {
                        SuppressionReason::Complaint
                    } else {
                        SuppressionReason::HardBounce
                    };
                    suppress(db, &token.project, &key, reason, &bounce_id_hint, now).await?;
                    failed_detail.get_or_insert_with(|| bounced_detail(recipient));
                    format!("suppressed ({reason})")
                }
                Classification::Transient => {
                    let streak = bounces::bump_streak(db, &token.project, &key, now).await?;
                    if streak as u32 >= settings.soft_bounce_limit {
                        suppress(
                            db,
                            &token.project,
                            &key,
                            SuppressionReason::HardBounce,
                            &bounce_id_hint,
                            now,
                        )
                        .await?;
                        format!("suppressed (hard_bounce): {streak} temporary failures in a row")
                    } else {
                        format!(
                            "counted: {streak} of {} temporary failures in a row",
                            settings.soft_bounce_limit
                        )
                    }
                }
            }
        };
        row_details.push(describe(recipient, &action));
    }
    if let Some(detail) = failed_detail {
        delivery_outcomes::mark_bounced(db, delivery.id, &detail, now).await?;
    }
    let mut row = record(
        raw,
        kind,
        Some(token.project.clone()),
        Some(delivery.id),
        overall.as_str(),
        json!({"recipients": row_details}),
        now,
    );
    row.id = bounce_id_hint;
    Ok(row)
}

async fn suppress(
    db: &impl ConnectionTrait,
    project: &str,
    address: &str,
    reason: SuppressionReason,
    bounce_id: &str,
    now: i64,
) -> Result<(), DbErr> {
    suppressions::suppress_in(
        db,
        Entry {
            scope: SuppressionScope::Project(project.to_string()),
            address: address.to_string(),
            reason,
            expires_at: None,
            source: Some(format!("bounce {bounce_id}")),
        },
        now,
    )
    .await
    .map(|_| ())
}

/// The most severe classification among the recipients.
fn overall(recipients: &[RecipientReport]) -> Classification {
    let rank = |c: Classification| match c {
        Classification::Complaint => 3,
        Classification::Permanent => 2,
        Classification::Transient => 1,
        Classification::Ignored => 0,
    };
    recipients
        .iter()
        .map(|r| r.classification)
        .max_by_key(|c| rank(*c))
        .unwrap_or(Classification::Ignored)
}

fn describe(recipient: &RecipientReport, action: &str) -> Value {
    json!({
        "address": recipient.address,
        "classification": recipient.classification.as_str(),
        "status": recipient.status,
        "diagnostic": recipient.diagnostic,
        "action": action,
    })
}

/// What the delivery log shows for a bounced delivery (address masked).
fn bounced_detail(recipient: &RecipientReport) -> String {
    match recipient.classification {
        Classification::Complaint => format!(
            "complaint ({}) from {}",
            recipient.status,
            mask(&recipient.address)
        ),
        _ => format!(
            "bounced: {} for {}{}",
            recipient.status,
            mask(&recipient.address),
            // The diagnostic repeats the full address; the bounce keeps it.
            if recipient.diagnostic.is_some() {
                " (diagnostic in the bounce record)"
            } else {
                ""
            }
        ),
    }
}

/// The addresses (stored form) the delivery went to: its mailto URI's and
/// the subscription options' cc/bcc.
async fn delivery_recipients(
    db: &impl ConnectionTrait,
    delivery: &delivery::Model,
) -> Result<Vec<String>, DbErr> {
    let mut out = Vec::new();
    if let Ok(Subscriber::Mailto(m)) = Subscriber::parse(&delivery.subscriber) {
        out.extend(
            m.to.iter()
                .chain(&m.cc)
                .chain(&m.bcc)
                .map(|a| suppression_key(a.as_str())),
        );
    }
    if let Some(sub) = subscription::Entity::find_by_id(delivery.subscription_id.clone())
        .one(db)
        .await?
    {
        if let Ok(options) = serde_json::from_str::<Value>(&sub.options) {
            for key in ["cc", "bcc"] {
                let values: Vec<&str> = match options.get(key) {
                    Some(Value::String(s)) => vec![s.as_str()],
                    Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                out.extend(
                    values
                        .into_iter()
                        .flat_map(|v| v.split(','))
                        .map(|a| suppression_key(a.trim())),
                );
            }
        }
    }
    Ok(out)
}

/// One line for logs and the MTA: addresses masked.
pub fn summary(row: &bounce::Model) -> String {
    let mut line = format!("Recorded bounce {}: {}", row.id, row.classification);
    if let (Some(project), Some(delivery)) = (&row.project, row.delivery_id) {
        line.push_str(&format!(" (delivery {delivery} of project {project})"));
    }
    let details: Value = serde_json::from_str(&row.details).unwrap_or(Value::Null);
    let recipients = details["recipients"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let parts: Vec<String> = recipients
        .iter()
        .map(|r| {
            format!(
                "{} {}: {}",
                mask(r["address"].as_str().unwrap_or("")),
                r["status"].as_str().unwrap_or(""),
                r["action"].as_str().unwrap_or("")
            )
        })
        .collect();
    if !parts.is_empty() {
        line.push_str("; ");
        line.push_str(&parts.join("; "));
    }
    line
}

/// The audit list: newest first, from before `marker` on.
pub async fn list(
    db: &impl ConnectionTrait,
    project: Option<&str>,
    marker: Option<&str>,
    limit: u64,
) -> Result<Vec<bounce::Model>, DbErr> {
    bounces::list(db, project, marker, limit).await
}

pub async fn get(db: &impl ConnectionTrait, id: &str) -> Result<Option<bounce::Model>, DbErr> {
    bounce::Entity::find_by_id(id.to_string()).one(db).await
}
