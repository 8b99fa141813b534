//! The W1/W4 load engine: `concurrency` tasks, one TCP connection each,
//! single-message POSTs as fast as answers come back (closed loop), or at a
//! fixed total rate (open loop, `rate`).
//!
//! Every body carries a unique `seq` and the send time `t_us`, so a webhook
//! sink behind the server can match arrivals to posts and time them.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock::now_us;
use crate::http_client::{Conn, ErrorKind};
use crate::target::Target;

#[derive(Debug, Clone)]
pub struct LoadSpec {
    pub target: Target,
    /// Request path, e.g. `/v2/queues/q/messages`.
    pub path: String,
    pub client_id: String,
    pub project: String,
    pub concurrency: usize,
    pub duration: Duration,
    /// Requests before the measured window starts are sent, not counted.
    pub warmup: Duration,
    /// `Connection: close` on every request: one TCP connection each.
    pub close: bool,
    pub body_bytes: usize,
    /// Requests per second in total; `None` for closed loop.
    pub rate: Option<f64>,
    pub timeout: Duration,
}

#[derive(Debug, Default, Clone)]
pub struct Errors {
    pub connect: u64,
    pub read: u64,
    pub write: u64,
    pub timeout: u64,
}

impl Errors {
    fn add(&mut self, kind: ErrorKind) {
        match kind {
            ErrorKind::Connect => self.connect += 1,
            ErrorKind::Read => self.read += 1,
            ErrorKind::Write => self.write += 1,
            ErrorKind::Timeout => self.timeout += 1,
        }
    }

    fn merge(&mut self, o: &Errors) {
        self.connect += o.connect;
        self.read += o.read;
        self.write += o.write;
        self.timeout += o.timeout;
    }

    pub fn total(&self) -> u64 {
        self.connect + self.read + self.write + self.timeout
    }
}

#[derive(Debug, Default)]
pub struct LoadResult {
    /// Counted in the measured window only.
    pub requests: u64,
    pub ok_2xx: u64,
    pub non_2xx: u64,
    pub errors: Errors,
    pub latencies_us: Vec<u32>,
    /// How late open-loop sends were against their schedule.
    pub send_lag_us: Vec<u32>,
    /// 2xx answers including warmup: what a sink should eventually receive.
    pub ok_all: u64,
    pub first_non_2xx: Option<String>,
    pub measured_s: f64,
}

/// `{"messages":[{"ttl":3600,"body":{"seq":..,"t_us":..,"pad":".."}}]}`
/// padded so the whole body is about `body_bytes` long.
pub struct BodyMaker {
    pad: String,
}

impl BodyMaker {
    pub fn new(body_bytes: usize) -> Self {
        // Sized with a typical 16-digit timestamp and a 6-digit seq.
        let base = Self::render(123_456, 1_700_000_000_000_000, "").len();
        BodyMaker {
            pad: "x".repeat(body_bytes.saturating_sub(base)),
        }
    }

    fn render(seq: u64, t_us: u64, pad: &str) -> String {
        format!(
            r#"{{"messages":[{{"ttl":3600,"body":{{"seq":{seq},"t_us":{t_us},"pad":"{pad}"}}}}]}}"#
        )
    }

    #[cfg(test)]
    pub fn body(&self, seq: u64, t_us: u64) -> String {
        Self::render(seq, t_us, &self.pad)
    }

    /// The same as `body`, written into a reused buffer: the load loop must
    /// cost as little as possible, since it shares the cores with the server.
    pub fn write_body(&self, out: &mut Vec<u8>, seq: u64, t_us: u64) {
        use std::io::Write;
        out.clear();
        let _ = write!(
            out,
            r#"{{"messages":[{{"ttl":3600,"body":{{"seq":{seq},"t_us":{t_us},"pad":"{}"}}}}]}}"#,
            self.pad
        );
    }
}

struct Shared {
    spec: LoadSpec,
    headers: String,
    bodies: BodyMaker,
    seq: AtomicU64,
    tickets: AtomicU64,
    start: Instant,
    measure_from: Instant,
    end: Instant,
}

pub async fn run(spec: LoadSpec) -> LoadResult {
    let mut headers = format!(
        "Client-ID: {}\r\nX-Project-Id: {}\r\nContent-Type: application/json\r\n",
        spec.client_id, spec.project
    );
    if spec.close {
        headers.push_str("Connection: close\r\n");
    }
    let start = Instant::now();
    let measure_from = start + spec.warmup;
    let shared = Arc::new(Shared {
        headers,
        bodies: BodyMaker::new(spec.body_bytes),
        seq: AtomicU64::new(0),
        tickets: AtomicU64::new(0),
        start,
        measure_from,
        end: measure_from + spec.duration,
        spec,
    });
    let tasks: Vec<_> = (0..shared.spec.concurrency.max(1))
        .map(|_| tokio::spawn(worker(shared.clone())))
        .collect();
    let mut total = LoadResult::default();
    for t in tasks {
        if let Ok(r) = t.await {
            total.requests += r.requests;
            total.ok_2xx += r.ok_2xx;
            total.non_2xx += r.non_2xx;
            total.ok_all += r.ok_all;
            total.errors.merge(&r.errors);
            total.latencies_us.extend(r.latencies_us);
            total.send_lag_us.extend(r.send_lag_us);
            if total.first_non_2xx.is_none() {
                total.first_non_2xx = r.first_non_2xx;
            }
        }
    }
    total.measured_s = shared.spec.duration.as_secs_f64();
    total
}

fn micros(d: Duration) -> u32 {
    d.as_micros().min(u128::from(u32::MAX)) as u32
}

async fn worker(sh: Arc<Shared>) -> LoadResult {
    use std::io::Write;
    let mut out = LoadResult::default();
    let mut conn: Option<Conn> = None;
    // Everything of the request but Content-Length and the body.
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\n{}",
        sh.spec.path, sh.spec.target.host, sh.headers
    )
    .into_bytes();
    let mut body = Vec::with_capacity(sh.spec.body_bytes + 128);
    let mut wire = Vec::with_capacity(head.len() + sh.spec.body_bytes + 160);
    let total_tickets = sh
        .spec
        .rate
        .map(|r| (r * (sh.spec.warmup + sh.spec.duration).as_secs_f64()).round() as u64);
    loop {
        // When the request starts counting: its schedule slot in open loop
        // (so a stalled server cannot hide the wait it caused), now otherwise.
        let began = if let (Some(rate), Some(total)) = (sh.spec.rate, total_tickets) {
            let ticket = sh.tickets.fetch_add(1, Ordering::Relaxed);
            if ticket >= total {
                break;
            }
            let due = sh.start + Duration::from_secs_f64(ticket as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
            let now = Instant::now();
            if due >= sh.measure_from {
                out.send_lag_us
                    .push(micros(now.saturating_duration_since(due)));
            }
            due
        } else {
            let now = Instant::now();
            if now >= sh.end {
                break;
            }
            now
        };
        let measured = began >= sh.measure_from;
        let c = match conn.take() {
            Some(c) => c,
            None => match Conn::connect(sh.spec.target.addr, sh.spec.timeout).await {
                Ok(c) => c,
                Err(e) => {
                    if measured {
                        out.errors.add(e.kind);
                    }
                    // Do not spin on a refused port.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let mut c = c;
        let seq = sh.seq.fetch_add(1, Ordering::Relaxed);
        sh.bodies.write_body(&mut body, seq, now_us());
        wire.clear();
        wire.extend_from_slice(&head);
        let _ = write!(wire, "Content-Length: {}\r\n\r\n", body.len());
        wire.extend_from_slice(&body);
        let result = c.roundtrip(&wire, false, sh.spec.timeout).await;
        let done = Instant::now();
        // Answers after the window closes are not counted, as with wrk.
        let counted = measured && done <= sh.end + Duration::from_millis(1);
        match result {
            Ok(resp) => {
                let ok = (200..300).contains(&resp.status);
                if ok {
                    out.ok_all += 1;
                }
                if counted {
                    out.requests += 1;
                    out.latencies_us.push(micros(done - began));
                    if ok {
                        out.ok_2xx += 1;
                    } else {
                        out.non_2xx += 1;
                        if out.first_non_2xx.is_none() {
                            out.first_non_2xx = Some(format!(
                                "{} {}",
                                resp.status,
                                String::from_utf8_lossy(&resp.body)
                                    .chars()
                                    .take(200)
                                    .collect::<String>()
                            ));
                        }
                    }
                }
                if resp.keep_alive && !sh.spec.close {
                    conn = Some(c);
                }
            }
            Err(e) => {
                if counted {
                    out.errors.add(e.kind);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_body_equals_rendered_body() {
        let m = BodyMaker::new(300);
        let mut out = b"stale".to_vec();
        m.write_body(&mut out, 42, 1_700_000_000_000_000);
        assert_eq!(out, m.body(42, 1_700_000_000_000_000).into_bytes());
    }

    #[test]
    fn body_is_about_the_asked_size_and_valid_json() {
        let m = BodyMaker::new(1024);
        let b = m.body(7, 1_700_000_000_000_123);
        assert!((1000..1050).contains(&b.len()), "{}", b.len());
        let v: serde_json::Value = serde_json::from_str(&b).unwrap();
        assert_eq!(v["messages"][0]["body"]["seq"], 7);
        assert!(BodyMaker::new(0).body(1, 2).contains("\"pad\":\"\""));
    }
}
