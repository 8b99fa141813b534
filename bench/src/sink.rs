//! The in-process webhook sink. Every request to a path not starting with
//! `/__` is answered (200, or the code in `/status/<code>/...`) and counted:
//! the JSON body's `body.seq` and the last number in the path (`/s/<index>`)
//! form the key (index, seq); the sink counts unique keys and duplicates, and
//! `now - body.t_us` as the post-to-arrival latency.
//!
//! It must never be the bottleneck, hence actix-web and bookkeeping of one
//! mutex-guarded `HashSet<u64>` per request.
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::json;

use crate::clock::now_us;

#[derive(Default)]
pub struct SinkState {
    /// Only notifications for this queue are counted; stragglers of an
    /// earlier run (Zaqar retries for minutes) land in `strays`.
    queue: Option<String>,
    keys: Mutex<HashSet<u64>>,
    latencies_us: Mutex<Vec<u32>>,
    pub requests: AtomicU64,
    pub duplicates: AtomicU64,
    pub unparsed: AtomicU64,
    pub strays: AtomicU64,
    /// Wall-clock micros of the first and of the latest new key.
    pub first_us: AtomicU64,
    pub last_us: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub requests: u64,
    pub unique: u64,
    pub duplicates: u64,
    pub unparsed: u64,
    pub strays: u64,
    pub first_us: u64,
    pub last_us: u64,
}

#[derive(Deserialize)]
struct Notification {
    body: Option<Inner>,
    queue_name: Option<String>,
}

#[derive(Deserialize)]
struct Inner {
    seq: Option<u64>,
    t_us: Option<u64>,
}

impl SinkState {
    pub fn new(queue: Option<String>) -> Self {
        SinkState {
            queue,
            ..Default::default()
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let unique = self.keys.lock().map(|k| k.len() as u64).unwrap_or(0);
        Snapshot {
            requests: self.requests.load(Ordering::Relaxed),
            unique,
            duplicates: self.duplicates.load(Ordering::Relaxed),
            unparsed: self.unparsed.load(Ordering::Relaxed),
            strays: self.strays.load(Ordering::Relaxed),
            first_us: self.first_us.load(Ordering::Relaxed),
            last_us: self.last_us.load(Ordering::Relaxed),
        }
    }

    /// How many unique (index, seq) keys `pred` holds for (W8 counts the
    /// notifications that reached a subscription they were not for).
    pub fn count_keys(&self, pred: impl Fn(u32, u32) -> bool) -> u64 {
        self.keys
            .lock()
            .map(|keys| {
                keys.iter()
                    .filter(|k| pred((**k >> 32) as u32, (**k & 0xffff_ffff) as u32))
                    .count() as u64
            })
            .unwrap_or(0)
    }

    /// Takes the recorded post-to-arrival latencies.
    pub fn take_latencies(&self) -> Vec<u32> {
        self.latencies_us
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    /// Counts one notification; `index` comes from the path.
    pub fn record(&self, index: u32, body: &[u8]) {
        let now = now_us();
        self.requests.fetch_add(1, Ordering::Relaxed);
        let Ok(n) = serde_json::from_slice::<Notification>(body) else {
            self.unparsed.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if let (Some(want), Some(got)) = (&self.queue, &n.queue_name) {
            if want != got {
                self.strays.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        let Some(inner) = n.body else {
            self.unparsed.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let Some(seq) = inner.seq else {
            self.unparsed.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let key = (u64::from(index) << 32) | (seq & 0xffff_ffff);
        let fresh = self.keys.lock().map(|mut k| k.insert(key)).unwrap_or(false);
        if !fresh {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let _ = self
            .first_us
            .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
        self.last_us.fetch_max(now, Ordering::Relaxed);
        if let Some(t) = inner.t_us {
            let lat = now.saturating_sub(t).min(u64::from(u32::MAX)) as u32;
            if let Ok(mut v) = self.latencies_us.lock() {
                v.push(lat);
            }
        }
    }
}

/// The last all-digit segment of the path: `/s/17` -> 17.
fn path_index(path: &str) -> u32 {
    path.rsplit('/')
        .find_map(|seg| seg.parse::<u32>().ok())
        .unwrap_or(0)
}

/// `/status/503/...` -> 503.
fn path_status(path: &str) -> Option<StatusCode> {
    let code = path.strip_prefix("/status/")?.split('/').next()?;
    StatusCode::from_u16(code.parse().ok()?).ok()
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<SinkState>>,
) -> HttpResponse {
    let path = req.path();
    if path == "/__stats" {
        let s = state.snapshot();
        return HttpResponse::Ok().json(json!({
            "requests": s.requests, "unique": s.unique, "duplicates": s.duplicates,
            "unparsed": s.unparsed, "strays": s.strays,
        }));
    }
    if path.starts_with("/__") {
        return HttpResponse::NotFound().finish();
    }
    state.record(path_index(path), &body);
    match path_status(path) {
        Some(code) => HttpResponse::build(code).finish(),
        None => HttpResponse::Ok().finish(),
    }
}

pub struct Sink {
    pub state: Arc<SinkState>,
    handle: ServerHandle,
}

impl Sink {
    /// Starts the sink on `127.0.0.1:port`, counting notifications of `queue`.
    pub fn start(port: u16, queue: Option<String>, workers: usize) -> Result<Sink> {
        let state = Arc::new(SinkState::new(queue));
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
                .default_service(web::to(receive))
        })
        .workers(workers.max(1))
        .backlog(4096)
        .max_connection_rate(4096)
        .bind(("127.0.0.1", port))
        .with_context(|| format!("binding the webhook sink to 127.0.0.1:{port}"))?
        .disable_signals()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Sink { state, handle })
    }

    pub fn url(port: u16, index: usize) -> String {
        format!("http://127.0.0.1:{port}/s/{index}")
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// The sink on its own, for retry experiments (`/status/503/...`) and to
/// check that it outpaces any server: serves until Ctrl-C or `seconds`,
/// then reports what it counted.
pub async fn standalone(
    port: u16,
    workers: usize,
    seconds: Option<f64>,
) -> Result<serde_json::Value> {
    let sink = Sink::start(port, None, workers)?;
    crate::note!("webhook sink on http://127.0.0.1:{port}/s/<index>");
    let started = std::time::Instant::now();
    match seconds {
        Some(s) => tokio::time::sleep(std::time::Duration::from_secs_f64(s)).await,
        None => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let s = sink.state.snapshot();
    sink.stop().await;
    Ok(json!({
        "workload": "sink",
        "seconds": crate::stats::round3(elapsed),
        "requests": s.requests,
        "requests_per_s": crate::stats::round1(s.requests as f64 / elapsed),
        "unique": s.unique,
        "duplicates": s.duplicates,
        "unparsed": s.unparsed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_unique_and_duplicates() {
        let s = SinkState::new(Some("q".into()));
        let n = br#"{"body":{"seq":3,"t_us":1},"queue_name":"q","ttl":3600}"#;
        s.record(1, n);
        s.record(1, n);
        s.record(2, n);
        s.record(2, br#"{"body":{"seq":3},"queue_name":"other"}"#);
        s.record(2, b"not json");
        let snap = s.snapshot();
        assert_eq!(snap.requests, 5);
        assert_eq!(snap.unique, 2);
        assert_eq!(snap.duplicates, 1);
        assert_eq!(snap.strays, 1);
        assert_eq!(snap.unparsed, 1);
        assert_eq!(s.take_latencies().len(), 2);
        assert_eq!(s.count_keys(|index, seq| index == 2 && seq == 3), 1);
    }

    #[test]
    fn paths() {
        assert_eq!(path_index("/s/42"), 42);
        assert_eq!(path_index("/status/500/s/7"), 7);
        assert_eq!(
            path_status("/status/503/x"),
            Some(StatusCode::SERVICE_UNAVAILABLE)
        );
        assert_eq!(path_status("/s/1"), None);
    }
}
