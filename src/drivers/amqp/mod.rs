//! The AMQP driver: one persistent message per attempt, published with
//! `mandatory` on a channel in confirm mode, and counted as delivered only
//! when the broker acks it. Never retries, never sleeps: a nack, a returned
//! message (when routes are required), a lost connection or a timeout is a
//! failed attempt that the worker schedules like any other.
//!
//! Crate: lapin. Its `basic_publish` hands back a future per message that
//! resolves to that message's ack or nack *with* its `basic.return` when it
//! was unroutable, which is exactly the per-attempt answer needed here;
//! amqprs reports confirms and returns through channel-wide callbacks that
//! we would have to correlate ourselves. lapin is actively maintained and
//! runs on tokio. Its auto-recovery is not used: reconnection lives in
//! `pool`, where it can be tested against a real broker restart.
mod classify;
mod pool;

use std::sync::Arc;
use std::time::{Duration, Instant};

use lapin::options::BasicPublishOptions;
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::BasicProperties;

use super::{AttemptOutcome, Verdict};
use crate::domain::amqp_target::{AmqpTarget, MAX_SHORT_STRING};
pub use pool::{PoolLimits, RECONNECT_PAUSE};

/// Distinct brokers (host, port, vhost, credentials) with an open
/// connection at once.
pub const MAX_BROKERS: usize = 64;
/// Channels per connection: publishes spread over them, so one channel's
/// confirm round trip does not serialise every subscription.
pub const CHANNELS_PER_CONNECTION: usize = 4;
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// From publish to the broker's confirm; like the webhook's total timeout.
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(15);
/// AMQP delivery mode 2: the broker writes the message to disk (in a
/// durable queue) before it confirms.
const PERSISTENT: u8 = 2;

/// One message to publish.
pub struct AmqpMessage<'a> {
    pub target: &'a AmqpTarget,
    /// The exchange, the server default already applied.
    pub exchange: &'a str,
    pub routing_key: &'a str,
    pub body: Vec<u8>,
    /// Stable across retries of one delivery: consumers deduplicate on it.
    pub message_id: String,
    pub timestamp_secs: u64,
    /// Application headers (string values).
    pub headers: Vec<(&'static str, String)>,
    /// `options.require_route`: an unroutable message is a failed attempt.
    pub require_route: bool,
}

#[derive(Clone)]
pub struct AmqpDriver {
    pool: Arc<pool::Pool>,
    confirm_timeout: Duration,
}

impl std::fmt::Debug for AmqpDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpDriver")
            .field("limits", self.pool.limits())
            .finish()
    }
}

impl Default for AmqpDriver {
    fn default() -> Self {
        AmqpDriver::new(PoolLimits {
            max_brokers: MAX_BROKERS,
            channels_per_connection: CHANNELS_PER_CONNECTION,
            connect_timeout: CONNECT_TIMEOUT,
        })
    }
}

impl AmqpDriver {
    pub fn new(limits: PoolLimits) -> Self {
        AmqpDriver {
            pool: Arc::new(pool::Pool::new(limits)),
            confirm_timeout: CONFIRM_TIMEOUT,
        }
    }

    pub async fn send(&self, message: &AmqpMessage<'_>) -> AttemptOutcome {
        let started = Instant::now();
        let mut outcome = self.attempt(message).await;
        outcome.duration = started.elapsed();
        outcome
    }

    /// Broker connections open now.
    pub fn connections(&self) -> usize {
        self.pool.connections()
    }

    /// Closes every broker connection (graceful shutdown).
    pub async fn close(&self) {
        self.pool.close_all().await;
    }

    async fn attempt(&self, message: &AmqpMessage<'_>) -> AttemptOutcome {
        let Some(broker) = self.pool.slot(&message.target.broker) else {
            return AttemptOutcome {
                verdict: Verdict::Transient { retry_after: None },
                code: None,
                detail: format!(
                    "{MAX_BROKERS} AMQP brokers are in use at once; this one waits for a free connection"
                ),
                duration: Duration::ZERO,
            };
        };
        let lease = match broker.lease(message.exchange, self.pool.limits()).await {
            Ok(lease) => lease,
            Err(failure) => return failure,
        };
        let (Ok(exchange), Ok(routing_key)) = (
            ShortString::try_new(message.exchange),
            ShortString::try_new(message.routing_key),
        ) else {
            return refused(format!(
                "the exchange name or routing key is longer than {MAX_SHORT_STRING} bytes"
            ));
        };
        let Ok(message_id) = ShortString::try_new(message.message_id.as_str()) else {
            return refused("the message id is too long".into());
        };
        let published = lease
            .channel
            .basic_publish(
                exchange,
                routing_key,
                BasicPublishOptions {
                    mandatory: true,
                    immediate: false,
                },
                &message.body,
                properties(message, message_id),
            )
            .await;
        let confirm = match published {
            Ok(confirm) => confirm,
            Err(err) => {
                lease.failed(&broker, Some(&err));
                return classify::error("publishing", &err);
            }
        };
        match tokio::time::timeout(self.confirm_timeout, confirm).await {
            Err(_) => {
                lease.failed(&broker, None);
                classify::timed_out("waiting for the publisher confirm", self.confirm_timeout)
            }
            Ok(Err(err)) => {
                lease.failed(&broker, Some(&err));
                classify::error("waiting for the publisher confirm", &err)
            }
            Ok(Ok(confirmation)) => classify::confirmation(
                confirmation,
                message.exchange,
                message.routing_key,
                message.require_route,
            ),
        }
    }
}

fn refused(detail: String) -> AttemptOutcome {
    AttemptOutcome {
        verdict: Verdict::Permanent,
        code: None,
        detail,
        duration: Duration::ZERO,
    }
}

fn properties(message: &AmqpMessage<'_>, message_id: ShortString) -> BasicProperties {
    let mut headers = FieldTable::default();
    for (name, value) in &message.headers {
        headers.insert(
            ShortString::from(*name),
            AMQPValue::LongString(value.as_str().into()),
        );
    }
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(PERSISTENT)
        .with_message_id(message_id)
        .with_timestamp(message.timestamp_secs)
        .with_app_id("tidings".into())
        .with_headers(headers)
}
