//! `tidings subscription ...`
use serde_json::json;

use super::run::{app, tidings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_show_list_update_delete() {
    let app = app().await;
    let created = tidings(
        &app,
        &[
            "subscription",
            "create",
            "orders",
            "https://hooks.example.com/in",
            "--ttl",
            "600",
            "--options",
            r#"{"post_headers": {"X-Team": "ops"}}"#,
            "-o",
            "json",
        ],
    )
    .await
    .ok()
    .json();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["source"], "orders");
    assert_eq!(created["subscriber"], "https://hooks.example.com/in");
    assert_eq!(created["ttl"], 600);
    assert_eq!(created["options"]["post_headers"]["X-Team"], "ops");
    let (_, stored) = app
        .get_json(&format!("/v2/queues/orders/subscriptions/{id}"))
        .await;
    assert_eq!(stored["ttl"], 600);

    let show = tidings(&app, &["subscription", "show", "orders", &id])
        .await
        .ok();
    assert_eq!(show.row("Id"), ["Id", &id]);
    assert_eq!(
        show.row("Subscriber"),
        ["Subscriber", "https://hooks.example.com/in"]
    );
    assert_eq!(show.row("TTL (s)"), ["TTL (s)", "600"]);

    tidings(
        &app,
        &["subscription", "create", "orders", "mailto:ops@example.com"],
    )
    .await
    .ok();
    let list = tidings(&app, &["subscription", "list", "orders"])
        .await
        .ok();
    assert_eq!(
        list.row("Id")[..4],
        ["Id", "Subscriber", "TTL (s)", "Confirmed"]
    );
    assert_eq!(list.row(&id)[1], "https://hooks.example.com/in");
    let json = tidings(&app, &["subscription", "list", "orders", "-o", "json"])
        .await
        .ok()
        .json();
    assert_eq!(json.as_array().unwrap().len(), 2);
    let subscribers = tidings(
        &app,
        &[
            "subscription",
            "list",
            "orders",
            "-o",
            "value",
            "-c",
            "subscriber",
        ],
    )
    .await
    .ok();
    let mut lines: Vec<&str> = subscribers.stdout.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        ["https://hooks.example.com/in", "mailto:ops@example.com"]
    );

    let updated = tidings(
        &app,
        &[
            "subscription",
            "update",
            "orders",
            &id,
            "--ttl",
            "1200",
            "--options",
            r#"{"a": 1}"#,
            "-o",
            "json",
        ],
    )
    .await
    .ok()
    .json();
    assert_eq!(updated["ttl"], 1200);
    assert_eq!(
        updated["options"],
        json!({"a": 1}),
        "options are replaced, as in Zaqar"
    );

    let deleted = tidings(&app, &["subscription", "delete", "orders", &id])
        .await
        .ok();
    assert_eq!(deleted.stdout, format!("Deleted subscription {id}.\n"));
    let (status, _) = app
        .get_json(&format!("/v2/queues/orders/subscriptions/{id}"))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirm_and_unsubscribe() {
    let app = app().await;
    let id = tidings(
        &app,
        &[
            "subscription",
            "create",
            "orders",
            "mailto:ops@example.com",
            "-o",
            "value",
        ],
    )
    .await
    .ok()
    .stdout
    .trim()
    .to_string();
    let (_, before) = app
        .get_json(&format!("/v2/queues/orders/subscriptions/{id}"))
        .await;
    assert_eq!(before["confirmed"], false);
    let confirmed = tidings(&app, &["subscription", "confirm", "orders", &id])
        .await
        .ok();
    assert_eq!(confirmed.stdout, format!("Confirmed subscription {id}.\n"));
    let (_, after) = app
        .get_json(&format!("/v2/queues/orders/subscriptions/{id}"))
        .await;
    assert_eq!(after["confirmed"], true);
    let json = tidings(
        &app,
        &[
            "subscription",
            "confirm",
            "orders",
            &id,
            "--unsubscribe",
            "-o",
            "json",
        ],
    )
    .await
    .ok()
    .json();
    assert_eq!(json["id"], id.as_str());
    assert_eq!(json["confirmed"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_are_masked_and_repeats_are_pointed_out() {
    let app = app().await;
    let run = tidings(
        &app,
        &[
            "subscription",
            "create",
            "orders",
            "https://ops:s3cret@hooks.example.com/in",
        ],
    )
    .await
    .ok();
    assert!(!run.stdout.contains("s3cret"), "{}", run.stdout);
    assert_eq!(
        run.row("Subscriber"),
        ["Subscriber", "https://ops:***@hooks.example.com/in"]
    );
    let list = tidings(&app, &["subscription", "list", "orders"])
        .await
        .ok();
    assert!(!list.stdout.contains("s3cret"), "{}", list.stdout);

    // Zaqar answers a repeated subscribe with the existing one, unchanged.
    let again = tidings(
        &app,
        &[
            "subscription",
            "create",
            "orders",
            "https://ops:s3cret@hooks.example.com/in",
            "--ttl",
            "90",
        ],
    )
    .await
    .ok();
    assert!(
        again.stderr.contains("already had subscription"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("unchanged"), "{}", again.stderr);
    assert!(!again.stderr.contains("s3cret"), "{}", again.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_what_went_wrong() {
    let app = app().await;
    let missing = tidings(&app, &["subscription", "show", "orders", "no-such-id"]).await;
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.stderr,
        "error: Not found: Subscription no-such-id does not exist (HTTP 404)\n"
    );
    // Zaqar's DELETE answers 204 for anything; the CLI checks first.
    let delete = tidings(&app, &["subscription", "delete", "orders", "no-such-id"]).await;
    assert_eq!(delete.code, 1);
    assert!(
        delete.stderr.contains("does not exist"),
        "{}",
        delete.stderr
    );

    let scheme = tidings(
        &app,
        &["subscription", "create", "orders", "ftp://x.example.com/"],
    )
    .await;
    assert_eq!(scheme.code, 1);
    assert!(
        scheme.stderr.starts_with("error: Invalid API request: "),
        "{}",
        scheme.stderr
    );
    assert_eq!(
        app.get_json("/v2/queues/orders/subscriptions").await.1["subscriptions"],
        json!([])
    );

    let usage = tidings(&app, &["subscription", "update", "orders", "some-id"]).await;
    assert_eq!(usage.code, 2);
    assert!(
        usage.stderr.contains("nothing to change"),
        "{}",
        usage.stderr
    );
    let bad_json = tidings(
        &app,
        &[
            "subscription",
            "create",
            "orders",
            "mailto:a@example.com",
            "--options",
            "{",
        ],
    )
    .await;
    assert_eq!(bad_json.code, 2);
    assert!(bad_json.stderr.contains("--options"), "{}", bad_json.stderr);
}
