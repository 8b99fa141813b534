//! AMQP subscribers against a real RabbitMQ (`TIDINGS_TEST_AMQP_URL`; the
//! suite says `skipped` without it), on SQLite and PostgreSQL. Each test
//! binds its own queue the way a Pulp consumer would and reads what the
//! broker holds once the worker drained: no sleeping.
use lapin::ExchangeKind;
use reqwest::Method;
use serde_json::{json, Value};

use crate::amqp_broker::{amqp_url, fresh_name, header, subscriber, Broker};
use crate::backend_test;
use crate::helpers::{env, spawn_with, Backend, TestApp};

async fn subscribe(app: &TestApp, queue: &str, body: Value) -> String {
    let resp = app
        .send_json(
            Method::POST,
            &format!("/v2/queues/{queue}/subscriptions"),
            &body,
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201, "subscribe {body}");
    resp.json::<Value>().await.unwrap()["subscription_id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn deliveries(app: &TestApp, queue: &str, sub: &str) -> Vec<Value> {
    let (status, body) = app
        .get_json(&format!(
            "/v2/queues/{queue}/subscriptions/{sub}/deliveries"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body["deliveries"].as_array().unwrap().clone()
}

fn last_attempt(delivery: &Value) -> &Value {
    delivery["attempts"].as_array().unwrap().last().unwrap()
}

async fn app_with(backend: Backend, pairs: &[(&str, &str)]) -> TestApp {
    spawn_with(backend, env(pairs)).await.unwrap()
}

fn queue_name() -> String {
    format!("repos-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

async fn a_message_arrives_with_zaqar_body_and_properties(backend: Backend) {
    let Some(url) = amqp_url() else { return };
    let broker = Broker::connect(&url).await;
    let exchange = fresh_name("pulp");
    let bound = broker.bind(&exchange, "#").await;
    let app = app_with(backend, &[]).await;
    let queue = queue_name();
    let sub = subscribe(
        &app,
        &queue,
        json!({"subscriber": subscriber(&url, Some(&exchange)), "ttl": 3600}),
    )
    .await;
    let ids = app
        .post_messages(
            &queue,
            json!([{"ttl": 300, "body": {"event_type": "repo.sync.finish", "payload": {"repo_id": "pulp2"}}}]),
        )
        .await;
    app.drain().await;

    let got = bound.drain().await;
    assert_eq!(got.len(), 1);
    let message = &got[0];
    let expected = format!(
        r#"{{"body": {{"event_type": "repo.sync.finish", "payload": {{"repo_id": "pulp2"}}}}, "queue_name": "{queue}", "Message_Type": "Notification", "ttl": 300}}"#
    );
    let body: Value = serde_json::from_slice(&message.data).unwrap();
    assert_eq!(body, serde_json::from_str::<Value>(&expected).unwrap());
    // The routing key is the message's event type (body.event_type).
    assert_eq!(message.routing_key.as_str(), "repo.sync.finish");
    assert_eq!(message.exchange.as_str(), exchange);
    let props = &message.properties;
    assert_eq!(
        props.content_type().as_ref().map(|s| s.as_str()),
        Some("application/json")
    );
    assert_eq!(*props.delivery_mode(), Some(2));
    assert!(props.timestamp().is_some_and(|t| t > 1_600_000_000));
    assert_eq!(
        header(message, "x-tidings-queue").as_deref(),
        Some(queue.as_str())
    );
    assert_eq!(
        header(message, "x-tidings-subscription").as_deref(),
        Some(sub.as_str())
    );
    assert_eq!(
        header(message, "x-tidings-message-id").as_deref(),
        Some(ids[0].as_str())
    );

    let log = deliveries(&app, &queue, &sub).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "delivered");
    let id = log[0]["id"].as_str().unwrap();
    assert_eq!(
        props.message_id().as_ref().map(|s| s.as_str().to_string()),
        Some(format!("msg_{id}"))
    );
    let attempt = last_attempt(&log[0]);
    assert_eq!(attempt["outcome"], "delivered");
    assert!(
        attempt["detail"].as_str().unwrap().contains("routed"),
        "{attempt}"
    );
    broker.cleanup().await;
}
backend_test!(a_message_arrives_with_zaqar_body_and_properties);

async fn consumers_pick_event_types_with_topic_patterns(backend: Backend) {
    let Some(url) = amqp_url() else { return };
    let broker = Broker::connect(&url).await;
    let exchange = fresh_name("pulp");
    let syncs = broker.bind(&exchange, "repo.sync.*").await;
    let finishes = broker.bind(&exchange, "*.*.finish").await;
    let everything = broker.bind(&exchange, "#").await;
    let app = app_with(backend, &[]).await;
    let queue = queue_name();
    subscribe(
        &app,
        &queue,
        json!({"subscriber": subscriber(&url, Some(&exchange))}),
    )
    .await;
    let events = [
        "repo.sync.start",
        "repo.sync.finish",
        "repo.publish.start",
        "repo.publish.finish",
    ];
    let messages: Vec<Value> = events
        .iter()
        .map(|e| json!({"ttl": 300, "body": {"event_type": e, "payload": {"repo_id": "pulp2"}}}))
        .chain([json!({"ttl": 300, "body": {"no": "event type"}})])
        .collect();
    app.post_messages(&queue, Value::Array(messages)).await;
    app.drain().await;
    let keys = |got: Vec<lapin::message::BasicGetMessage>| {
        let mut keys: Vec<String> = got
            .iter()
            .map(|m| m.routing_key.as_str().to_string())
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(
        keys(syncs.drain().await),
        ["repo.sync.finish", "repo.sync.start"]
    );
    assert_eq!(
        keys(finishes.drain().await),
        ["repo.publish.finish", "repo.sync.finish"]
    );
    let mut all = events.iter().map(|e| e.to_string()).collect::<Vec<_>>();
    all.push(queue.clone());
    all.sort();
    assert_eq!(keys(everything.drain().await), all);
    broker.cleanup().await;
}
backend_test!(consumers_pick_event_types_with_topic_patterns);

async fn post_data_shapes_the_body(backend: Backend) {
    let Some(url) = amqp_url() else { return };
    let broker = Broker::connect(&url).await;
    let exchange = fresh_name("wrapped");
    let bound = broker.bind(&exchange, "#").await;
    let app = app_with(backend, &[]).await;
    let queue = queue_name();
    subscribe(
        &app,
        &queue,
        json!({
            "subscriber": subscriber(&url, Some(&exchange)),
            "options": {"post_data": "{\"wrapped\": \"$zaqar_message$\", \"static\": 1}"}
        }),
    )
    .await;
    app.post_messages(&queue, json!([{"ttl": 300, "body": {"seq": 3}}]))
        .await;
    app.drain().await;
    let got = bound.drain().await;
    assert_eq!(got.len(), 1);
    let want = format!(
        r#"{{"wrapped": {{"ttl": 300, "body": {{"seq": 3}}, "Message_Type": "Notification", "queue_name": "{queue}"}}, "static": 1}}"#
    );
    assert_eq!(String::from_utf8_lossy(&got[0].data), want);
    broker.cleanup().await;
}
backend_test!(post_data_shapes_the_body);

async fn the_server_default_exchange_applies_without_one(backend: Backend) {
    let Some(url) = amqp_url() else { return };
    let broker = Broker::connect(&url).await;
    let exchange = fresh_name("default");
    let bound = broker.bind(&exchange, "#").await;
    let app = app_with(backend, &[("TIDINGS_AMQP_EXCHANGE", exchange.as_str())]).await;
    let queue = queue_name();
    subscribe(&app, &queue, json!({"subscriber": subscriber(&url, None)})).await;
    app.post_messages(
        &queue,
        json!([{"ttl": 300, "body": 1}, {"ttl": 300, "body": 2}]),
    )
    .await;
    app.drain().await;
    assert_eq!(bound.drain().await.len(), 2);
    broker.cleanup().await;
}
backend_test!(the_server_default_exchange_applies_without_one);

async fn amq_topic_is_the_default_and_topic_patterns_route(backend: Backend) {
    let Some(url) = amqp_url() else { return };
    let broker = Broker::connect(&url).await;
    let queue = queue_name();
    let mine = broker.bind("amq.topic", &queue).await;
    let other = broker.bind("amq.topic", &format!("{queue}.other")).await;
    let app = app_with(backend, &[]).await;
    subscribe(&app, &queue, json!({"subscriber": subscriber(&url, None)})).await;
    app.post_messages(&queue, json!([{"ttl": 300, "body": "hello"}]))
        .await;
    app.drain().await;
    assert_eq!(mine.drain().await.len(), 1);
    assert_eq!(other.drain().await.len(), 0);
    broker.cleanup().await;
}
backend_test!(amq_topic_is_the_default_and_topic_patterns_route);

async fn unroutable_is_delivered_by_default_and_retried_when_routes_are_required(backend: Backend) {
    let Some(url) = amqp_url() else { return };
    let broker = Broker::connect(&url).await;
    let loose = fresh_name("loose");
    let strict = fresh_name("strict");
    broker.forget_later(&loose);
    broker.forget_later(&strict);
    let app = app_with(backend, &[]).await;
    let queue = queue_name();
    let fire_and_forget = subscribe(
        &app,
        &queue,
        json!({"subscriber": subscriber(&url, Some(&loose))}),
    )
    .await;
    let required = subscribe(
        &app,
        &queue,
        json!({"subscriber": subscriber(&url, Some(&strict)), "options": {"require_route": true}}),
    )
    .await;
    app.post_messages(&queue, json!([{"ttl": 300, "body": "nobody listens"}]))
        .await;
    app.drain().await;

    let log = deliveries(&app, &queue, &fire_and_forget).await;
    assert_eq!(log[0]["status"], "delivered");
    let detail = last_attempt(&log[0])["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail.contains("unroutable"), "{detail}");
    assert_eq!(last_attempt(&log[0])["code"], 312);

    let log = deliveries(&app, &queue, &required).await;
    assert_eq!(log[0]["status"], "pending");
    let attempt = last_attempt(&log[0]);
    assert_eq!(attempt["outcome"], "transient_failure");
    assert!(
        attempt["detail"]
            .as_str()
            .unwrap()
            .contains("require_route"),
        "{attempt}"
    );
    let delivery_id = log[0]["id"].as_str().unwrap().to_string();

    // A consumer binds; the retry arrives, with the same message id.
    let bound = broker.bind(&strict, "#").await;
    app.clock.advance_secs(60);
    app.drain().await;
    let got = bound.drain().await;
    assert_eq!(
        got.len(),
        1,
        "{:?}",
        deliveries(&app, &queue, &required).await
    );
    assert_eq!(
        got[0]
            .properties
            .message_id()
            .as_ref()
            .map(|s| s.as_str().to_string()),
        Some(format!("msg_{delivery_id}"))
    );
    let log = deliveries(&app, &queue, &required).await;
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"].as_array().unwrap().len(), 2);
    broker.cleanup().await;
}
backend_test!(unroutable_is_delivered_by_default_and_retried_when_routes_are_required);

async fn a_nack_is_a_failed_attempt(backend: Backend) {
    let Some(url) = amqp_url() else { return };
    let broker = Broker::connect(&url).await;
    let exchange = fresh_name("full");
    let _refusing = broker.bind_refusing(&exchange, "#").await;
    let app = app_with(backend, &[]).await;
    let queue = queue_name();
    let sub = subscribe(
        &app,
        &queue,
        json!({"subscriber": subscriber(&url, Some(&exchange))}),
    )
    .await;
    app.post_messages(&queue, json!([{"ttl": 300, "body": "refused"}]))
        .await;
    app.drain().await;
    let log = deliveries(&app, &queue, &sub).await;
    assert_eq!(log[0]["status"], "pending");
    let attempt = last_attempt(&log[0]);
    assert_eq!(attempt["outcome"], "transient_failure");
    assert!(
        attempt["detail"].as_str().unwrap().contains("nacked"),
        "{attempt}"
    );
    broker.cleanup().await;
}
backend_test!(a_nack_is_a_failed_attempt);

async fn an_exchange_of_another_type_fails_clearly_and_others_still_deliver(backend: Backend) {
    let Some(url) = amqp_url() else { return };
    let broker = Broker::connect(&url).await;
    let fanout = fresh_name("fanout");
    broker.exchange(&fanout, ExchangeKind::Fanout).await;
    let good = fresh_name("good");
    let bound = broker.bind(&good, "#").await;
    let app = app_with(backend, &[]).await;
    let queue = queue_name();
    let wrong = subscribe(
        &app,
        &queue,
        json!({"subscriber": subscriber(&url, Some(&fanout))}),
    )
    .await;
    subscribe(
        &app,
        &queue,
        json!({"subscriber": subscriber(&url, Some(&good))}),
    )
    .await;
    app.post_messages(
        &queue,
        json!([{"ttl": 300, "body": 1}, {"ttl": 300, "body": 2}]),
    )
    .await;
    app.drain().await;

    assert_eq!(bound.drain().await.len(), 2);
    let log = deliveries(&app, &queue, &wrong).await;
    assert_eq!(log.len(), 2);
    for delivery in &log {
        assert_eq!(delivery["status"], "failed");
        let attempt = last_attempt(delivery);
        assert_eq!(attempt["code"], 406);
        let detail = attempt["detail"].as_str().unwrap();
        assert!(detail.contains("another type"), "{detail}");
    }
    // The server is fine: a later message to the good exchange arrives.
    app.post_messages(&queue, json!([{"ttl": 300, "body": 3}]))
        .await;
    app.drain().await;
    assert_eq!(bound.drain().await.len(), 1);
    broker.cleanup().await;
}
backend_test!(an_exchange_of_another_type_fails_clearly_and_others_still_deliver);

async fn bad_credentials_fail_without_showing_the_password(backend: Backend) {
    let Some(url) = amqp_url() else { return };
    let parsed = url::Url::parse(&url).unwrap();
    let host = parsed.host_str().unwrap();
    let port = parsed.port().unwrap_or(5672);
    let app = app_with(backend, &[]).await;
    let queue = queue_name();
    let secret = "not-the-password-7f3a";
    let sub = subscribe(
        &app,
        &queue,
        json!({"subscriber": format!("amqp://guest:{secret}@{host}:{port}/%2f?exchange=amq.topic")}),
    )
    .await;
    app.post_messages(&queue, json!([{"ttl": 300, "body": 1}]))
        .await;
    app.drain().await;
    let log = deliveries(&app, &queue, &sub).await;
    assert_eq!(log[0]["status"], "failed");
    let attempt = last_attempt(&log[0]);
    assert_eq!(attempt["code"], 403);
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains(secret), "{text}");
    let (_, shown) = app
        .get_json(&format!("/v2/queues/{queue}/subscriptions/{sub}"))
        .await;
    assert_eq!(
        shown["subscriber"],
        format!("amqp://guest:***@{host}:{port}/%2f?exchange=amq.topic")
    );
}
backend_test!(bad_credentials_fail_without_showing_the_password);

async fn an_unreachable_broker_is_retried(backend: Backend) {
    // Needs no broker: a port nobody listens on refuses the connection.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let app = app_with(backend, &[]).await;
    let queue = queue_name();
    let sub = subscribe(
        &app,
        &queue,
        json!({"subscriber": format!("amqp://127.0.0.1:{port}")}),
    )
    .await;
    app.post_messages(&queue, json!([{"ttl": 300, "body": 1}]))
        .await;
    app.drain().await;
    let log = deliveries(&app, &queue, &sub).await;
    assert_eq!(log[0]["status"], "pending");
    let attempt = last_attempt(&log[0]);
    assert_eq!(attempt["outcome"], "transient_failure");
    assert!(
        attempt["detail"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{attempt}"
    );
}
backend_test!(an_unreachable_broker_is_retried);

async fn amqps_to_a_plain_port_says_so(backend: Backend) {
    // Needs no broker: a plain AMQP listener answers a TLS hello with its
    // protocol header, as RabbitMQ on 5672 does.
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = plain.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = plain.accept().await {
            let mut hello = [0u8; 512];
            let _ = socket.read(&mut hello).await;
            let _ = socket.write_all(b"AMQP\x00\x00\x09\x01").await;
        }
    });
    let app = app_with(backend, &[]).await;
    let queue = queue_name();
    let sub = subscribe(
        &app,
        &queue,
        json!({"subscriber": format!("amqps://u:hunter2@127.0.0.1:{port}/?exchange=pulp")}),
    )
    .await;
    app.post_messages(&queue, json!([{"ttl": 300, "body": 1}]))
        .await;
    app.drain().await;
    let log = deliveries(&app, &queue, &sub).await;
    assert_eq!(
        log[0]["status"], "pending",
        "retried like any failed attempt"
    );
    let attempt = last_attempt(&log[0]);
    assert_eq!(attempt["outcome"], "transient_failure");
    let detail = attempt["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("connecting: TLS handshake failed: "),
        "{attempt}"
    );
    assert!(
        detail.contains(&format!("is port {port} a TLS listener?")),
        "{attempt}"
    );
    assert!(!detail.contains("hunter2"));
}
backend_test!(amqps_to_a_plain_port_says_so);

async fn subscriptions_share_one_connection_per_broker(backend: Backend) {
    let Some(url) = amqp_url() else { return };
    let broker = Broker::connect(&url).await;
    let app = app_with(backend, &[]).await;
    let queue = queue_name();
    let mut bound = Vec::new();
    for n in 0..5 {
        let exchange = fresh_name(&format!("shared{n}"));
        bound.push(broker.bind(&exchange, "#").await);
        subscribe(
            &app,
            &queue,
            json!({"subscriber": subscriber(&url, Some(&exchange))}),
        )
        .await;
    }
    let messages: Vec<Value> = (0..20).map(|n| json!({"ttl": 300, "body": n})).collect();
    app.post_messages(&queue, Value::Array(messages)).await;
    app.drain().await;
    for b in &bound {
        assert_eq!(b.drain().await.len(), 20);
    }
    assert_eq!(app.dispatcher.channels().amqp.connections(), 1);
    let metrics = app
        .bare(Method::GET, "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "tidings_delivery_attempts_total{channel=\"amqp\",outcome=\"delivered\"} 100"
        ),
        "{metrics}"
    );
    broker.cleanup().await;
}
backend_test!(subscriptions_share_one_connection_per_broker);

async fn confirmation_required_publishes_the_zaqar_confirmation(backend: Backend) {
    let Some(url) = amqp_url() else { return };
    let broker = Broker::connect(&url).await;
    let exchange = fresh_name("confirm");
    let bound = broker.bind(&exchange, "SubscriptionConfirmation").await;
    let app = app_with(backend, &[("TIDINGS_REQUIRE_CONFIRMATION", "all")]).await;
    let queue = queue_name();
    subscribe(
        &app,
        &queue,
        json!({"subscriber": subscriber(&url, Some(&exchange))}),
    )
    .await;
    app.drain().await;
    let got = bound.drain().await;
    assert_eq!(got.len(), 1);
    let body: Value = serde_json::from_slice(&got[0].data).unwrap();
    assert_eq!(body["Message_Type"], "SubscriptionConfirmation");
    assert_eq!(body["queue_name"], queue.as_str());
    assert!(body["URL-Signature"].is_string(), "{body}");
    broker.cleanup().await;
}
backend_test!(confirmation_required_publishes_the_zaqar_confirmation);
