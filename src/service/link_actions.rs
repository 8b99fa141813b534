//! What the links in emails do. A browser brings no API headers: the token
//! (confirm) or the HMAC (unsubscribe) is the whole credential, so each
//! check fails closed into a `LinkProblem` the page explains.
use sea_orm::{DbErr, TransactionTrait};

use super::Deps;
use crate::domain::subscription::Status;
use crate::domain::{links, tokens};
use crate::store;
use crate::store::entities::{confirm_token, subscription};

/// Why a link cannot be used. Pages answer 404 for unknown links and 410 for
/// links that were valid once (expired, already used).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    Unknown,
    Expired,
    Used,
}

#[derive(Debug)]
pub enum ConfirmView {
    /// The token is good; the page offers the Confirm button.
    Ready(subscription::Model),
    /// Already active: confirming again is harmless, the page says so.
    AlreadyConfirmed(subscription::Model),
}

async fn check_confirm_token(
    db: &impl sea_orm::ConnectionTrait,
    queue: &str,
    subscriber: &str,
    token: &str,
    now: i64,
) -> Result<Result<(confirm_token::Model, ConfirmView), LinkProblem>, DbErr> {
    let Some(row) = store::tokens::find_by_hash(db, &tokens::hash(token)).await? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if !tokens::hash_matches(&row.token_hash, token) || row.purpose != "confirm" {
        return Ok(Err(LinkProblem::Unknown));
    }
    let Some(sub) = store::subscriptions::get_live_by_id(db, &row.subscription_id, now).await?
    else {
        return Ok(Err(LinkProblem::Unknown));
    };
    // The link names its queue and subscriber; a token pasted under another
    // queue or address is not this link.
    if sub.queue != queue || sub.subscriber != subscriber {
        return Ok(Err(LinkProblem::Unknown));
    }
    if Status::parse(&sub.status) == Status::Active {
        return Ok(Ok((row, ConfirmView::AlreadyConfirmed(sub))));
    }
    if row.used_at.is_some() {
        return Ok(Err(LinkProblem::Used));
    }
    if row.expires_at <= now {
        return Ok(Err(LinkProblem::Expired));
    }
    Ok(Ok((row, ConfirmView::Ready(sub))))
}

/// GET of the link: looks, changes nothing (mail scanners prefetch links).
pub async fn inspect_confirm(
    deps: &Deps<'_>,
    queue: &str,
    subscriber: &str,
    token: &str,
) -> Result<Result<ConfirmView, LinkProblem>, DbErr> {
    Ok(
        check_confirm_token(deps.db, queue, subscriber, token, deps.now())
            .await?
            .map(|(_, view)| view),
    )
}

/// POST of the link: consumes the token and activates, in one transaction.
pub async fn confirm(
    deps: &Deps<'_>,
    queue: &str,
    subscriber: &str,
    token: &str,
) -> Result<Result<ConfirmView, LinkProblem>, DbErr> {
    let now = deps.now();
    let txn = deps.db.begin().await?;
    let (row, view) = match check_confirm_token(&txn, queue, subscriber, token, now).await? {
        Err(problem) => return Ok(Err(problem)),
        Ok(found) => found,
    };
    let ConfirmView::Ready(mut sub) = view else {
        return Ok(Ok(view));
    };
    if !store::tokens::mark_used(&txn, &row.id, now).await? {
        // A concurrent click won; it activated the subscription.
        return Ok(Ok(ConfirmView::AlreadyConfirmed(sub)));
    }
    store::subscriptions::set_status(&txn, &sub.id, Status::Active.as_str(), Some(now), now)
        .await?;
    txn.commit().await?;
    deps.fanout_targets.subscriptions_changed();
    // Confirmation and unsubscribe notices go out now, not at the next poll.
    deps.wake.notify_one();
    tracing::info!(subscription_id = %sub.id, "subscription confirmed by link");
    sub.status = Status::Active.as_str().to_string();
    sub.confirmed_at = Some(now);
    Ok(Ok(ConfirmView::Ready(sub)))
}

#[derive(Debug)]
pub struct UnsubscribeView {
    pub subscription: subscription::Model,
    pub already: bool,
}

async fn check_unsubscribe(
    db: &impl sea_orm::ConnectionTrait,
    deps: &Deps<'_>,
    queue: &str,
    id: &str,
    token: &str,
    now: i64,
) -> Result<Result<subscription::Model, LinkProblem>, DbErr> {
    if !links::unsubscribe_token_matches(deps.secret, id, token) {
        return Ok(Err(LinkProblem::Unknown));
    }
    match store::subscriptions::get_live_by_id(db, id, now).await? {
        Some(sub) if sub.queue == queue => Ok(Ok(sub)),
        _ => Ok(Err(LinkProblem::Unknown)),
    }
}

pub async fn inspect_unsubscribe(
    deps: &Deps<'_>,
    queue: &str,
    id: &str,
    token: &str,
) -> Result<Result<UnsubscribeView, LinkProblem>, DbErr> {
    Ok(
        check_unsubscribe(deps.db, deps, queue, id, token, deps.now())
            .await?
            .map(|sub| UnsubscribeView {
                already: Status::parse(&sub.status) == Status::Unsubscribed,
                subscription: sub,
            }),
    )
}

/// POST of the unsubscribe link (page button or RFC 8058 one-click). No
/// notice is enqueued: the person is looking at the result page, and a mail
/// right after a one-click unsubscribe is exactly what they asked to stop.
pub async fn unsubscribe(
    deps: &Deps<'_>,
    queue: &str,
    id: &str,
    token: &str,
) -> Result<Result<UnsubscribeView, LinkProblem>, DbErr> {
    let now = deps.now();
    let txn = deps.db.begin().await?;
    let sub = match check_unsubscribe(&txn, deps, queue, id, token, now).await? {
        Err(problem) => return Ok(Err(problem)),
        Ok(sub) => sub,
    };
    let already = Status::parse(&sub.status) == Status::Unsubscribed;
    if !already {
        store::subscriptions::set_status(&txn, id, Status::Unsubscribed.as_str(), None, now)
            .await?;
    }
    txn.commit().await?;
    deps.fanout_targets.subscriptions_changed();
    // Confirmation and unsubscribe notices go out now, not at the next poll.
    deps.wake.notify_one();
    if !already {
        tracing::info!(subscription_id = %id, "unsubscribed by link");
    }
    Ok(Ok(UnsubscribeView {
        subscription: sub,
        already,
    }))
}
