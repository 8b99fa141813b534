//! `tidings listener amqp ...`: Pulp's AMQP event listener made with the
//! command line alone, delivering into a queue bound on the real RabbitMQ
//! (`TIDINGS_TEST_AMQP_URL`; the broker part says `skipped` without it).
use serde_json::{json, Value};

use super::run::{app, tidings};
use crate::amqp_broker::{amqp_url, fresh_name, subscriber, Broker};

fn created_id(stdout: &str) -> String {
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("Event listener successfully created"));
    lines
        .next()
        .and_then(|l| l.strip_prefix("Id: "))
        .expect("an Id line")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amqp_listener_never_shows_its_password_and_deletes_whole() {
    let app = app().await;
    let created = tidings(
        &app,
        &[
            "listener",
            "amqp",
            "create",
            "--queue",
            "repos",
            "--event-type",
            "repo.sync.*",
            "--url",
            "amqp://pulp:s3cret@broker.example.com/prod",
            "-o",
            "json",
        ],
    )
    .await
    .ok();
    assert!(!created.stdout.contains("s3cret"), "{}", created.stdout);
    let listener = created.json();
    let id = listener["id"].as_str().unwrap().to_string();
    assert_eq!(listener["queue"], "repos");
    assert_eq!(listener["notifier_type_id"], "amqp");
    assert_eq!(listener["event_types"], json!(["repo.sync.*"]));
    // No --exchange: the server's default exchange (null), and the URL
    // without credentials.
    assert_eq!(
        listener["notifier_config"],
        json!({"exchange": null, "url": "amqp://broker.example.com/prod"})
    );
    assert_eq!(
        listener["subscriptions"][0]["subscriber"],
        "amqp://pulp:***@broker.example.com/prod"
    );

    let (_, stored) = app.get_json("/v2/queues/repos/subscriptions").await;
    let subs = stored["subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0]["options"]["listener_id"], id.as_str());
    assert_eq!(subs[0]["options"]["event_types"], json!(["repo.sync.*"]));

    let blocks = tidings(&app, &["listener", "list"]).await.ok();
    assert!(!blocks.stdout.contains("s3cret"), "{}", blocks.stdout);
    assert_eq!(
        blocks.lines()[..4],
        [
            "Event Types:       repo.sync.*",
            format!("Id:                {id}").as_str(),
            "Notifier Config:",
            "  Exchange: (the server's default)",
        ],
        "{}",
        blocks.stdout
    );
    assert!(
        blocks
            .lines()
            .contains(&"  URL:      amqp://broker.example.com/prod"),
        "{}",
        blocks.stdout
    );
    assert!(blocks.lines().contains(&"Notifier Type Id:  amqp"));

    let deleted = tidings(&app, &["listener", "delete", &id, "-o", "json"])
        .await
        .ok()
        .json();
    assert_eq!(deleted["id"], id.as_str());
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["subscriptions"], json!([subs[0]["id"]]));
    let (_, left) = app.get_json("/v2/queues/repos/subscriptions").await;
    assert_eq!(left["subscriptions"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amqp_listener_the_pulp_way_reaches_a_bound_queue() {
    let Some(url) = amqp_url() else { return };
    let broker = Broker::connect(&url).await;
    let exchange = fresh_name("cli");
    let bound = broker.bind(&exchange, "repo.sync.*").await;
    let app = app().await;
    let base = subscriber(&url, None);
    let run = tidings(
        &app,
        &[
            "listener",
            "amqp",
            "create",
            "--queue",
            "repos",
            "--event-type",
            "*",
            "--exchange",
            &exchange,
            "--url",
            &base,
        ],
    )
    .await
    .ok();
    let id = created_id(&run.stdout);
    let blocks = tidings(&app, &["listener", "list", "--queue", "repos"])
        .await
        .ok();
    assert!(
        blocks
            .lines()
            .contains(&format!("  Exchange: {exchange}").as_str()),
        "{}",
        blocks.stdout
    );
    assert!(
        !blocks.stdout.contains(":guest@"),
        "no password in {}",
        blocks.stdout
    );
    let sub = tidings(&app, &["listener", "list", "-o", "json"])
        .await
        .ok()
        .json()[0]["subscriptions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    for event in ["repo.sync.finish", "repo.publish.finish"] {
        let body = json!({"event_type": event, "payload": {"repo_id": "pulp2"}}).to_string();
        tidings(&app, &["message", "post", "repos", &body])
            .await
            .ok();
    }
    app.drain().await;

    let got = bound.drain().await;
    assert_eq!(got.len(), 1, "only the sync event is bound");
    assert_eq!(got[0].routing_key.as_str(), "repo.sync.finish");
    let body: Value = serde_json::from_slice(&got[0].data).unwrap();
    assert_eq!(body["body"]["payload"]["repo_id"], "pulp2");
    assert_eq!(body["queue_name"], "repos");

    // The delivery log tells the routed publish from the unroutable one;
    // both count as delivered without options.require_route.
    let log = tidings(&app, &["delivery", "list", "repos", &sub, "-o", "json"])
        .await
        .ok()
        .json();
    let details: Vec<String> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["status"], "delivered", "{d}");
            d["attempts"][0]["detail"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("confirmed by the broker: routed")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.contains("unroutable") && d.contains("repo.publish.finish")),
        "{details:?}"
    );
    let table = tidings(&app, &["delivery", "list", "repos", &sub])
        .await
        .ok();
    assert!(table.stdout.contains("unroutable"), "{}", table.stdout);

    tidings(&app, &["listener", "delete", &id]).await.ok();
    tidings(
        &app,
        &[
            "message",
            "post",
            "repos",
            r#"{"event_type": "repo.sync.start"}"#,
        ],
    )
    .await
    .ok();
    app.drain().await;
    assert!(
        bound.drain().await.is_empty(),
        "deleted: nothing more arrives"
    );
    broker.cleanup().await;
}
