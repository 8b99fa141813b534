//! Experiment 1: the SMTP relay goes away during an email fan-out and
//! comes back. Every email arrives afterwards; the attempts show the
//! transient failures; an email is sent twice only if it was in flight at
//! the cut (the relay took it but the 250 never reached tidings).
use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::node::{fast_retries, free_port, Node};
use crate::report::{size, Outcome};
use crate::store::Store;
use crate::support::smtp_sink::{ReceivedMail, SmtpSink};

/// (recipient, message number) of an email, from its marker in the body.
fn key(mail: &ReceivedMail) -> Option<(String, u64)> {
    let at = mail.data.find("fault-mail-")?;
    let digits: String = mail.data[at + "fault-mail-".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((mail.rcpt_to.join(","), digits.parse().ok()?))
}

async fn smtp_relay_down_then_up(store: Store) {
    let (subscribers, messages) = size((20, 5), (100, 10));
    let down_for = size(Duration::from_secs(3), Duration::from_secs(60));
    let want = subscribers * messages;
    let sink = SmtpSink::start().await;
    let node = Node::start(
        &store.url,
        free_port(),
        &[
            ("TIDINGS_MAIL_URL", &sink.url()),
            ("TIDINGS_REQUIRE_CONFIRMATION", "none"),
        ],
        store.dir.path(),
    )
    .await;
    node.create_queue("mail", json!({"_retry_policy": fast_retries()}))
        .await;
    for s in 0..subscribers {
        node.subscribe("mail", &format!("mailto:r{s}@example.com"))
            .await;
    }
    let bodies: Vec<_> = (0..messages)
        .map(|m| json!(format!("fault-mail-{m}")))
        .collect();
    assert!(
        node.post("mail", &bodies).await,
        "the posts are acknowledged"
    );

    // Cut once a tenth has arrived: the fan-out is under way.
    sink.wait_for(want / 10, Duration::from_secs(60)).await;
    sink.stop();
    let cut = Instant::now();
    let before_cut = sink.messages().len();
    tokio::time::sleep(down_for).await;
    let failures_while_down = node.attempts("channel=\"email\"", true).await;
    sink.restart().await;
    let up = Instant::now();

    let deadline = up + Duration::from_secs(120);
    let mut first_at: HashMap<(String, u64), Instant> = HashMap::new();
    let arrivals = loop {
        first_at.clear();
        let all = sink.messages();
        for mail in &all {
            if let Some(k) = key(mail) {
                let at = first_at.entry(k).or_insert(mail.at);
                *at = (*at).min(mail.at);
            }
        }
        if first_at.len() >= want || Instant::now() > deadline {
            break all.len();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let last = first_at.values().max().copied().unwrap_or(up);
    // An email taken twice whose first copy the relay took just before the
    // cut was in flight there; any other second copy is a real duplicate.
    let mut copies: HashMap<(String, u64), Vec<Instant>> = HashMap::new();
    for mail in sink.messages() {
        if let Some(k) = key(&mail) {
            copies.entry(k).or_default().push(mail.at);
        }
    }
    let duplicated: usize = copies.values().map(|c| c.len() - 1).sum();
    let in_flight = copies
        .values()
        .filter(|c| c.len() > 1 && c.iter().min().is_some_and(|t| *t <= cut))
        .map(|c| c.len() - 1)
        .sum::<usize>();

    let mut outcome = Outcome::new("smtp_relay_down", store.backend.name());
    outcome.parameters = format!(
        "{subscribers} mailto subscribers x {messages} messages = {want} emails; \
         relay down {}s after {before_cut} arrived; retries every 1 s",
        down_for.as_secs()
    );
    outcome.acknowledged = want;
    outcome.arrived = first_at.len();
    outcome.lost = want.saturating_sub(first_at.len());
    outcome.duplicated = duplicated;
    outcome.recovered_after(last.saturating_duration_since(up));
    outcome.notes = format!(
        "{failures_while_down} failed email attempts while down; \
         {in_flight} duplicates in flight at the cut, {} others; {arrivals} emails in all",
        duplicated - in_flight
    );
    outcome.report();
    assert_eq!(
        outcome.lost, 0,
        "every email arrives after the relay is back"
    );
    assert!(failures_while_down > 0, "the attempts show the outage");
    assert_eq!(
        duplicated, in_flight,
        "only emails in flight at the cut are sent twice"
    );
}
crate::fault_test!(smtp_relay_down_then_up);
