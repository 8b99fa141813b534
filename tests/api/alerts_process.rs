//! A pending "occurred" across a SIGKILL of the real `tidings serve`: the
//! restarted process sends it once, when the interval ends (real time,
//! a 3 s interval), never before and never twice.
use std::time::{Duration, Instant};

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::helpers::pg_databases::TestDatabase;
use crate::helpers::{postgres_configured, server_url, Backend};
use crate::process::Server;
use crate::sink::HttpSink;

const INTERVAL: Duration = Duration::from_secs(3);

async fn pending_alert_deliveries(db: &sea_orm::DatabaseConnection) -> i64 {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM deliveries WHERE kind = 'alert' AND status = 'pending'"
                .to_string(),
        ))
        .await
        .ok()
        .flatten();
    row.and_then(|r| r.try_get::<i64>("", "n").ok())
        .unwrap_or(0)
}

async fn sigkill_with_an_occurrence_pending(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    // Dropped when the test ends, pass or fail.
    let mut _database = None;
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}/alerts.db?mode=rwc", dir.path().display()),
        Backend::Postgres | Backend::Mysql => {
            let admin = server_url(backend).unwrap_or_default();
            let database = TestDatabase::create(&admin).await;
            let url = database.url.clone();
            _database = Some(database);
            url
        }
    };
    let sink = HttpSink::start().await;
    let mut first = Server::start(&url).await;
    let resp = first
        .req(Method::POST, "/v2/queues/shop/subscriptions")
        .body(
            json!({"subscriber": sink.url("/hook"), "ttl": 3600,
                   "options": {"alert": {"states": ["error"], "interval": INTERVAL.as_secs()}}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let posted = Instant::now();
    let resp = first
        .req(Method::POST, "/v2/queues/shop/messages")
        .body(json!({"messages": [{"body": {"element": "shop/api", "level": "service", "state": "error"}}]}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    // Kill once the occurrence is pending in the database.
    let db = Database::connect(&url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while pending_alert_deliveries(&db).await == 0 {
        assert!(Instant::now() < deadline, "the report was never fanned out");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill();
    assert!(
        posted.elapsed() < INTERVAL,
        "the kill came too late to test anything"
    );
    assert!(sink.received().is_empty());

    let _second = Server::start(&url).await;
    let got = sink.wait_for(1, Duration::from_secs(20)).await;
    let arrived = posted.elapsed();
    assert_eq!(got.len(), 1, "the pending occurrence was forgotten");
    assert!(arrived >= INTERVAL, "sent early: {arrived:?}");
    assert!(
        arrived < INTERVAL + Duration::from_secs(10),
        "sent late: {arrived:?}"
    );
    assert_eq!(got[0].json()["alert"]["kind"], "occurred");
    // Never a second time.
    let again = sink.wait_for(2, Duration::from_secs(2)).await;
    assert_eq!(again.len(), 1, "sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_with_an_occurrence_pending_sqlite() {
    sigkill_with_an_occurrence_pending(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_with_an_occurrence_pending_postgres() {
    if postgres_configured() {
        sigkill_with_an_occurrence_pending(Backend::Postgres).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_with_an_occurrence_pending_mysql() {
    if server_url(Backend::Mysql).is_some() {
        sigkill_with_an_occurrence_pending(Backend::Mysql).await;
    }
}
