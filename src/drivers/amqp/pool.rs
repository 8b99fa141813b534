//! One connection per broker (host, port, vhost, credentials), each with a
//! few channels in confirm mode, shared by every subscription that names
//! that broker. Bounded: at most `max_brokers` connections at once, the
//! least recently used idle one closed to make room.
//!
//! Reconnection is ours, not lapin's (its auto-recovery can fail after a
//! broker restart): a connection found closed is dropped and the next
//! attempt opens a fresh one, at most once per `RECONNECT_PAUSE` per broker
//! so a down broker is not hammered by every attempt in flight. Exchanges
//! are declared once per connection, so a restarted broker that lost a
//! non-durable declaration gets it again.
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lapin::options::{ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::uri::{AMQPAuthority, AMQPQueryString, AMQPScheme, AMQPUri, AMQPUserInfo};
use lapin::{Channel, Connection, ConnectionProperties, ErrorKind, ExchangeKind};

use super::classify;
use crate::domain::amqp_target::AmqpBroker;
use crate::drivers::AttemptOutcome;

/// After a failed connect, attempts to the same broker fail at once (with
/// that failure's reason) for this long instead of each trying again.
pub const RECONNECT_PAUSE: Duration = Duration::from_secs(1);
const DEFAULT_USER: &str = "guest";

#[derive(Debug, Clone, Copy)]
pub struct PoolLimits {
    pub max_brokers: usize,
    pub channels_per_connection: usize,
    pub connect_timeout: Duration,
}

/// A usable channel and the connection it belongs to.
pub struct Lease {
    pub channel: Channel,
    live: Arc<Live>,
}

impl Lease {
    /// After an error on this lease: a connection-level failure (I/O, a
    /// lost heartbeat, no confirm in time) drops the connection at once, so
    /// the next attempt reconnects instead of waiting for lapin to notice.
    /// Channel-level errors leave it: the channel is replaced when next used.
    pub fn failed(&self, broker: &BrokerSlot, err: Option<&lapin::Error>) {
        let connection_level = match err.map(lapin::Error::kind) {
            None => true,
            Some(ErrorKind::IOError(_))
            | Some(ErrorKind::InvalidConnectionState(_))
            | Some(ErrorKind::MissingHeartbeatError) => true,
            Some(_) => !self.live.usable(),
        };
        if connection_level {
            broker.forget(&self.live);
        }
    }
}

struct Live {
    id: u64,
    connection: Connection,
    channels: Vec<Mutex<Channel>>,
    next_channel: AtomicUsize,
    /// Exchanges declared on this connection.
    declared: Mutex<HashSet<String>>,
    /// Serialises channel repairs and exchange declarations.
    repair: tokio::sync::Mutex<()>,
}

impl Live {
    fn usable(&self) -> bool {
        self.connection.status().connected()
    }
}

pub struct BrokerSlot {
    broker: AmqpBroker,
    live: Mutex<Option<Arc<Live>>>,
    /// Single flight: one task connects while the others wait for it.
    connecting: tokio::sync::Mutex<()>,
    last_failure: Mutex<Option<(Instant, AttemptOutcome)>>,
    last_used: Mutex<Instant>,
    in_use: AtomicUsize,
}

static CONNECTION_IDS: AtomicU64 = AtomicU64::new(1);

impl BrokerSlot {
    fn new(broker: AmqpBroker) -> Self {
        BrokerSlot {
            broker,
            live: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(()),
            last_failure: Mutex::new(None),
            last_used: Mutex::new(Instant::now()),
            in_use: AtomicUsize::new(0),
        }
    }

    fn current(&self) -> Option<Arc<Live>> {
        let guard = self.live.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().filter(|l| l.usable()).cloned()
    }

    fn forget(&self, live: &Arc<Live>) {
        let mut guard = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_some_and(|l| l.id == live.id) {
            *guard = None;
        }
    }

    /// A channel ready to publish to `exchange` (declared topic and durable
    /// on this connection), connecting first if need be.
    pub async fn lease(
        &self,
        exchange: &str,
        limits: &PoolLimits,
    ) -> Result<Lease, AttemptOutcome> {
        let live = self.connected(limits).await?;
        let channel = self.channel(&live).await?;
        self.declare(&live, exchange).await?;
        Ok(Lease { channel, live })
    }

    async fn connected(&self, limits: &PoolLimits) -> Result<Arc<Live>, AttemptOutcome> {
        if let Some(live) = self.current() {
            return Ok(live);
        }
        let _single = self.connecting.lock().await;
        if let Some(live) = self.current() {
            return Ok(live);
        }
        if let Some((at, failure)) = &*self.last_failure.lock().unwrap_or_else(|p| p.into_inner()) {
            if at.elapsed() < RECONNECT_PAUSE {
                let mut failure = failure.clone();
                failure
                    .detail
                    .push_str(" (last connect moments ago; trying again shortly)");
                return Err(failure);
            }
        }
        let old = self.live.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(old) = old {
            // Best effort: a broken connection may not answer at all.
            let _ = tokio::time::timeout(
                Duration::from_millis(200),
                old.connection.close(200, "reconnecting".into()),
            )
            .await;
        }
        match self.open(limits).await {
            Ok(live) => {
                let live = Arc::new(live);
                *self.live.lock().unwrap_or_else(|p| p.into_inner()) = Some(live.clone());
                *self.last_failure.lock().unwrap_or_else(|p| p.into_inner()) = None;
                tracing::info!(broker = %self.describe(), "connected to the AMQP broker");
                Ok(live)
            }
            Err(failure) => {
                tracing::warn!(broker = %self.describe(), detail = %failure.detail, "cannot connect to the AMQP broker");
                *self.last_failure.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((Instant::now(), failure.clone()));
                Err(failure)
            }
        }
    }

    async fn open(&self, limits: &PoolLimits) -> Result<Live, AttemptOutcome> {
        let uri = lapin_uri(&self.broker, limits.connect_timeout);
        let properties = ConnectionProperties::default()
            .with_connection_name(concat!("tidings/", env!("CARGO_PKG_VERSION")).into());
        let connection = match tokio::time::timeout(
            limits.connect_timeout,
            Connection::connect_uri(uri, properties),
        )
        .await
        {
            Err(_) => return Err(classify::timed_out("connecting", limits.connect_timeout)),
            Ok(Err(err)) => {
                return Err(classify::connect_error(
                    &err,
                    self.broker.tls,
                    self.broker.port,
                ))
            }
            Ok(Ok(connection)) => connection,
        };
        let mut channels = Vec::with_capacity(limits.channels_per_connection);
        for _ in 0..limits.channels_per_connection.max(1) {
            channels.push(Mutex::new(confirming_channel(&connection).await?));
        }
        Ok(Live {
            id: CONNECTION_IDS.fetch_add(1, Ordering::Relaxed),
            connection,
            channels,
            next_channel: AtomicUsize::new(0),
            declared: Mutex::new(HashSet::new()),
            repair: tokio::sync::Mutex::new(()),
        })
    }

    /// The next channel round-robin; one the broker closed (after a channel
    /// error) is replaced first.
    async fn channel(&self, live: &Arc<Live>) -> Result<Channel, AttemptOutcome> {
        let index = live.next_channel.fetch_add(1, Ordering::Relaxed) % live.channels.len();
        let slot = &live.channels[index];
        let channel = slot.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if channel.status().connected() {
            return Ok(channel);
        }
        let _repair = live.repair.lock().await;
        let channel = slot.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if channel.status().connected() {
            return Ok(channel);
        }
        let fresh = confirming_channel(&live.connection)
            .await
            .inspect_err(|_| {
                self.forget(live);
            })?;
        *slot.lock().unwrap_or_else(|p| p.into_inner()) = fresh.clone();
        Ok(fresh)
    }

    /// Declares `exchange` as a durable topic exchange once per connection
    /// (a no-op when it exists as such). A declaration the broker refuses
    /// (an exchange of another type) closes the channel it was made on, so
    /// it is made on a channel of its own.
    async fn declare(&self, live: &Arc<Live>, exchange: &str) -> Result<(), AttemptOutcome> {
        if is_declared(live, exchange) {
            return Ok(());
        }
        let _repair = live.repair.lock().await;
        if is_declared(live, exchange) {
            return Ok(());
        }
        let stage = format!("declaring exchange {exchange:?} (topic, durable)");
        let Ok(name) = lapin::types::ShortString::try_new(exchange) else {
            return Err(AttemptOutcome {
                verdict: crate::drivers::Verdict::Permanent,
                code: None,
                detail: format!("{stage}: the name is too long"),
                duration: Duration::ZERO,
            });
        };
        let channel = match live.connection.create_channel().await {
            Ok(channel) => channel,
            Err(err) => {
                self.forget(live);
                return Err(classify::error(&stage, &err));
            }
        };
        let declared = channel
            .exchange_declare(
                name,
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await;
        match declared {
            Ok(()) => {
                let _ = channel.close(200, "declared".into()).await;
                live.declared
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(exchange.to_string());
                Ok(())
            }
            // The broker has closed the channel already.
            Err(err) => {
                let mut failure = classify::error(&stage, &err);
                if failure.code == Some(406) {
                    failure.detail.push_str(
                        "; an exchange of that name exists with another type: delete it or name another exchange",
                    );
                }
                Err(failure)
            }
        }
    }

    /// How this broker appears in logs: no credentials.
    pub fn describe(&self) -> String {
        let b = &self.broker;
        format!(
            "{}://{}:{} vhost {:?}",
            if b.tls { "amqps" } else { "amqp" },
            b.host,
            b.port,
            b.vhost
        )
    }
}

fn is_declared(live: &Live, exchange: &str) -> bool {
    live.declared
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(exchange)
}

async fn confirming_channel(connection: &Connection) -> Result<Channel, AttemptOutcome> {
    let channel = connection
        .create_channel()
        .await
        .map_err(|e| classify::error("opening a channel", &e))?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(|e| classify::error("enabling publisher confirms", &e))?;
    Ok(channel)
}

fn lapin_uri(broker: &AmqpBroker, connect_timeout: Duration) -> AMQPUri {
    AMQPUri {
        scheme: if broker.tls {
            AMQPScheme::AMQPS
        } else {
            AMQPScheme::AMQP
        },
        authority: AMQPAuthority {
            userinfo: AMQPUserInfo {
                username: broker
                    .username
                    .clone()
                    .unwrap_or_else(|| DEFAULT_USER.to_string()),
                password: match (&broker.username, &broker.password) {
                    (_, Some(password)) => password.expose().to_string(),
                    // No user given: the broker's conventional guest login.
                    (None, None) => DEFAULT_USER.to_string(),
                    (Some(_), None) => String::new(),
                },
            },
            host: broker.host.clone(),
            port: broker.port,
        },
        vhost: broker.vhost.clone(),
        query: AMQPQueryString {
            connection_timeout: Some(connect_timeout.as_millis() as u64),
            ..AMQPQueryString::default()
        },
    }
}

/// Every broker in use, bounded.
pub struct Pool {
    limits: PoolLimits,
    brokers: Mutex<HashMap<AmqpBroker, Arc<BrokerSlot>>>,
}

/// Marks a broker as in use while held, so it is not evicted under an
/// attempt.
pub struct InUse(Arc<BrokerSlot>);

impl std::ops::Deref for InUse {
    type Target = BrokerSlot;
    fn deref(&self) -> &BrokerSlot {
        &self.0
    }
}

impl Drop for InUse {
    fn drop(&mut self) {
        self.0.in_use.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Pool {
    pub fn new(limits: PoolLimits) -> Self {
        Pool {
            limits,
            brokers: Mutex::new(HashMap::new()),
        }
    }

    pub fn limits(&self) -> &PoolLimits {
        &self.limits
    }

    /// The slot for `broker`, made if need be. None when `max_brokers`
    /// brokers are all in use by attempts right now.
    pub fn slot(&self, broker: &AmqpBroker) -> Option<InUse> {
        let mut brokers = self.brokers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = brokers.get(broker) {
            slot.in_use.fetch_add(1, Ordering::Relaxed);
            *slot.last_used.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
            return Some(InUse(slot.clone()));
        }
        if brokers.len() >= self.limits.max_brokers {
            let idle = brokers
                .iter()
                .filter(|(_, s)| s.in_use.load(Ordering::Relaxed) == 0)
                .min_by_key(|(_, s)| *s.last_used.lock().unwrap_or_else(|p| p.into_inner()))
                .map(|(k, _)| k.clone())?;
            if let Some(evicted) = brokers.remove(&idle) {
                close_in_background(evicted);
            }
        }
        let slot = Arc::new(BrokerSlot::new(broker.clone()));
        slot.in_use.fetch_add(1, Ordering::Relaxed);
        brokers.insert(broker.clone(), slot.clone());
        Some(InUse(slot))
    }

    /// Open connections, for tests and metrics.
    pub fn connections(&self) -> usize {
        let brokers = self.brokers.lock().unwrap_or_else(|p| p.into_inner());
        brokers.values().filter(|s| s.current().is_some()).count()
    }

    /// Closes every connection (graceful shutdown).
    pub async fn close_all(&self) {
        let slots: Vec<Arc<BrokerSlot>> = {
            let mut brokers = self.brokers.lock().unwrap_or_else(|p| p.into_inner());
            brokers.drain().map(|(_, s)| s).collect()
        };
        for slot in slots {
            let live = slot.live.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(live) = live {
                let _ = tokio::time::timeout(
                    Duration::from_secs(1),
                    live.connection.close(200, "tidings is stopping".into()),
                )
                .await;
            }
        }
    }
}

fn close_in_background(slot: Arc<BrokerSlot>) {
    let live = slot.live.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(live) = live {
        tokio::spawn(async move {
            let _ = tokio::time::timeout(
                Duration::from_secs(1),
                live.connection.close(200, "idle".into()),
            )
            .await;
        });
    }
}
