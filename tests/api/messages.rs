use serde_json::json;

use crate::db_test;
use crate::helpers::TestApp;

async fn post_list_and_expire(app: TestApp) {
    let ids = app
        .post_messages("q", json!([{"body": {"e": 1}, "ttl": 60}, {"body": "x"}]))
        .await;
    assert_eq!(ids.len(), 2);
    let (status, listed) = app.get_json("/v2/queues/q/messages?echo=true").await;
    assert_eq!(status, 200);
    assert_eq!(listed["messages"].as_array().unwrap().len(), 2);
    // Without echo, a client does not see its own messages.
    let (_, own) = app.get_json("/v2/queues/q/messages").await;
    assert_eq!(own["messages"], json!([]));
    // The 60 s message expires; the 3600 s one stays.
    app.clock.advance_secs(61);
    let (_, later) = app.get_json("/v2/queues/q/messages?echo=true").await;
    let left = later["messages"].as_array().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["body"], "x");
}
db_test!(post_list_and_expire);
