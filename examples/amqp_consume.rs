//! A small AMQP consumer for trying tidings' AMQP subscribers: declares a
//! queue, binds it to a topic exchange with a pattern, and prints every
//! message that arrives (routing key, message id, body) until Ctrl-C or
//! `--count N` messages.
//!
//!     cargo run --example amqp_consume -- \
//!       --url 'amqp://guest:guest@127.0.0.1:5672/%2f' --exchange pulp \
//!       --queue pulp-syncs --pattern 'repo.sync.*' [--count 1]
//!
//! The exchange is declared topic and durable, as tidings declares it, so
//! the consumer may start first. The queue is durable when named (it keeps
//! messages while the consumer is away) and a private, auto-deleted one
//! otherwise.
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ExchangeKind};

struct Args {
    url: String,
    exchange: String,
    queue: String,
    pattern: String,
    count: Option<u64>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
        exchange: "amq.topic".into(),
        queue: String::new(),
        pattern: "#".into(),
        count: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => a.url = value()?,
            "--exchange" => a.exchange = value()?,
            "--queue" => a.queue = value()?,
            "--pattern" => a.pattern = value()?,
            "--count" => a.count = Some(value()?.parse().map_err(|_| "--count needs a number")?),
            other => {
                return Err(format!(
                    "unknown argument {other}; use --url, --exchange, --queue, --pattern, --count"
                ))
            }
        }
    }
    Ok(a)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args()?;
    let connection = Connection::connect(&a.url, ConnectionProperties::default()).await?;
    let channel = connection.create_channel().await?;
    if !a.exchange.starts_with("amq.") {
        channel
            .exchange_declare(
                a.exchange.as_str().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await?;
    }
    let named = !a.queue.is_empty();
    let queue = channel
        .queue_declare(
            a.queue.as_str().into(),
            QueueDeclareOptions {
                durable: named,
                exclusive: !named,
                auto_delete: !named,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?;
    let queue_name = queue.name().as_str().to_string();
    channel
        .queue_bind(
            queue_name.as_str().into(),
            a.exchange.as_str().into(),
            a.pattern.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    eprintln!(
        "queue {queue_name} bound to exchange {} with {:?}; waiting for messages",
        a.exchange, a.pattern
    );
    let mut consumer = channel
        .basic_consume(
            queue_name.as_str().into(),
            "amqp_consume".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let mut seen = 0;
    while a.count.is_none_or(|n| seen < n) {
        let delivery = tokio::select! {
            next = consumer.next() => match next {
                Some(delivery) => delivery?,
                None => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        };
        let id = delivery
            .properties
            .message_id()
            .as_ref()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        println!(
            "{} {id} {}",
            delivery.routing_key.as_str(),
            String::from_utf8_lossy(&delivery.data)
        );
        delivery.ack(BasicAckOptions::default()).await?;
        seen += 1;
    }
    connection.close(200, "done".into()).await?;
    Ok(())
}
