//! Every client verb in both output formats against one live server: the
//! default (a table, blocks or a sentence) and `-o json` in the shape
//! docs/cli.md promises. Verbs that change something run twice on twins
//! (one per format) so each run sees the same state.
use serde_json::{json, Value};

use super::run::{app, tidings, tidings_stdin, Run};
use crate::helpers::TestApp;

/// `args` with `-o json`: exit 0 and a JSON document.
async fn json_of(app: &TestApp, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    tidings(app, &all).await.ok().json()
}

/// `args` in the default format: exit 0, and no JSON on stdout.
async fn table_of(app: &TestApp, args: &[&str]) -> Run {
    let run = tidings(app, args).await.ok();
    assert!(
        serde_json::from_str::<Value>(&run.stdout).is_err(),
        "{args:?} printed JSON by default:\n{}",
        run.stdout
    );
    run
}

/// The keys of a JSON object, sorted.
#[track_caller]
fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

#[track_caller]
fn has_keys(v: &Value, want: &[&str]) {
    let got = keys(v);
    for k in want {
        assert!(got.iter().any(|g| g == k), "no {k:?} in {v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_verbs_in_both_formats() {
    let app = app().await;
    assert_eq!(
        table_of(&app, &["queue", "create", "a"]).await.stdout,
        "Created queue a.\n"
    );
    assert_eq!(
        json_of(
            &app,
            &["queue", "create", "b", "--metadata", r#"{"team": "ops"}"#]
        )
        .await,
        json!({"name": "b", "created": true})
    );
    let list = table_of(&app, &["queue", "list", "--detailed"]).await;
    assert_eq!(list.row("Name"), ["Name", "Metadata"]);
    assert_eq!(list.row("b")[0], "b");
    let listed = json_of(&app, &["queue", "list", "--detailed"]).await;
    has_keys(&listed[1], &["name", "href", "metadata"]);
    assert_eq!(listed[1]["metadata"]["team"], "ops");

    app.post_messages("a", json!([{"body": 1}, {"body": 2}]))
        .await;
    let stats = table_of(&app, &["queue", "stats", "a"]).await;
    assert_eq!(stats.row("Total")[1], "2", "{}", stats.stdout);
    let stats = json_of(&app, &["queue", "stats", "a"]).await;
    has_keys(&stats["messages"], &["claimed", "free", "total"]);
    assert_eq!(stats["messages"]["total"], 2);

    let meta = table_of(&app, &["queue", "get-metadata", "b"]).await;
    assert_eq!(meta.row("team"), ["team", "ops"]);
    let meta = json_of(&app, &["queue", "get-metadata", "b"]).await;
    assert_eq!(meta["team"], "ops");
    has_keys(&meta, &["_default_message_ttl", "_max_messages_post_size"]);
    let set = table_of(&app, &["queue", "set-metadata", "a", r#"{"x": 1}"#]).await;
    assert_eq!(set.row("x"), ["x", "1"]);
    let set = json_of(&app, &["queue", "set-metadata", "b", r#"{"x": 2}"#]).await;
    assert_eq!(
        (set["x"].clone(), set["team"].clone()),
        (json!(2), json!("ops"))
    );

    assert_eq!(
        table_of(&app, &["queue", "delete", "a"]).await.stdout,
        "Deleted queue a and its messages.\n"
    );
    assert_eq!(
        json_of(&app, &["queue", "delete", "b"]).await,
        json!({"name": "b", "deleted": true})
    );
    assert_eq!(json_of(&app, &["queue", "list"]).await, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_verbs_in_both_formats() {
    let app = app().await;
    let one = table_of(&app, &["message", "post", "m", r#"{"n": 1}"#]).await;
    assert!(
        one.stdout.starts_with("Posted message ") && one.stdout.ends_with(" to queue m.\n"),
        "{}",
        one.stdout
    );
    let posted = json_of(&app, &["message", "post", "m", r#"{"n": 2}"#]).await;
    assert_eq!(keys(&posted), ["ids", "posted", "queue"]);
    assert_eq!(
        (posted["queue"].clone(), posted["posted"].clone()),
        (json!("m"), json!(1))
    );
    let lines: String = (3..=25).map(|n| format!("{{\"n\": {n}}}\n")).collect();
    let many = tidings_stdin(&app, &["message", "post", "m", "-", "-o", "json"], &lines)
        .await
        .ok()
        .json();
    assert_eq!(many["posted"], 23);
    assert_eq!(many["ids"].as_array().unwrap().len(), 23);

    let table = table_of(&app, &["message", "list", "m", "--limit", "2"]).await;
    assert_eq!(table.row("Id"), ["Id", "Age (s)", "TTL (s)", "Body"]);
    let id = posted["ids"][0].as_str().unwrap();
    assert_eq!(table.row(id)[3], r#"{"n":2}"#);
    let listed = json_of(&app, &["message", "list", "m", "--all"]).await;
    assert_eq!(listed.as_array().unwrap().len(), 25);
    has_keys(&listed[0], &["id", "href", "ttl", "age", "body"]);
    assert_eq!(listed[24]["body"], json!({"n": 25}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_verbs_in_both_formats() {
    let app = app().await;
    let shape = [
        "id",
        "source",
        "subscriber",
        "ttl",
        "age",
        "options",
        "confirmed",
    ];
    let created = table_of(
        &app,
        &[
            "subscription",
            "create",
            "s",
            "https://u:pw@hooks.example.com/a",
        ],
    )
    .await;
    let a = created.row("Id")[1].clone();
    assert_eq!(
        created.row("Subscriber")[1],
        "https://u:***@hooks.example.com/a"
    );
    let b = json_of(
        &app,
        &[
            "subscription",
            "create",
            "s",
            "mailto:ops@example.com",
            "--ttl",
            "600",
        ],
    )
    .await;
    has_keys(&b, &shape);
    let b = b["id"].as_str().unwrap().to_string();

    let list = table_of(&app, &["subscription", "list", "s"]).await;
    assert_eq!(list.row(&a)[1], "https://u:***@hooks.example.com/a");
    assert!(!list.stdout.contains("pw@"));
    let listed = json_of(&app, &["subscription", "list", "s"]).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    has_keys(&listed[0], &shape);
    assert!(!listed.to_string().contains("pw@"), "{listed}");

    let show = table_of(&app, &["subscription", "show", "s", &b]).await;
    assert_eq!(show.row("TTL (s)")[1], "600");
    let shown = json_of(&app, &["subscription", "show", "s", &b]).await;
    assert_eq!(shown["subscriber"], "mailto:ops@example.com");

    let upd = table_of(&app, &["subscription", "update", "s", &a, "--ttl", "900"]).await;
    assert_eq!(upd.row("TTL (s)")[1], "900");
    let upd = json_of(&app, &["subscription", "update", "s", &b, "--ttl", "700"]).await;
    assert_eq!(upd["ttl"], 700);

    let confirmed = table_of(&app, &["subscription", "confirm", "s", &b]).await;
    assert_eq!(confirmed.stdout, format!("Confirmed subscription {b}.\n"));
    let unsub = json_of(&app, &["subscription", "confirm", "s", &b, "--unsubscribe"]).await;
    assert_eq!(unsub["confirmed"], false);

    let gone = table_of(&app, &["subscription", "delete", "s", &a]).await;
    assert!(gone.stdout.contains(&a), "{}", gone.stdout);
    assert_eq!(
        json_of(&app, &["subscription", "delete", "s", &b]).await,
        json!({"id": b, "deleted": true})
    );
    assert_eq!(
        json_of(&app, &["subscription", "list", "s"]).await,
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_in_both_formats() {
    let app = app().await;
    let shape = ["id", "subscriber", "notification_type", "deliver", "reason"];
    let sync = json_of(
        &app,
        &[
            "subscription",
            "create",
            "r",
            "https://hooks.example.com/sync",
            "--options",
            r#"{"event_types": ["repo.sync.*"]}"#,
        ],
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let publish = json_of(
        &app,
        &[
            "subscription",
            "create",
            "r",
            "amqp://u:pw@broker.example.com/?exchange=pulp",
            "--options",
            r#"{"event_types": ["repo.publish.*"]}"#,
        ],
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let body = r#"{"event_type": "repo.sync.finish"}"#;

    let table = table_of(&app, &["routes", "r", body]).await;
    assert_eq!(table.lines()[0], "Event type: repo.sync.finish");
    assert_eq!(
        table.row("Id"),
        ["Id", "Subscriber", "Type", "Deliver", "Reason"]
    );
    assert_eq!(table.row(&sync)[2..4], ["webhook", "yes"]);
    let row = table.row(&publish);
    assert_eq!(row[1], "amqp://u:***@broker.example.com/?exchange=pulp");
    assert_eq!(row[2..], ["amqp", "no", "event_type"]);

    let routes = json_of(&app, &["routes", "r", body]).await;
    assert_eq!(keys(&routes), ["event_type", "subscriptions"]);
    assert_eq!(routes["event_type"], "repo.sync.finish");
    let subs = routes["subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 2);
    for s in subs {
        has_keys(s, &shape);
        assert!(!s.to_string().contains("pw@"), "{s}");
    }
    let by_id = |id: &str| subs.iter().find(|s| s["id"] == id).unwrap().clone();
    assert_eq!(by_id(&sync)["deliver"], true);
    assert_eq!(by_id(&publish)["deliver"], false);
    assert_eq!(by_id(&publish)["reason"], "event_type");

    let values = tidings(&app, &["routes", "r", body, "-o", "value", "-c", "deliver"])
        .await
        .ok();
    let mut v: Vec<&str> = values.stdout.lines().collect();
    v.sort();
    assert_eq!(v, ["no", "yes"]);
    // Nothing was posted.
    let (_, stats) = app.get_json("/v2/queues/r/stats").await;
    assert_eq!(stats["messages"]["total"], 0);

    // An API refusal: exit 1 with Zaqar's title and description.
    let bad = tidings(&app, &["routes", "bad$name", body]).await;
    assert_eq!(bad.code, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.starts_with("error: ") && bad.stderr.ends_with("(HTTP 400)\n"),
        "{}",
        bad.stderr
    );
    assert_eq!(bad.stderr.lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_verbs_in_both_formats() {
    let app = app().await;
    let shape = [
        "id",
        "queue",
        "notifier_type_id",
        "event_types",
        "notifier_config",
        "subscriptions",
    ];
    let creates: [&[&str]; 3] = [
        &[
            "listener",
            "email",
            "create",
            "--queue",
            "l",
            "--event-type",
            "repo.sync.start",
            "--subject",
            "pulp",
            "--addresses",
            "a@example.com",
        ],
        &[
            "listener",
            "http",
            "create",
            "--queue",
            "l",
            "--event-type",
            "*",
            "--url",
            "https://hooks.example.com/pulp",
            "--username",
            "ops",
            "--password",
            "s3cret",
        ],
        &[
            "listener",
            "amqp",
            "create",
            "--queue",
            "l",
            "--event-type",
            "*",
            "--exchange",
            "pulp",
            "--url",
            "amqp://ops:s3cret@broker.example.com:5672/%2f",
        ],
    ];
    let mut ids = Vec::new();
    for create in creates {
        let table = table_of(&app, create).await;
        assert_eq!(table.lines()[0], "Event listener successfully created");
        ids.push(table.lines()[1].trim_start_matches("Id: ").to_string());
        // The twin, on another queue, in JSON.
        let mut twin: Vec<&str> = create.to_vec();
        twin[4] = "l2";
        let made = json_of(&app, &twin).await;
        assert_eq!(keys(&made), {
            let mut s = shape.map(String::from).to_vec();
            s.sort();
            s
        });
        assert_eq!(made["queue"], "l2");
        assert!(!made.to_string().contains("s3cret"), "{made}");
    }
    let blocks = table_of(&app, &["listener", "list", "--queue", "l"]).await;
    assert!(!blocks.stdout.contains("s3cret"), "{}", blocks.stdout);
    for id in &ids {
        assert!(
            blocks
                .lines()
                .contains(&format!("Id:                {id}").as_str()),
            "{}",
            blocks.stdout
        );
    }
    let types: Vec<&str> = blocks
        .lines()
        .into_iter()
        .filter_map(|l| l.strip_prefix("Notifier Type Id:  "))
        .collect();
    let mut sorted = types.clone();
    sorted.sort();
    assert_eq!(sorted, ["amqp", "email", "http"]);
    let listed = json_of(&app, &["listener", "list"]).await;
    assert_eq!(listed.as_array().unwrap().len(), 6);
    assert!(!listed.to_string().contains("s3cret"));
    for l in listed.as_array().unwrap() {
        has_keys(l, &shape);
    }

    let deleted = table_of(&app, &["listener", "delete", &ids[0]]).await;
    assert_eq!(deleted.stdout, "Event listener successfully deleted\n");
    let deleted = json_of(&app, &["listener", "delete", &ids[1]]).await;
    assert_eq!(keys(&deleted), ["deleted", "id", "subscriptions"]);
    let left = json_of(&app, &["listener", "list", "--queue", "l"]).await;
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["id"], ids[2].as_str());
}
