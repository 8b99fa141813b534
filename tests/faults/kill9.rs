//! Experiment 5: `kill -9` of `tidings serve` at random moments of a mixed
//! load (posts, subscriptions created and deleted, deliveries, emailed
//! confirmations), several rounds, each followed by a restart on the same
//! database. Nothing acknowledged may be lost; duplicates are counted.
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::json;

use crate::node::{fast_retries, free_port, Node, PROJECT};
use crate::report::{size, Outcome};
use crate::sink::HttpSink;
use crate::store::Store;

#[derive(Default)]
struct Owed {
    /// Message numbers whose post got a 201.
    messages: HashSet<u64>,
    /// Addresses whose pending subscription got a 201 (each is owed a
    /// confirmation email).
    confirmations: HashSet<String>,
    posts_refused: usize,
}

/// Posts, subscribes and unsubscribes against the node on `port` until
/// `stop`, recording what was acknowledged.
async fn load(port: u16, stable: String, owed: Arc<Mutex<Owed>>, stop: Arc<AtomicBool>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let base = format!("http://127.0.0.1:{port}");
    let req = |method: reqwest::Method, path: &str| {
        client
            .request(method, format!("{base}{path}"))
            .header("Client-ID", "3381af922b9e11e3b19171861300734c")
            .header("X-Project-ID", PROJECT)
            .header("Content-Type", "application/json")
    };
    let mut next = 0u64;
    let mut round = 0u64;
    while !stop.load(Ordering::SeqCst) {
        round += 1;
        let batch: Vec<u64> = (next..next + 5).collect();
        next += 5;
        let messages: Vec<_> = batch
            .iter()
            .map(|n| json!({"body": {"seq": n}, "ttl": 86400}))
            .collect();
        let posted = req(reqwest::Method::POST, "/v2/queues/mixed/messages")
            .body(json!({ "messages": messages }).to_string())
            .send()
            .await;
        match posted {
            Ok(r) if r.status().as_u16() == 201 => {
                owed.lock().unwrap().messages.extend(batch);
            }
            _ => owed.lock().unwrap().posts_refused += 1,
        }
        // A pending mailto subscription (a confirmation email is owed) and
        // a webhook subscription created and deleted again.
        if round.is_multiple_of(3) {
            let address = format!("c{round}@example.com");
            let r = req(reqwest::Method::POST, "/v2/queues/mixed/subscriptions")
                .body(json!({"subscriber": format!("mailto:{address}"), "ttl": 86400}).to_string())
                .send()
                .await;
            if matches!(&r, Ok(r) if r.status().as_u16() == 201) {
                owed.lock().unwrap().confirmations.insert(address);
            }
            let churn = format!("{stable}/churn{round}");
            if let Ok(r) = req(reqwest::Method::POST, "/v2/queues/mixed/subscriptions")
                .body(json!({"subscriber": churn, "ttl": 86400}).to_string())
                .send()
                .await
            {
                if let Ok(body) = r.json::<serde_json::Value>().await {
                    if let Some(id) = body["subscription_id"].as_str() {
                        let _ = req(
                            reqwest::Method::DELETE,
                            &format!("/v2/queues/mixed/subscriptions/{id}"),
                        )
                        .send()
                        .await;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Recipients of the confirmation emails the file transport wrote.
fn confirmation_recipients(dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .filter_map(|text| {
            let to = text.lines().find(|l| l.starts_with("To:"))?;
            let address = to.trim_start_matches("To:").trim();
            Some(address.trim_matches(|c| c == '<' || c == '>').to_string())
        })
        .collect()
}

async fn repeated_kill_9_under_mixed_load(store: Store) {
    let (subscribers, rounds) = size((5, 3), (20, 20));
    let sink = HttpSink::start().await;
    let mail_dir = store.dir.path().join("mail");
    let mail_url = format!("file:{}", mail_dir.display());
    let port = free_port();
    let mut node = Node::start(
        &store.url,
        port,
        &[
            ("TIDINGS_MAIL_URL", &mail_url),
            ("TIDINGS_DELIVERY_LEASE_SECS", "3"),
        ],
        store.dir.path(),
    )
    .await;
    node.create_queue("mixed", json!({"_retry_policy": fast_retries()}))
        .await;
    for s in 0..subscribers {
        node.subscribe("mixed", &sink.url(&format!("/s{s}"))).await;
    }
    let owed = Arc::new(Mutex::new(Owed::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let loader = tokio::spawn(load(
        port,
        format!("http://127.0.0.1:{}", sink.port),
        owed.clone(),
        stop.clone(),
    ));
    for _ in 0..rounds {
        let wait = rand::thread_rng().gen_range(300..1500);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        node.kill();
        node.restart().await;
    }
    let last_restart = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    loader.await.expect("the load ends");

    let (messages, confirmations, refused) = {
        let owed = owed.lock().unwrap();
        (
            owed.messages.clone(),
            owed.confirmations.clone(),
            owed.posts_refused,
        )
    };
    let want = messages.len() * subscribers;
    let deadline = Instant::now() + Duration::from_secs(120);
    let (unique, arrivals, last_at) = loop {
        let mut first: HashMap<(String, u64), Instant> = HashMap::new();
        let mut arrivals = 0;
        for r in sink.received() {
            if !r.path.starts_with("/s") {
                continue;
            }
            let seq = r.json()["body"]["seq"].as_u64().expect("seq");
            if messages.contains(&seq) {
                arrivals += 1;
                let at = first.entry((r.path.clone(), seq)).or_insert(r.at);
                *at = (*at).min(r.at);
            }
        }
        let mailed: HashSet<String> = confirmation_recipients(&mail_dir).into_iter().collect();
        let done = first.len() >= want && confirmations.is_subset(&mailed);
        if done || Instant::now() > deadline {
            break (first.len(), arrivals, first.values().max().copied());
        }
        sink.wait_for(sink.received().len() + 1, Duration::from_millis(500))
            .await;
    };
    let mailed = confirmation_recipients(&mail_dir);
    let mailed_unique: HashSet<&String> = mailed.iter().collect();
    let confirmations_lost = confirmations
        .iter()
        .filter(|a| !mailed_unique.contains(a))
        .count();

    let mut outcome = Outcome::new("kill_9", store.backend.name());
    outcome.parameters = format!(
        "{rounds} rounds of kill -9 + restart at 0.3-1.5 s intervals under posts of 5 \
         messages to {subscribers} webhooks, a pending mailto subscription and a webhook \
         subscription created and deleted every third post; lease 3 s"
    );
    outcome.acknowledged = want + confirmations.len();
    outcome.arrived = unique + confirmations.len() - confirmations_lost;
    outcome.lost = want.saturating_sub(unique) + confirmations_lost;
    outcome.duplicated = arrivals - unique + (mailed.len() - mailed_unique.len());
    outcome.recovered_after(last_at.map_or(Duration::ZERO, |t| {
        t.saturating_duration_since(last_restart)
    }));
    outcome.notes = format!(
        "{} messages acknowledged ({want} deliveries), {} confirmations owed; \
         {} duplicate webhook deliveries, {} duplicate confirmation emails; \
         {refused} posts refused or cut while down (not acknowledged, not owed)",
        messages.len(),
        confirmations.len(),
        arrivals - unique,
        mailed.len() - mailed_unique.len()
    );
    outcome.report();
    assert_eq!(outcome.lost, 0, "nothing acknowledged is lost");
}
crate::fault_test!(repeated_kill_9_under_mixed_load);
