//! `tidings queue ...`
use serde_json::json;

use super::run::{app, tidings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_list_and_delete_queues() {
    let app = app().await;
    let created = tidings(&app, &["queue", "create", "orders"]).await.ok();
    assert_eq!(created.stdout, "Created queue orders.\n");
    assert_eq!(
        app.get_json("/v2/queues").await.1["queues"][0]["name"],
        "orders"
    );
    let again = tidings(&app, &["queue", "create", "orders", "-o", "json"])
        .await
        .ok();
    assert_eq!(again.json(), json!({"name": "orders", "created": false}));
    tidings(&app, &["queue", "create", "invoices"]).await.ok();

    let table = tidings(&app, &["queue", "list"]).await.ok();
    assert_eq!(
        table.lines(),
        [
            "+----------+",
            "| Name     |",
            "+----------+",
            "| invoices |",
            "| orders   |",
            "+----------+",
        ]
    );
    let json = tidings(&app, &["queue", "list", "-o", "json"])
        .await
        .ok()
        .json();
    assert_eq!(json[1]["name"], "orders");
    assert_eq!(json[1]["href"], "/v2/queues/orders");
    let values = tidings(&app, &["queue", "list", "-o", "value"]).await.ok();
    assert_eq!(values.stdout, "invoices\norders\n");

    app.post_messages("orders", json!([{"body": 1}])).await;
    let deleted = tidings(&app, &["queue", "delete", "orders"]).await.ok();
    assert_eq!(deleted.stdout, "Deleted queue orders and its messages.\n");
    let after = tidings(&app, &["queue", "list", "-o", "value"]).await.ok();
    assert_eq!(after.stdout, "invoices\n");
    let (_, stats) = app.get_json("/v2/queues/orders/stats").await;
    assert_eq!(stats["messages"]["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_follows_every_page_and_filters() {
    let app = app().await;
    for i in 0..25 {
        app.create_queue(&format!("q{i:02}")).await;
    }
    let all = tidings(&app, &["queue", "list", "-o", "value"]).await.ok();
    let names: Vec<&str> = all.stdout.lines().collect();
    assert_eq!(names.len(), 25, "two pages of 20 and 5");
    assert_eq!((names[0], names[24]), ("q00", "q24"));
    let capped = tidings(&app, &["queue", "list", "--limit", "3", "-o", "value"])
        .await
        .ok();
    assert_eq!(capped.stdout, "q00\nq01\nq02\n");
    let named = tidings(&app, &["queue", "list", "--name", "q1", "-o", "value"])
        .await
        .ok();
    assert_eq!(named.stdout.lines().count(), 10);
    let detailed = tidings(
        &app,
        &["queue", "list", "--detailed", "--limit", "1", "-o", "json"],
    )
    .await
    .ok();
    assert_eq!(detailed.json()[0]["metadata"]["_default_message_ttl"], 3600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_in_both_formats() {
    let app = app().await;
    app.post_messages("orders", json!([{"body": 1}, {"body": 2}]))
        .await;
    let table = tidings(&app, &["queue", "stats", "orders"]).await.ok();
    assert_eq!(table.row("Total"), ["Total", "2"]);
    assert_eq!(table.row("Free"), ["Free", "2"]);
    assert_eq!(table.row("Claimed"), ["Claimed", "0"]);
    let json = tidings(&app, &["queue", "stats", "orders", "-o", "json"])
        .await
        .ok()
        .json();
    assert_eq!(json["messages"]["total"], 2);
    assert!(json["messages"]["oldest"]["created"].is_string(), "{json}");
    let free = tidings(
        &app,
        &["queue", "stats", "orders", "-o", "value", "-c", "free"],
    )
    .await
    .ok();
    assert_eq!(free.stdout, "2\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_set_unset_and_replace() {
    let app = app().await;
    tidings(
        &app,
        &[
            "queue",
            "create",
            "orders",
            "--metadata",
            r#"{"team": "ops"}"#,
        ],
    )
    .await
    .ok();
    let set = tidings(
        &app,
        &[
            "queue",
            "set-metadata",
            "orders",
            r#"{"owner": "ana", "_default_message_ttl": 600}"#,
        ],
    )
    .await
    .ok();
    assert_eq!(set.row("owner"), ["owner", "ana"]);
    assert_eq!(
        set.row("_default_message_ttl"),
        ["_default_message_ttl", "600"]
    );
    let (_, meta) = app.get_json("/v2/queues/orders").await;
    assert_eq!(
        (meta["team"].as_str(), meta["owner"].as_str()),
        (Some("ops"), Some("ana"))
    );

    tidings(
        &app,
        &["queue", "set-metadata", "orders", "--unset", "team"],
    )
    .await
    .ok();
    let json = tidings(&app, &["queue", "get-metadata", "orders", "-o", "json"])
        .await
        .ok()
        .json();
    assert!(json.get("team").is_none(), "{json}");
    assert_eq!(json["owner"], "ana");

    let replaced = tidings(
        &app,
        &[
            "queue",
            "set-metadata",
            "orders",
            r#"{"region": "eu"}"#,
            "--replace",
            "-o",
            "json",
        ],
    )
    .await
    .ok()
    .json();
    assert_eq!(replaced["region"], "eu");
    assert!(replaced.get("owner").is_none(), "{replaced}");
    assert_eq!(
        replaced["_default_message_ttl"], 3600,
        "reserved keys back to defaults"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_exit_1_with_the_zaqar_error_and_usage_exits_2() {
    let app = app().await;
    app.create_queue("orders").await;
    let bad = tidings(
        &app,
        &[
            "queue",
            "set-metadata",
            "orders",
            r#"{"_default_message_ttl": 5}"#,
        ],
    )
    .await;
    assert_eq!(bad.code, 1);
    assert!(bad.stdout.is_empty());
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
    assert!(
        bad.stderr.starts_with("error: Invalid request body: "),
        "{}",
        bad.stderr
    );
    assert!(
        bad.stderr.contains("_default_message_ttl"),
        "{}",
        bad.stderr
    );
    assert!(
        bad.stderr.trim_end().ends_with("(HTTP 400)"),
        "{}",
        bad.stderr
    );
    let (_, meta) = app.get_json("/v2/queues/orders").await;
    assert_eq!(meta["_default_message_ttl"], 3600, "nothing changed");

    let name = tidings(&app, &["queue", "create", "no spaces!"]).await;
    assert_eq!(name.code, 1);
    assert!(
        name.stderr.contains("Invalid queue identification"),
        "{}",
        name.stderr
    );

    let nothing = tidings(&app, &["queue", "set-metadata", "orders"]).await;
    assert_eq!(nothing.code, 2);
    assert!(
        nothing.stderr.contains("nothing to change"),
        "{}",
        nothing.stderr
    );
    let not_object = tidings(&app, &["queue", "set-metadata", "orders", "[1]"]).await;
    assert_eq!(not_object.code, 2);
    assert!(
        not_object.stderr.contains("JSON object"),
        "{}",
        not_object.stderr
    );
    let missing = tidings(&app, &["queue", "stats"]).await;
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("<QUEUE>"), "{}", missing.stderr);
}
