//! Recording what became of leased deliveries: the attempt log rows and the
//! deliveries' next state, many at once in the caller's transaction.
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryTrait,
};

use super::batch::{WriteBatch, INSERT_CHUNK};
use super::deliveries::{STATUS_DELIVERED, STATUS_FAILED, STATUS_PENDING, STATUS_SKIPPED};
use super::entities::delivery::{self, Entity as Delivery};
use super::entities::delivery_attempt;

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Delivered,
    RetryAt(i64),
    Failed,
}

#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub at: i64,
    pub outcome: &'static str,
    pub code: Option<i32>,
    pub detail: String,
    pub duration_ms: i64,
}

/// The end of one leased delivery's turn.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// An attempt was made; log it and move the delivery on. `scrub` drops
    /// the stored payload once delivered (it may hold a token link).
    Attempted {
        delivery_id: i64,
        attempt: AttemptRecord,
        next: Next,
        scrub: bool,
    },
    /// Nothing to attempt any more (subscription gone, expired, inactive).
    Skipped {
        delivery_id: i64,
        reason: String,
        at: i64,
    },
}

/// Records every outcome and releases the leases. Successes share one
/// UPDATE (they differ only in id); the rest have one each. All of it goes
/// to the database as one batch (see `WriteBatch`).
pub async fn record(db: &impl ConnectionTrait, outcomes: &[Outcome]) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let mut writes = WriteBatch::new();
    let attempts: Vec<delivery_attempt::ActiveModel> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Attempted {
                delivery_id,
                attempt,
                ..
            } => Some(delivery_attempt::ActiveModel {
                delivery_id: Set(*delivery_id),
                at: Set(attempt.at),
                outcome: Set(attempt.outcome.to_string()),
                code: Set(attempt.code),
                detail: Set(attempt.detail.clone()),
                duration_ms: Set(attempt.duration_ms),
                ..Default::default()
            }),
            Outcome::Skipped { .. } => None,
        })
        .collect();
    for statement in super::batch::insert_statements(backend, attempts) {
        writes.push(statement);
    }

    let mut delivered: Vec<(i64, i64)> = Vec::new();
    let mut delivered_scrubbed: Vec<(i64, i64)> = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Attempted {
                delivery_id,
                attempt,
                next: Next::Delivered,
                scrub,
            } => {
                let list = if *scrub {
                    &mut delivered_scrubbed
                } else {
                    &mut delivered
                };
                list.push((*delivery_id, attempt.at));
            }
            Outcome::Attempted {
                delivery_id,
                attempt,
                next,
                ..
            } => {
                let (status, next_at) = match next {
                    Next::RetryAt(at) => (STATUS_PENDING, *at),
                    _ => (STATUS_FAILED, attempt.at),
                };
                writes.push(
                    finish(status, next_at, attempt.at, Some(attempt.detail.clone()))
                        .filter(delivery::Column::Id.eq(*delivery_id))
                        .build(backend),
                );
            }
            Outcome::Skipped {
                delivery_id,
                reason,
                at,
            } => {
                writes.push(
                    Delivery::update_many()
                        .col_expr(delivery::Column::Status, Expr::value(STATUS_SKIPPED))
                        .col_expr(delivery::Column::LeaseUntil, null_i64())
                        .col_expr(delivery::Column::LastError, Expr::value(reason.clone()))
                        .col_expr(delivery::Column::UpdatedAt, Expr::value(*at))
                        .filter(delivery::Column::Id.eq(*delivery_id))
                        .build(backend),
                );
            }
        }
    }
    for (list, scrub) in [(delivered, false), (delivered_scrubbed, true)] {
        for chunk in list.chunks(INSERT_CHUNK) {
            // One timestamp for the group: the latest attempt in it. Each
            // attempt's own time is in the attempt log.
            let Some(at) = chunk.iter().map(|(_, at)| *at).max() else {
                continue;
            };
            let mut update = finish(STATUS_DELIVERED, at, at, None);
            if scrub {
                update = update.col_expr(
                    delivery::Column::Payload,
                    Expr::value(Option::<String>::None),
                );
            }
            writes.push(
                update
                    .filter(delivery::Column::Id.is_in(chunk.iter().map(|(id, _)| *id)))
                    .build(backend),
            );
        }
    }
    writes.execute(db).await?;
    Ok(())
}

fn null_i64() -> SimpleExpr {
    Expr::value(Option::<i64>::None)
}

/// The UPDATE that ends an attempt: new status, one more attempt, when to
/// try next, lease released.
fn finish(
    status: &str,
    next_at: i64,
    now: i64,
    last_error: Option<String>,
) -> sea_orm::UpdateMany<Delivery> {
    Delivery::update_many()
        .col_expr(delivery::Column::Status, Expr::value(status))
        .col_expr(
            delivery::Column::Attempts,
            Expr::col(delivery::Column::Attempts).add(1),
        )
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(next_at))
        .col_expr(delivery::Column::LeaseUntil, null_i64())
        .col_expr(delivery::Column::LastError, Expr::value(last_error))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
}

/// A bounce or complaint came in for a delivery the relay had accepted:
/// it fails, with an attempt-log entry saying why.
pub async fn mark_bounced(
    db: &impl ConnectionTrait,
    delivery_id: i64,
    detail: &str,
    now: i64,
) -> Result<(), DbErr> {
    delivery_attempt::Entity::insert(delivery_attempt::ActiveModel {
        delivery_id: Set(delivery_id),
        at: Set(now),
        outcome: Set("permanent_failure".to_string()),
        code: Set(None),
        detail: Set(detail.to_string()),
        duration_ms: Set(0),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Delivery::update_many()
        .col_expr(delivery::Column::Status, Expr::value(STATUS_FAILED))
        .col_expr(delivery::Column::LastError, Expr::value(detail))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::Id.eq(delivery_id))
        .filter(delivery::Column::Status.ne(STATUS_SKIPPED))
        .exec(db)
        .await?;
    Ok(())
}
