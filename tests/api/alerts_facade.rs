//! The Providence notification-rule API (`/api/notificationRules`): the
//! seed's State Change table, seven rows by its three rule kinds, run
//! through the facade with real emails into an SMTP sink and a 2 s
//! interval on the test clock; every status code; bad input changing
//! nothing; several addresses; an inactive rule.
use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{env, spawn_with, Backend, TestApp};
use crate::smtp_sink::SmtpSink;

const RULES: &str = "/api/notificationRules";
const INTERVAL_SECS: i64 = 2;
const WAIT: Duration = Duration::from_secs(10);

fn rule(queue: &str, addresses: &str, states: Value, active: bool) -> Value {
    json!({
        "environmentSubscriptionId": queue,
        "levels": ["Environment", "Service", "Action", "Component"],
        "emailAddresses": addresses,
        "states": states,
        "notificationInterval": INTERVAL_SECS,
        "isActive": active
    })
}

/// A facade request: JSON body, the project header, no Client-ID.
async fn call(app: &TestApp, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
    let mut req = app
        .client
        .request(method, app.url(path))
        .header("X-Project-Id", crate::helpers::PROJECT);
    if let Some(body) = body {
        req = req
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Creates a rule and confirms each of its subscriptions as their owners
/// would; returns the rule.
async fn create_confirmed(app: &TestApp, body: &Value) -> Value {
    let (status, rule) = call(app, Method::POST, RULES, Some(body)).await;
    assert_eq!(status, 201, "{rule}");
    let queue = body["environmentSubscriptionId"].as_str().unwrap();
    for sub in rule["subscriptions"].as_array().unwrap() {
        assert_eq!(sub["status"], "pending", "{rule}");
        let resp = app
            .send_json(
                Method::PUT,
                &format!(
                    "/v2/queues/{queue}/subscriptions/{}/confirm",
                    sub["subscriptionId"].as_str().unwrap()
                ),
                &json!({"confirmed": true}),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 204);
    }
    rule
}

async fn report(app: &TestApp, queue: &str, element: &str, state: &str) {
    app.post_messages(
        queue,
        json!([{"body": {"element": element, "level": "Service", "parent": "shop", "state": state}}]),
    )
    .await;
}

/// Subjects received per recipient since `from`.
fn subjects(smtp: &SmtpSink, from: usize) -> Vec<(String, String)> {
    smtp.messages()[from..]
        .iter()
        .map(|m| (m.rcpt_to.join(","), m.header("Subject").unwrap_or_default()))
        .collect()
}

/// (row, then per rule kind [1], [2], [3]: every notification of the row,
/// and how many of them the row's last change sends: the table's entry).
type Cell = (&'static [&'static str], usize);
const TABLE: [(&str, Cell, Cell, Cell); 7] = [
    (
        "OK -> WARNING",
        (&["WARNING occurred"], 1),
        (&["WARNING occurred"], 1),
        (&[], 0),
    ),
    (
        "OK -> ERROR",
        (&["ERROR occurred"], 1),
        (&[], 0),
        (&["ERROR occurred"], 1),
    ),
    (
        "WARNING -> ERROR",
        (&["WARNING occurred", "ERROR occurred"], 1),
        (&["WARNING occurred"], 0),
        (&["ERROR occurred"], 1),
    ),
    (
        "WARNING -> ERROR -> WARNING",
        (&["WARNING occurred", "ERROR occurred", "ERROR resolved"], 1),
        (&["WARNING occurred"], 0),
        (&["ERROR occurred", "ERROR resolved"], 1),
    ),
    (
        "OK -> ERROR -> WARNING",
        (&["ERROR occurred", "ERROR resolved"], 1),
        (&["WARNING occurred"], 1),
        (&["ERROR occurred", "ERROR resolved"], 1),
    ),
    (
        "ERROR -> OK",
        (&["ERROR occurred", "ERROR resolved"], 1),
        (&[], 0),
        (&["ERROR occurred", "ERROR resolved"], 1),
    ),
    (
        "WARNING -> OK",
        (&["WARNING occurred", "WARNING resolved"], 1),
        (&["WARNING occurred", "WARNING resolved"], 1),
        (&[], 0),
    ),
];

async fn the_seed_table_through_the_facade(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let Some(app) = spawn_with(backend, env(&[("TIDINGS_MAIL_URL", &smtp.url())])).await else {
        return;
    };
    app.create_queue("XYZ").await;
    let kinds = [
        ("kind1@example.com", json!(["Warning", "Error"])),
        ("kind2@example.com", json!(["Warning"])),
        ("kind3@example.com", json!(["Error"])),
    ];
    for (address, states) in &kinds {
        create_confirmed(&app, &rule("XYZ", address, states.clone(), true)).await;
    }
    app.drain().await;
    assert_eq!(smtp.messages().len(), 3, "one confirmation per address");
    let mut failures = Vec::new();
    for (i, (row, one, two, three)) in TABLE.into_iter().enumerate() {
        let element = format!("shop/row{i}");
        let mut steps: Vec<Vec<(String, String)>> = Vec::new();
        for state in row.split("->").map(str::trim) {
            let before = smtp.messages().len();
            report(&app, "XYZ", &element, state).await;
            app.drain().await;
            // Held past the interval.
            app.clock.advance_secs(INTERVAL_SECS + 1);
            app.drain().await;
            steps.push(subjects(&smtp, before));
        }
        for ((address, _), (all, last)) in kinds.iter().zip([one, two, three]) {
            let mine = |step: &Vec<(String, String)>| -> Vec<String> {
                step.iter()
                    .filter(|(to, _)| to == address)
                    .map(|(_, s)| s.clone())
                    .collect()
            };
            let want: Vec<String> = all.iter().map(|s| format!("{s}: {element}")).collect();
            let every: Vec<String> = steps.iter().flat_map(mine).collect();
            let final_step = mine(steps.last().unwrap());
            if every != want || final_step[..] != want[want.len() - last..] {
                failures.push(format!(
                    "{row} for {address}: got {every:?} (last change {final_step:?}), want {want:?} (last {last})"
                ));
            }
        }
        // Nobody else got anything.
        let strangers: Vec<_> = steps
            .iter()
            .flatten()
            .filter(|(to, _)| !kinds.iter().any(|(a, _)| a == to))
            .collect();
        assert!(strangers.is_empty(), "{strangers:?}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
crate::backend_test!(the_seed_table_through_the_facade);

async fn rule_count(app: &TestApp) -> usize {
    call(app, Method::GET, RULES, None)
        .await
        .1
        .as_array()
        .unwrap()
        .len()
}

async fn every_status_code_and_bad_input(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let Some(app) = spawn_with(backend, env(&[("TIDINGS_MAIL_URL", &smtp.url())])).await else {
        return;
    };
    app.create_queue("XYZ").await;
    app.create_queue("other").await;
    let seed = json!({
        "environmentSubscriptionId": "XYZ",
        "levels": ["Environment", "Service", "Action", "Component"],
        "emailAddresses": "NotifyMeUser@example.com",
        "states": ["Error","Warning"],
        "notificationInterval": 120,
        "isActive": true
    });
    // 201, with the rule as sent (casing kept) and its id.
    let (status, created) = call(&app, Method::POST, RULES, Some(&seed)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    for key in [
        "environmentSubscriptionId",
        "levels",
        "emailAddresses",
        "states",
        "notificationInterval",
        "isActive",
    ] {
        assert_eq!(created[key], seed[key], "{key}");
    }
    assert_eq!(created["subscriptions"][0]["status"], "pending");
    assert_eq!(
        created["subscriptions"][0]["emailAddress"],
        "NotifyMeUser@example.com"
    );
    // 200: one and all.
    let (status, got) = call(&app, Method::GET, &format!("{RULES}/{id}"), None).await;
    assert_eq!((status, &got), (200, &created));
    let (status, all) = call(&app, Method::GET, RULES, None).await;
    assert_eq!((status, all), (200, json!([created])));
    // Another project sees none of it.
    let other = app
        .client
        .get(app.url(&format!("{RULES}/{id}")))
        .header("X-Project-Id", "someone-else")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 404);
    // 204: replaced, as sent.
    let mut changed = seed.clone();
    changed["states"] = json!(["Error"]);
    changed["emailAddresses"] = json!("NotifyMeUser@example.com; second@example.com");
    let (status, _) = call(&app, Method::PUT, &format!("{RULES}/{id}"), Some(&changed)).await;
    assert_eq!(status, 204);
    let (_, got) = call(&app, Method::GET, &format!("{RULES}/{id}"), None).await;
    assert_eq!(got["states"], json!(["Error"]));
    assert_eq!(got["subscriptions"].as_array().unwrap().len(), 2);
    // The kept address kept its subscription.
    assert_eq!(
        got["subscriptions"][0]["subscriptionId"],
        created["subscriptions"][0]["subscriptionId"]
    );

    // 400 and 404 on the URL.
    let unknown = uuid::Uuid::new_v4().to_string();
    for (method, path, body, want) in [
        (Method::GET, format!("{RULES}/not-a-uuid"), None, 400),
        (Method::PUT, format!("{RULES}/not-a-uuid"), Some(&seed), 400),
        (Method::DELETE, format!("{RULES}/not-a-uuid"), None, 400),
        (Method::GET, format!("{RULES}/{unknown}"), None, 404),
        (Method::PUT, format!("{RULES}/{unknown}"), Some(&seed), 404),
        (Method::DELETE, format!("{RULES}/{unknown}"), None, 404),
        (Method::PATCH, format!("{RULES}/{id}"), Some(&seed), 405),
    ] {
        let (status, err) = call(&app, method.clone(), &path, body).await;
        assert_eq!(status, want, "{method} {path}: {err}");
        if want != 405 {
            assert!(
                err["title"].is_string() && err["description"].is_string(),
                "{err}"
            );
        }
    }
    // No project header: 400.
    let resp = app.client.get(app.url(RULES)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 400);

    // Bad payloads: 400 with a JSON error, on POST and PUT, nothing changes.
    let with = |key: &str, value: Value| {
        let mut body = seed.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = seed.clone();
        body.as_object_mut().unwrap().remove(key);
        body
    };
    let mut bad = vec![
        (
            with("levels", json!(["Environment", "Galaxy"])),
            400,
            "unknown level \"galaxy\"",
        ),
        (
            with("states", json!(["Error", "Critical"])),
            400,
            "unknown state \"Critical\"",
        ),
        (
            with("emailAddresses", json!("NotifyMeUser@example.com; nope")),
            400,
            "not a valid email",
        ),
        (
            with("notificationInterval", json!(-120)),
            400,
            "between 0 and 86400",
        ),
        (with("notificationInterval", json!(1.5)), 400, "integer"),
        (with("isActive", json!("true")), 400, "true or false"),
        (json!([seed.clone()]), 400, "JSON object"),
        (
            with("environmentSubscriptionId", json!("missing")),
            404,
            "was not found",
        ),
    ];
    for key in [
        "environmentSubscriptionId",
        "levels",
        "emailAddresses",
        "states",
        "notificationInterval",
        "isActive",
    ] {
        bad.push((without(key), 400, "is required"));
    }
    let before = (
        app.row_counts().await,
        rule_count(&app).await,
        call(&app, Method::GET, &format!("{RULES}/{id}"), None).await,
    );
    for (body, want, why) in &bad {
        for (method, path) in [
            (Method::POST, RULES.to_string()),
            (Method::PUT, format!("{RULES}/{id}")),
        ] {
            let (status, err) = call(&app, method.clone(), &path, Some(body)).await;
            assert_eq!(status, *want, "{method} {body}: {err}");
            let description = err["description"].as_str().unwrap_or("");
            assert!(
                description.contains(why),
                "{body}: {description:?} should say {why:?}"
            );
        }
    }
    let resp = app
        .client
        .post(app.url(RULES))
        .header("X-Project-Id", crate::helpers::PROJECT)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let after = (
        app.row_counts().await,
        rule_count(&app).await,
        call(&app, Method::GET, &format!("{RULES}/{id}"), None).await,
    );
    assert_eq!(after, before, "a refused request changed something");

    // 202: deleted with its subscriptions; then 404.
    let (status, _) = call(&app, Method::DELETE, &format!("{RULES}/{id}"), None).await;
    assert_eq!(status, 202);
    let (status, _) = call(&app, Method::GET, &format!("{RULES}/{id}"), None).await;
    assert_eq!(status, 404);
    let (_, subs) = app.get_json("/v2/queues/XYZ/subscriptions").await;
    assert_eq!(subs["subscriptions"], json!([]), "{subs}");
    assert_eq!(rule_count(&app).await, 0);
}
crate::backend_test!(every_status_code_and_bad_input);

async fn several_addresses_and_an_inactive_rule(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let Some(app) = spawn_with(backend, env(&[("TIDINGS_MAIL_URL", &smtp.url())])).await else {
        return;
    };
    app.create_queue("XYZ").await;
    let active = create_confirmed(
        &app,
        &rule(
            "XYZ",
            "a@example.com, b@example.com;c@example.com",
            json!(["Error"]),
            true,
        ),
    )
    .await;
    assert_eq!(active["subscriptions"].as_array().unwrap().len(), 3);
    let inactive =
        create_confirmed(&app, &rule("XYZ", "a@example.com", json!(["Error"]), false)).await;
    app.drain().await;
    let confirmations = smtp.messages().len();
    assert_eq!(
        confirmations, 4,
        "each address confirms its own subscription"
    );
    report(&app, "XYZ", "shop/api", "error").await;
    app.drain().await;
    app.clock.advance_secs(INTERVAL_SECS + 1);
    app.drain().await;
    let mails = smtp.wait_for(confirmations + 3, WAIT).await;
    let mut got: HashMap<String, usize> = HashMap::new();
    for m in &mails[confirmations..] {
        assert_eq!(
            m.header("Subject").as_deref(),
            Some("ERROR occurred: shop/api")
        );
        *got.entry(m.rcpt_to.join(",")).or_default() += 1;
    }
    // a@ once: the inactive rule for the same address notifies nobody.
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.values().all(|n| *n == 1), "{got:?}");
    // The inactive rule is kept, and turning it on makes it notify.
    let id = inactive["id"].as_str().unwrap();
    let (status, kept) = call(&app, Method::GET, &format!("{RULES}/{id}"), None).await;
    assert_eq!((status, &kept["isActive"]), (200, &json!(false)));
    let (status, _) = call(
        &app,
        Method::PUT,
        &format!("{RULES}/{id}"),
        Some(&rule("XYZ", "a@example.com", json!(["Error"]), true)),
    )
    .await;
    assert_eq!(status, 204);
    report(&app, "XYZ", "shop/web", "error").await;
    app.drain().await;
    app.clock.advance_secs(INTERVAL_SECS + 1);
    app.drain().await;
    let mails = smtp.wait_for(confirmations + 7, WAIT).await;
    assert_eq!(
        mails.len(),
        confirmations + 7,
        "three addresses of the first rule, one of the second"
    );
}
crate::backend_test!(several_addresses_and_an_inactive_rule);

async fn no_confirmation_needed_when_the_server_says_so(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let Some(app) = spawn_with(
        backend,
        env(&[
            ("TIDINGS_MAIL_URL", &smtp.url()),
            ("TIDINGS_REQUIRE_CONFIRMATION", "none"),
        ]),
    )
    .await
    else {
        return;
    };
    app.create_queue("XYZ").await;
    let (status, created) = call(
        &app,
        Method::POST,
        RULES,
        Some(&rule("XYZ", "ops@example.com", json!(["Warning"]), true)),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["subscriptions"][0]["status"], "active");
    report(&app, "XYZ", "shop/api", "WARNING").await;
    app.drain().await;
    app.clock.advance_secs(INTERVAL_SECS + 1);
    app.drain().await;
    let mails = smtp.wait_for(1, WAIT).await;
    let subjects: Vec<_> = mails
        .iter()
        .map(|m| m.header("Subject").unwrap_or_default())
        .collect();
    assert_eq!(
        subjects,
        ["WARNING occurred: shop/api"],
        "no confirmation email first"
    );
}
crate::backend_test!(no_confirmation_needed_when_the_server_says_so);
