//! `tidings message post|list`
use serde_json::{json, Value};

use super::run::{app, tidings, tidings_stdin};
use crate::helpers::TestApp;

async fn bodies(app: &TestApp, queue: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut path = format!("/v2/queues/{queue}/messages?echo=true&limit=20");
    loop {
        let (_, page) = app.get_json(&path).await;
        let msgs = page["messages"].as_array().cloned().unwrap_or_default();
        if msgs.is_empty() {
            return out;
        }
        out.extend(msgs.iter().map(|m| m["body"].clone()));
        path = page["links"][0]["href"].as_str().unwrap().to_string();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_one_message_from_the_command_line() {
    let app = app().await;
    let run = tidings(
        &app,
        &[
            "message",
            "post",
            "orders",
            r#"{"event_type": "repo.sync.start", "n": 1}"#,
            "--ttl",
            "300",
        ],
    )
    .await
    .ok();
    let (_, page) = app.get_json("/v2/queues/orders/messages?echo=true").await;
    let id = page["messages"][0]["id"].as_str().unwrap();
    assert_eq!(
        run.stdout,
        format!("Posted message {id} to queue orders.\n")
    );
    assert_eq!(page["messages"][0]["ttl"], 300);
    assert_eq!(page["messages"][0]["body"]["event_type"], "repo.sync.start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_stdin_one_message_per_line_in_order() {
    let app = app().await;
    let input: String = (0..25)
        .map(|i| format!("{{\"seq\": {i}}}\n"))
        .collect::<String>()
        + "\n\"last\"\n";
    let run = tidings_stdin(
        &app,
        &["message", "post", "orders", "-", "-o", "json"],
        &input,
    )
    .await
    .ok();
    let out = run.json();
    assert_eq!(out["queue"], "orders");
    assert_eq!(out["posted"], 26);
    assert_eq!(out["ids"].as_array().unwrap().len(), 26);
    let stored = bodies(&app, "orders").await;
    assert_eq!(stored.len(), 26, "blank lines are skipped");
    for (i, body) in stored.iter().take(25).enumerate() {
        assert_eq!(body["seq"], i, "order kept across batches");
    }
    assert_eq!(stored[25], "last");

    // No body at all reads stdin too; -o value prints the ids.
    let ids = tidings_stdin(
        &app,
        &["message", "post", "orders", "-o", "value"],
        "1\n2\n",
    )
    .await
    .ok();
    assert_eq!(ids.stdout.lines().count(), 2);
    let plain = tidings_stdin(&app, &["message", "post", "orders"], "3\n4\n5\n")
        .await
        .ok();
    assert_eq!(plain.stdout, "Posted 3 messages to queue orders.\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_line_posts_nothing_and_exits_2() {
    let app = app().await;
    let run = tidings_stdin(
        &app,
        &["message", "post", "orders", "-"],
        "{\"a\": 1}\nnot json\n{\"b\": 2}\n",
    )
    .await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("stdin line 2: not JSON"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was posted"), "{}", run.stderr);
    assert!(bodies(&app, "orders").await.is_empty());

    let empty = tidings_stdin(&app, &["message", "post", "orders", "-"], "\n\n").await;
    assert_eq!(empty.code, 2);
    assert!(
        empty.stderr.contains("no messages on stdin"),
        "{}",
        empty.stderr
    );

    let word = tidings(&app, &["message", "post", "orders", "hello"]).await;
    assert_eq!(word.code, 2);
    assert!(word.stderr.contains("needs JSON quotes"), "{}", word.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refusing_a_batch_says_how_far_it_got() {
    let app = app().await;
    let run = tidings(&app, &["message", "post", "orders", "1", "--ttl", "5"]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: posted 0 of 1 messages, then: Invalid API request: "),
        "{}",
        run.stderr
    );
    assert!(bodies(&app, "orders").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_messages_as_table_json_and_value() {
    let app = app().await;
    let ids = app
        .post_messages(
            "orders",
            json!([{"body": {"n": 1}, "ttl": 120}, {"body": "two"}]),
        )
        .await;
    let table = tidings(&app, &["message", "list", "orders"]).await.ok();
    assert_eq!(table.row("Id"), ["Id", "Age (s)", "TTL (s)", "Body"]);
    let first = table.row(&ids[0]);
    assert_eq!(
        (first[2].as_str(), first[3].as_str()),
        ("120", r#"{"n":1}"#)
    );
    assert_eq!(table.row(&ids[1])[3], r#""two""#);
    let json = tidings(&app, &["message", "list", "orders", "-o", "json"])
        .await
        .ok()
        .json();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[0]["id"], ids[0].as_str());
    assert_eq!(json[0]["body"], json!({"n": 1}));
    assert_eq!(json[1]["ttl"], 3600);
    let values = tidings(&app, &["message", "list", "orders", "-o", "value"])
        .await
        .ok();
    assert_eq!(values.stdout, format!("{}\n{}\n", ids[0], ids[1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_stops_at_the_limit_and_says_so() {
    let app = app().await;
    let messages: Vec<Value> = (0..30).map(|i| json!({"body": i})).collect();
    app.post_messages("orders", Value::Array(messages)).await;
    let capped = tidings(
        &app,
        &["message", "list", "orders", "--limit", "25", "-o", "value"],
    )
    .await
    .ok();
    assert_eq!(capped.stdout.lines().count(), 25);
    assert!(
        capped.stderr.contains("the first 25 messages"),
        "{}",
        capped.stderr
    );
    let all = tidings(&app, &["message", "list", "orders", "--all", "-o", "json"])
        .await
        .ok();
    assert_eq!(all.json().as_array().unwrap().len(), 30);
    assert!(all.stderr.is_empty(), "{}", all.stderr);
}
