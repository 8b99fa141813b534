#![allow(dead_code)] // Shared by the api suite and the restart suite.
//! A real RabbitMQ for the AMQP tests: the broker at `TIDINGS_TEST_AMQP_URL`
//! (the suite says `skipped` without it), with helpers that bind a private
//! queue the way a consumer would and read what arrived without sleeping:
//! tidings counts an attempt as delivered only once the broker confirmed
//! it, and a confirmed message is already in the bound queue.
//!
//! Every test declares exchanges under a fresh name and binds exclusive,
//! auto-deleted queues, so tests (and other users of the shared broker) never
//! see each other's messages; exchanges are deleted when the test ends.
use std::io::Write;
use std::sync::Once;

use lapin::message::BasicGetMessage;
use lapin::options::{
    BasicGetOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};

static SKIP_NOTICE: Once = Once::new();

/// The broker URL, or None after saying (once) that the suite is skipped.
pub fn amqp_url() -> Option<String> {
    let url = std::env::var("TIDINGS_TEST_AMQP_URL")
        .ok()
        .filter(|s| !s.is_empty());
    if url.is_none() {
        SKIP_NOTICE.call_once(|| {
            let _ = writeln!(
                std::io::stderr(),
                "skipped: no RabbitMQ (set TIDINGS_TEST_AMQP_URL, e.g. amqp://guest:guest@127.0.0.1:5672/%2f, to run the AMQP suite)"
            );
        });
    }
    url
}

/// A fresh exchange name for one test.
pub fn fresh_name(prefix: &str) -> String {
    format!("tidings-test-{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// The subscriber URI for `exchange` on the test broker (the test URL with
/// `?exchange=` added, or without it for the server default).
pub fn subscriber(url: &str, exchange: Option<&str>) -> String {
    let base = url.split('?').next().unwrap_or(url);
    match exchange {
        Some(name) => format!("{base}?exchange={name}"),
        None => base.to_string(),
    }
}

pub struct Broker {
    pub connection: Connection,
    pub channel: Channel,
    exchanges: std::sync::Mutex<Vec<String>>,
}

/// A queue bound to an exchange, read with `basic.get`.
pub struct Bound {
    pub queue: String,
    channel: Channel,
}

impl Broker {
    pub async fn connect(url: &str) -> Broker {
        let connection = Connection::connect(url, ConnectionProperties::default())
            .await
            .expect("connect to TIDINGS_TEST_AMQP_URL");
        let channel = connection.create_channel().await.expect("channel");
        Broker {
            connection,
            channel,
            exchanges: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Declares an exchange of `kind` that `cleanup` deletes.
    pub async fn exchange(&self, name: &str, kind: ExchangeKind) {
        self.channel
            .exchange_declare(
                name.into(),
                kind,
                ExchangeDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("declare exchange");
        self.forget_later(name);
    }

    /// Deletes `name` at cleanup (tidings declares exchanges too).
    pub fn forget_later(&self, name: &str) {
        self.exchanges.lock().unwrap().push(name.to_string());
    }

    /// An exclusive queue bound to `exchange` with `pattern` (the exchange
    /// is declared topic and durable first, as tidings would).
    pub async fn bind(&self, exchange: &str, pattern: &str) -> Bound {
        self.bind_with(exchange, pattern, FieldTable::default())
            .await
    }

    pub async fn bind_with(&self, exchange: &str, pattern: &str, args: FieldTable) -> Bound {
        if exchange != "amq.topic" {
            self.exchange(exchange, ExchangeKind::Topic).await;
        }
        let queue = self
            .channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..Default::default()
                },
                args,
            )
            .await
            .expect("declare queue");
        let name = queue.name().as_str().to_string();
        self.channel
            .queue_bind(
                name.as_str().into(),
                exchange.into(),
                pattern.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("bind queue");
        Bound {
            queue: name,
            channel: self.channel.clone(),
        }
    }

    /// A queue that refuses every message: the broker nacks publishes
    /// routed to it.
    pub async fn bind_refusing(&self, exchange: &str, pattern: &str) -> Bound {
        let mut args = FieldTable::default();
        args.insert("x-max-length".into(), AMQPValue::LongInt(0));
        args.insert(
            "x-overflow".into(),
            AMQPValue::LongString("reject-publish".into()),
        );
        self.bind_with(exchange, pattern, args).await
    }

    pub async fn cleanup(&self) {
        let names = std::mem::take(&mut *self.exchanges.lock().unwrap());
        for name in names {
            let _ = self
                .channel
                .exchange_delete(name.as_str().into(), ExchangeDeleteOptions::default())
                .await;
        }
        let _ = self.connection.close(200, "test done".into()).await;
    }
}

impl Bound {
    /// Every message in the queue now.
    pub async fn drain(&self) -> Vec<BasicGetMessage> {
        let mut out = Vec::new();
        while let Some(message) = self
            .channel
            .basic_get(self.queue.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .expect("basic.get")
        {
            out.push(message);
        }
        out
    }
}

/// An application header's string value.
pub fn header(message: &BasicGetMessage, name: &str) -> Option<String> {
    let headers = message.properties.headers().as_ref()?;
    match headers.inner().get(name)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_string()),
        _ => None,
    }
}
