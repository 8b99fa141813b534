//! `tidings listener ...`: Pulp's event listeners over subscriptions.
use serde_json::Value;

use super::run::{app, tidings};
use crate::helpers::TestApp;

async fn subscriptions(app: &TestApp, queue: &str) -> Vec<Value> {
    let (_, body) = app
        .get_json(&format!("/v2/queues/{queue}/subscriptions?limit=20"))
        .await;
    body["subscriptions"].as_array().unwrap().clone()
}

fn mails(app: &TestApp) -> Vec<String> {
    let dir = app.dir.path().join("mail");
    let mut out: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

async fn wait_for_mails(app: &TestApp, n: usize) -> Vec<String> {
    for _ in 0..5 {
        app.drain().await;
        let m = mails(app);
        if m.len() >= n {
            return m;
        }
    }
    mails(app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_listener_the_pulp_way() {
    let app = app().await;
    let run = tidings(
        &app,
        &[
            "listener",
            "email",
            "create",
            "--queue",
            "pulp",
            "--event-type=repo.sync.start",
            "--subject=pulp notification",
            "--addresses=someone@example.com,another@example.com",
        ],
    )
    .await
    .ok();
    let lines = run.lines();
    assert_eq!(lines[0], "Event listener successfully created");
    let id = lines[1]
        .strip_prefix("Id: ")
        .expect("an Id line")
        .to_string();

    let subs = subscriptions(&app, "pulp").await;
    assert_eq!(subs.len(), 2, "one subscription per address");
    let mut subscribers: Vec<&str> = subs
        .iter()
        .map(|s| s["subscriber"].as_str().unwrap())
        .collect();
    subscribers.sort();
    assert_eq!(
        subscribers,
        ["mailto:another@example.com", "mailto:someone@example.com"]
    );
    for s in &subs {
        assert_eq!(s["options"]["listener_id"], id.as_str());
        assert_eq!(
            s["options"]["event_types"],
            serde_json::json!(["repo.sync.start"])
        );
        assert_eq!(s["options"]["subject"], "pulp notification");
        assert_eq!(s["confirmed"], false, "each owner confirms");
    }
    // Each owner is asked to confirm.
    let sent = wait_for_mails(&app, 2).await;
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().any(|m| m.contains("To: someone@example.com")));
    assert!(sent.iter().any(|m| m.contains("To: another@example.com")));

    let list = tidings(&app, &["listener", "list"]).await.ok();
    let first = list.stdout.find("someone").unwrap() < list.stdout.find("another").unwrap();
    let addresses = if first {
        "someone@example.com, another@example.com"
    } else {
        "another@example.com, someone@example.com"
    };
    assert_eq!(
        list.stdout,
        format!(
            "Event Types:       repo.sync.start\n\
             Id:                {id}\n\
             Notifier Config:\n  \
             Addresses:   {addresses}\n  \
             Subject:     pulp notification\n  \
             Unconfirmed: {addresses}\n\
             Notifier Type Id:  email\n\
             Queue:             pulp\n"
        )
    );

    // Once an owner confirms, the block says so.
    let some = subs
        .iter()
        .find(|s| s["subscriber"] == "mailto:someone@example.com")
        .unwrap();
    tidings(
        &app,
        &[
            "subscription",
            "confirm",
            "pulp",
            some["id"].as_str().unwrap(),
        ],
    )
    .await
    .ok();
    let json = tidings(&app, &["listener", "list", "--queue", "pulp", "-o", "json"])
        .await
        .ok()
        .json();
    let l = &json[0];
    assert_eq!(l["id"], id.as_str());
    assert_eq!(l["queue"], "pulp");
    assert_eq!(l["notifier_type_id"], "email");
    assert_eq!(l["event_types"], serde_json::json!(["repo.sync.start"]));
    assert_eq!(l["notifier_config"]["subject"], "pulp notification");
    assert_eq!(
        l["notifier_config"]["addresses"].as_array().unwrap().len(),
        2
    );
    let confirmed: Vec<bool> = l["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["confirmed"].as_bool().unwrap())
        .collect();
    assert_eq!(confirmed.iter().filter(|c| **c).count(), 1);
    let text = tidings(&app, &["listener", "list"]).await.ok();
    assert!(
        text.stdout.contains("  Unconfirmed: another@example.com\n"),
        "{}",
        text.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_listener_with_basic_auth_never_shows_the_password() {
    let app = app().await;
    let run = tidings(
        &app,
        &[
            "listener",
            "http",
            "create",
            "--queue",
            "pulp",
            "--event-type",
            "repo.sync.start",
            "--event-type",
            "repo.sync.finish",
            "--url",
            "https://hooks.example.com/pulp",
            "--username",
            "ops",
            "--password",
            "s3cret",
            "-o",
            "json",
        ],
    )
    .await
    .ok();
    let created = run.json();
    assert!(!run.stdout.contains("s3cret"), "{}", run.stdout);
    assert_eq!(created["notifier_type_id"], "http");
    assert_eq!(
        created["notifier_config"]["url"],
        "https://hooks.example.com/pulp"
    );
    assert_eq!(created["notifier_config"]["username"], "ops");
    let subs = subscriptions(&app, "pulp").await;
    assert_eq!(subs.len(), 1);
    assert_eq!(
        subs[0]["options"]["event_types"],
        serde_json::json!(["repo.sync.start", "repo.sync.finish"])
    );
    // Basic auth travels in the subscriber URI (masked or not, by the server).
    assert!(
        subs[0]["subscriber"]
            .as_str()
            .unwrap()
            .starts_with("https://ops:"),
        "{}",
        subs[0]["subscriber"]
    );

    let list = tidings(&app, &["listener", "list"]).await.ok();
    assert!(!list.stdout.contains("s3cret"), "{}", list.stdout);
    assert_eq!(
        list.lines()[1..],
        [
            format!("Id:                {}", created["id"].as_str().unwrap()).as_str(),
            "Notifier Config:",
            "  URL:      https://hooks.example.com/pulp",
            "  Username: ops",
            "Notifier Type Id:  http",
            "Queue:             pulp",
        ]
    );
    assert_eq!(
        list.lines()[0],
        "Event Types:       repo.sync.start, repo.sync.finish"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_every_subscription_of_the_listener_only() {
    let app = app().await;
    let email = tidings(
        &app,
        &[
            "listener",
            "email",
            "create",
            "--queue",
            "pulp",
            "--event-type",
            "*",
            "--subject",
            "s",
            "--addresses",
            "a@example.com,b@example.com",
            "-o",
            "value",
        ],
    )
    .await
    .ok()
    .stdout
    .trim()
    .to_string();
    let other = tidings(
        &app,
        &[
            "listener",
            "http",
            "create",
            "--queue",
            "builds",
            "--event-type",
            "*",
            "--url",
            "https://x.example.com/",
            "-o",
            "value",
        ],
    )
    .await
    .ok()
    .stdout
    .trim()
    .to_string();
    tidings(
        &app,
        &["subscription", "create", "pulp", "mailto:c@example.com"],
    )
    .await
    .ok();
    let ids = tidings(&app, &["listener", "list", "-o", "value"])
        .await
        .ok();
    let mut listed: Vec<&str> = ids.stdout.lines().collect();
    listed.sort();
    let mut want = vec![email.as_str(), other.as_str()];
    want.sort();
    assert_eq!(
        listed, want,
        "listeners across queues; plain subscriptions are not listeners"
    );

    let deleted = tidings(&app, &["listener", "delete", &email]).await.ok();
    assert_eq!(deleted.stdout, "Event listener successfully deleted\n");
    let left: Vec<String> = subscriptions(&app, "pulp")
        .await
        .iter()
        .map(|s| s["subscriber"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, ["mailto:c@example.com"]);
    assert_eq!(subscriptions(&app, "builds").await.len(), 1);

    let again = tidings(&app, &["listener", "delete", &email]).await;
    assert_eq!(again.code, 1);
    assert_eq!(
        again.stderr,
        format!("error: Not found: Event listener {email} does not exist (HTTP 404)\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_address_creates_nothing() {
    let app = app().await;
    tidings(
        &app,
        &["subscription", "create", "pulp", "mailto:b@example.com"],
    )
    .await
    .ok();
    let run = tidings(
        &app,
        &[
            "listener",
            "email",
            "create",
            "--queue",
            "pulp",
            "--event-type",
            "*",
            "--subject",
            "s",
            "--addresses",
            "a@example.com,b@example.com",
        ],
    )
    .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: mailto:b@example.com: nothing was created: Resource conflict: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("not part of a listener"),
        "{}",
        run.stderr
    );
    assert_eq!(
        subscriptions(&app, "pulp").await.len(),
        1,
        "a@example.com was not subscribed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_usage_errors_exit_2_and_send_nothing() {
    let app = app().await;
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "listener",
                "email",
                "create",
                "--queue",
                "q",
                "--subject",
                "s",
                "--addresses",
                "a@example.com",
            ],
            "--event-type",
        ),
        (
            &[
                "listener",
                "email",
                "create",
                "--queue",
                "q",
                "--event-type",
                "*",
                "--subject",
                "s",
                "--addresses",
                "a@example.com,not an address",
            ],
            "not an email address",
        ),
        (
            &[
                "listener",
                "email",
                "create",
                "--queue",
                "q",
                "--event-type",
                "*",
                "--subject",
                "s",
                "--addresses",
                "a@example.com,a@example.com",
            ],
            "listed twice",
        ),
        (
            &[
                "listener",
                "http",
                "create",
                "--queue",
                "q",
                "--event-type",
                "*",
                "--url",
                "ftp://x/",
            ],
            "http(s) URL",
        ),
        (
            &[
                "listener",
                "http",
                "create",
                "--queue",
                "q",
                "--event-type",
                "*",
                "--url",
                "https://x/",
                "--username",
                "u",
            ],
            "--password",
        ),
        (
            &[
                "listener",
                "amqp",
                "create",
                "--queue",
                "q",
                "--event-type",
                "*",
                "--url",
                "http://broker/",
            ],
            "amqp:// or amqps://",
        ),
    ];
    for (args, says) in cases {
        let run = tidings(&app, args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
    assert!(subscriptions(&app, "q").await.is_empty());
    let (_, queues) = app.get_json("/v2/queues").await;
    assert_eq!(queues["queues"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_listener_posts_event_reports_with_basic_auth() {
    use base64::Engine;
    let sink = crate::sink::HttpSink::start().await;
    let app = crate::helpers::spawn_with(crate::helpers::Backend::Sqlite, crate::helpers::env(&[]))
        .await
        .unwrap();
    tidings(
        &app,
        &[
            "listener",
            "http",
            "create",
            "--queue",
            "pulp",
            "--event-type",
            "*",
            "--url",
            &sink.url("/pulp"),
            "--username",
            "ops",
            "--password",
            "s3cret",
        ],
    )
    .await
    .ok();
    tidings(
        &app,
        &[
            "message",
            "post",
            "pulp",
            r#"{"event_type": "repo.sync.finish", "payload": {"repo_id": "pulp2"}}"#,
        ],
    )
    .await
    .ok();
    app.drain().await;
    let got = sink.wait_for(1, std::time::Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/pulp");
    let basic = base64::engine::general_purpose::STANDARD.encode("ops:s3cret");
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(got[0].json()["body"]["event_type"], "repo.sync.finish");
}
