//! Message bodies encrypted at rest (`_enable_encrypt_messages`): the raw
//! database holds no plaintext body, reads and notifications decrypt, keys
//! rotate in batches, and a wrong key stops the start with a clear error.
use std::collections::HashMap;

use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::{env, spawn_on, spawn_with, Backend, TestApp};
use crate::sink::HttpSink;

const MARKER: &str = "plaintext-marker-7f3a9c";
const KEY_A: &str = "message key A long enough to be one 0123456789";
const KEY_B: &str = "message key B long enough to be one 9876543210";

fn keys(current: &str, old: Option<&str>) -> HashMap<String, String> {
    let mut pairs = vec![("TIDINGS_MESSAGE_KEY", current)];
    if let Some(old) = old {
        pairs.push(("TIDINGS_MESSAGE_OLD_KEYS", old));
    }
    env(&pairs)
}

async fn create_queue(app: &TestApp, queue: &str, metadata: Value) {
    let resp = app
        .send_json(Method::PUT, &format!("/v2/queues/{queue}"), &metadata)
        .await;
    assert_eq!(resp.status().as_u16(), 201, "{queue}");
}

async fn raw_rows(app: &TestApp, sql: &str) -> Vec<(String, Option<String>)> {
    let db = &app.state.db;
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get::<String>("", "text").unwrap(),
                r.try_get::<Option<String>>("", "key_id").unwrap(),
            )
        })
        .collect()
}

/// Every byte SQLite has on disk for the database (main file and WAL).
fn sqlite_file_bytes(app: &TestApp) -> Vec<u8> {
    let path = app
        .database_url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let mut bytes = std::fs::read(&path).unwrap();
    for suffix in ["-wal", "-journal"] {
        if let Ok(more) = std::fs::read(format!("{path}{suffix}")) {
            bytes.extend(more);
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A queue with `_enable_encrypt_messages` stores sealed bodies and sealed
/// fan-out payloads; the API, claims and the webhook see the plaintext; a
/// queue without it stores bodies as they are.
async fn bodies_are_sealed_at_rest(backend: Backend) {
    let sink = HttpSink::start().await;
    let app = spawn_with(backend, keys(KEY_A, None)).await.unwrap();
    create_queue(&app, "vault", json!({"_enable_encrypt_messages": true})).await;
    create_queue(&app, "open", json!({})).await;
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/vault/subscriptions",
            &json!({"subscriber": sink.url("/vault"), "ttl": 3600}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let ids = app
        .post_messages("vault", json!([{"body": {"secret": MARKER}, "ttl": 300}]))
        .await;
    app.post_messages("open", json!([{"body": {"visible": "in-the-clear-5b1e"}}]))
        .await;

    let messages = raw_rows(
        &app,
        "SELECT body AS text, key_id FROM messages WHERE queue = 'vault'",
    )
    .await;
    assert_eq!(messages.len(), 1);
    assert!(!messages[0].0.contains(MARKER), "{:?}", messages[0]);
    assert_eq!(
        messages[0].1.as_deref(),
        Some(app.state.keys.current_id()),
        "the key id is stored with the row"
    );
    let fanouts = raw_rows(&app, "SELECT payload AS text, key_id FROM fanouts").await;
    assert_eq!(fanouts.len(), 1);
    assert!(!fanouts[0].0.contains(MARKER));
    assert!(fanouts[0].1.is_some());
    let open = raw_rows(
        &app,
        "SELECT body AS text, key_id FROM messages WHERE queue = 'open'",
    )
    .await;
    assert!(open[0].0.contains("in-the-clear-5b1e") && open[0].1.is_none());

    // Reads decrypt.
    let (status, one) = app
        .get_json(&format!("/v2/queues/vault/messages/{}", ids[0]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["body"], json!({"secret": MARKER}));
    let resp = app
        .send_json(
            Method::POST,
            "/v2/queues/vault/claims",
            &json!({"ttl": 60, "grace": 60}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let claimed: Value = resp.json().await.unwrap();
    assert_eq!(claimed["messages"][0]["body"], json!({"secret": MARKER}));
    // Notifications decrypt.
    assert_eq!(app.drain().await, 1);
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["body"], json!({"secret": MARKER}));

    // The database as a dump would show it.
    match backend {
        Backend::Sqlite => {
            let bytes = sqlite_file_bytes(&app);
            assert!(contains(&bytes, "in-the-clear-5b1e"), "the file is read");
            assert!(
                !contains(&bytes, MARKER),
                "no plaintext body in the SQLite file"
            );
        }
        Backend::Postgres => {
            let rows = raw_rows(
                &app,
                "SELECT CAST(m.body AS TEXT) || ' ' || CAST(f.payload AS TEXT) AS text, m.key_id FROM messages m, fanouts f WHERE m.queue = 'vault'",
            )
            .await;
            assert!(
                !rows[0].0.contains(MARKER),
                "no plaintext body in the PostgreSQL rows"
            );
        }
        Backend::Mysql => {
            let rows = raw_rows(
                &app,
                "SELECT CONCAT(m.body, ' ', f.payload) AS text, m.key_id FROM messages m, fanouts f WHERE m.queue = 'vault'",
            )
            .await;
            assert!(
                !rows[0].0.contains(MARKER),
                "no plaintext body in the MariaDB rows"
            );
        }
    }
}
backend_test!(bodies_are_sealed_at_rest);

/// A new key seals new messages while the old one still opens old ones;
/// rotation re-seals in bounded batches; afterwards the old key can go.
async fn rotation_re_encrypts_in_batches(backend: Backend) {
    let first = spawn_with(backend, keys(KEY_A, None)).await.unwrap();
    create_queue(&first, "vault", json!({"_enable_encrypt_messages": true})).await;
    let old_ids = first
        .post_messages(
            "vault",
            json!((0..7)
                .map(|i| json!({"body": {"n": i}}))
                .collect::<Vec<_>>()),
        )
        .await;
    let old_key_id = first.state.keys.current_id().to_string();

    // Restart with the new key, the old one kept readable.
    let second = spawn_on(backend, &first.database_url, keys(KEY_B, Some(KEY_A))).await;
    let new_key_id = second.state.keys.current_id().to_string();
    assert_ne!(new_key_id, old_key_id);
    let new_ids = second
        .post_messages("vault", json!([{"body": {"n": "new"}}]))
        .await;
    let (_, old) = second
        .get_json(&format!("/v2/queues/vault/messages/{}", old_ids[3]))
        .await;
    assert_eq!(old["body"], json!({"n": 3}), "the old key still opens");
    let stored = raw_rows(
        &second,
        "SELECT body AS text, key_id FROM messages ORDER BY seq",
    )
    .await;
    let by_key = |key: &str| {
        stored
            .iter()
            .filter(|r| r.1.as_deref() == Some(key))
            .count()
    };
    assert_eq!((by_key(&old_key_id), by_key(&new_key_id)), (7, 1));

    let done = tidings::service::message_keys::rotate(&second.state.db, &second.state.keys, 3)
        .await
        .unwrap();
    assert_eq!(done.messages, 7);
    // 7 rows in batches of 3, and one empty look per table.
    assert_eq!(done.batches, 3);
    let stored = raw_rows(&second, "SELECT body AS text, key_id FROM messages").await;
    assert!(stored
        .iter()
        .all(|r| r.1.as_deref() == Some(new_key_id.as_str())));
    // Running it again finds nothing to do.
    let again = tidings::service::message_keys::rotate(&second.state.db, &second.state.keys, 3)
        .await
        .unwrap();
    assert_eq!(again.messages, 0);

    // Without the old key now: it starts, and everything reads.
    let third = spawn_on(backend, &first.database_url, keys(KEY_B, None)).await;
    for id in old_ids.iter().chain(&new_ids) {
        let (status, m) = third
            .get_json(&format!("/v2/queues/vault/messages/{id}"))
            .await;
        assert_eq!(status, 200);
        assert!(!m["body"].is_null(), "{m}");
    }
}
backend_test!(rotation_re_encrypts_in_batches);

/// A key that opens none of the stored rows (or no key, where one was
/// used) stops the start with an error naming the setting and the key ids,
/// never the key, instead of serving garbage.
async fn a_wrong_or_missing_key_is_a_startup_error(backend: Backend) {
    let first = spawn_with(backend, keys(KEY_A, None)).await.unwrap();
    create_queue(&first, "vault", json!({"_enable_encrypt_messages": true})).await;
    first
        .post_messages("vault", json!([{"body": {"secret": MARKER}}]))
        .await;
    let key_id = first.state.keys.current_id().to_string();
    for extra in [keys(KEY_B, None), HashMap::new()] {
        let mut vars: HashMap<String, String> = HashMap::new();
        vars.insert("TIDINGS_BIND".into(), "127.0.0.1:0".into());
        vars.insert("TIDINGS_DATABASE_URL".into(), first.database_url.clone());
        vars.insert("TIDINGS_LOG".into(), "warn".into());
        vars.extend(extra);
        let settings = tidings::config::Settings::from_env_map(&vars).unwrap();
        let err = match tidings::startup::Application::build(
            settings,
            tidings::startup::BuildOptions::default(),
        )
        .await
        {
            Ok(_) => panic!("started with a key that opens nothing"),
            Err(err) => format!("{err:#}"),
        };
        assert!(err.contains("TIDINGS_MESSAGE_KEY"), "{err}");
        assert!(err.contains(&key_id), "{err}");
        assert!(!err.contains(KEY_A) && !err.contains(KEY_B), "{err}");
    }
}
backend_test!(a_wrong_or_missing_key_is_a_startup_error);

/// A topic that sets `_enable_encrypt_messages` seals its messages too.
async fn topic_bodies_are_sealed(backend: Backend) {
    let app = spawn_with(backend, keys(KEY_A, None)).await.unwrap();
    let resp = app
        .send_json(
            Method::PUT,
            "/v2/topics/alerts",
            &json!({"_enable_encrypt_messages": true}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let resp = app
        .send_json(
            Method::POST,
            "/v2/topics/alerts/messages",
            &json!({"messages": [{"body": {"secret": MARKER}}]}),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 201);
    let posted: Value = resp.json().await.unwrap();
    let href = posted["resources"][0].as_str().unwrap().to_string();
    let stored = raw_rows(&app, "SELECT body AS text, key_id FROM messages").await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].0.contains(MARKER) && stored[0].1.is_some());
    let (status, one) = app.get_json(&href).await;
    assert_eq!(status, 200);
    assert_eq!(one["body"], json!({"secret": MARKER}));
}
backend_test!(topic_bodies_are_sealed);
