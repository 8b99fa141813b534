//! `tidings routes QUEUE BODY_JSON`
use super::run::{app, tidings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_needs_a_json_body() {
    let app = app().await;
    let run = tidings(&app, &["routes", "orders", "{not json"]).await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not JSON"), "{}", run.stderr);
    let missing = tidings(&app, &["routes", "orders"]).await;
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("<BODY_JSON>"), "{}", missing.stderr);
}
