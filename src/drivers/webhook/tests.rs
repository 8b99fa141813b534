//! The driver against real HTTP sinks on 127.0.0.1 (port 0). The sink reports
//! each request over a channel before it answers, so every assertion after
//! `send()` returns is deterministic: no sleeps.
use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::*;

#[derive(Clone, Copy)]
enum Reply {
    Raw(&'static str),
    Hang,
}

struct Received {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Sink {
    addr: SocketAddr,
    rx: mpsc::UnboundedReceiver<Received>,
}

impl Sink {
    async fn start(reply: Reply) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, reply, tx.clone()));
            }
        });
        Sink { addr, rx }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn nothing_received(&mut self) -> bool {
        self.rx.try_recv().is_err()
    }
}

async fn serve(mut stream: TcpStream, reply: Reply, tx: mpsc::UnboundedSender<Received>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let _ = tx.send(Received {
        request_line,
        headers,
        body,
    });
    match reply {
        Reply::Raw(text) => {
            let _ = stream.write_all(text.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Reply::Hang => {
            // Hold the connection open, answering nothing.
            std::future::pending::<()>().await;
        }
    }
}

fn loopback_driver() -> WebhookDriver {
    WebhookDriver::new(&["127.0.0.0/8".into()]).unwrap()
}

fn request(url: String) -> WebhookRequest {
    WebhookRequest {
        url,
        body: b"{}".to_vec(),
        headers: vec![("Content-Type".into(), "application/json".into())],
    }
}

const OK: &str = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

#[tokio::test]
async fn delivers_exact_bytes_and_headers() {
    let mut sink = Sink::start(Reply::Raw(OK)).await;
    let notification = json!({"ttl": 300, "body": {"event": "templated", "seq": 3}, "Message_Type": "Notification", "queue_name": "cap-a3"});
    let options = json!({
        "post_data": "{\"wrapped\": \"$zaqar_message$\", \"static\": 1}",
        "post_headers": {"X-Custom-Header": "abc"}
    });
    let (body, mut headers) = zaqar_body(&notification, options.as_object().unwrap());
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    headers.extend(signature_headers(secret, "dlv_1", 1614265330, &body).unwrap());
    let url = format!("http://us%40er:p%3Ass@{}/hook?x=1", sink.addr);
    let req = WebhookRequest {
        url,
        body: body.clone(),
        headers,
    };

    let out = loopback_driver().send(&req).await;

    assert_eq!(out.verdict, Verdict::Delivered);
    assert_eq!(out.code, Some(200));
    assert_eq!(out.detail, "HTTP 200: ok");
    assert!(!out.detail.contains("p:ss") && !out.detail.contains("us@er"));
    let got = sink.rx.recv().await.unwrap();
    assert_eq!(got.request_line, "POST /hook?x=1 HTTP/1.1");
    assert_eq!(got.body, body);
    assert_eq!(
        got.body,
        br#"{"wrapped": {"ttl": 300, "body": {"event": "templated", "seq": 3}, "Message_Type": "Notification", "queue_name": "cap-a3"}, "static": 1}"#
    );
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("x-custom-header"), Some("abc"));
    assert_eq!(got.header("user-agent"), Some(USER_AGENT));
    assert!(USER_AGENT.starts_with("tidings/"));
    let basic = base64::engine::general_purpose::STANDARD.encode("us@er:p:ss");
    assert_eq!(
        got.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert_eq!(got.header("webhook-id"), Some("dlv_1"));
    assert_eq!(got.header("webhook-timestamp"), Some("1614265330"));
    let want_sig = sign(secret, "dlv_1", 1614265330, &body).unwrap();
    assert_eq!(got.header("webhook-signature"), Some(want_sig.as_str()));
    assert!(got.header("host").is_some_and(|h| !h.contains('@')));
    assert!(sink.nothing_received());
}

#[tokio::test]
async fn server_error_is_transient_with_excerpt() {
    let mut sink = Sink::start(Reply::Raw(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\nboom",
    ))
    .await;
    let out = loopback_driver().send(&request(sink.url("/"))).await;
    assert_eq!(out.verdict, Verdict::Transient { retry_after: None });
    assert_eq!(out.code, Some(500));
    assert_eq!(out.detail, "HTTP 500: boom");
    assert!(sink.rx.recv().await.is_some());
}

#[tokio::test]
async fn too_many_requests_honours_retry_after() {
    let sink = Sink::start(Reply::Raw(
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 120\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ))
    .await;
    let out = loopback_driver().send(&request(sink.url("/"))).await;
    assert_eq!(
        out.verdict,
        Verdict::Transient {
            retry_after: Some(Duration::from_secs(120))
        }
    );
    assert_eq!(out.code, Some(429));
}

#[tokio::test]
async fn redirect_is_permanent_and_not_followed() {
    let mut sink = Sink::start(Reply::Raw(
        "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ))
    .await;
    let out = loopback_driver().send(&request(sink.url("/start"))).await;
    assert_eq!(out.verdict, Verdict::Permanent);
    assert_eq!(out.code, Some(302));
    assert_eq!(out.detail, "HTTP 302: redirects are not followed");
    assert_eq!(
        sink.rx.recv().await.unwrap().request_line,
        "POST /start HTTP/1.1"
    );
    assert!(sink.nothing_received());
}

#[tokio::test]
async fn not_found_is_permanent() {
    let sink = Sink::start(Reply::Raw(
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    ))
    .await;
    let out = loopback_driver().send(&request(sink.url("/"))).await;
    assert_eq!(out.verdict, Verdict::Permanent);
    assert_eq!(out.code, Some(404));
    assert_eq!(out.detail, "HTTP 404");
}

#[tokio::test]
async fn hanging_peer_times_out_as_transient() {
    let mut sink = Sink::start(Reply::Hang).await;
    let driver = loopback_driver()
        .with_timeouts(Duration::from_secs(1), Duration::from_millis(300))
        .unwrap();
    let out = driver.send(&request(sink.url("/"))).await;
    assert_eq!(out.verdict, Verdict::Transient { retry_after: None });
    assert_eq!(out.code, None);
    assert_eq!(out.detail, "timed out after 300ms");
    assert!(out.duration >= Duration::from_millis(300));
    assert!(sink.rx.recv().await.is_some());
}

#[tokio::test]
async fn closed_port_is_connection_refused() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
    let out = loopback_driver()
        .send(&request(format!("http://127.0.0.1:{port}/")))
        .await;
    assert_eq!(out.verdict, Verdict::Transient { retry_after: None });
    assert_eq!(out.detail, "connection refused");
}

#[tokio::test]
async fn large_response_body_is_cut_to_the_excerpt() {
    const BIG: &str = concat!(
        "HTTP/1.1 500 Oops\r\nConnection: close\r\n\r\n",
        include_str!("tests.rs")
    );
    let sink = Sink::start(Reply::Raw(BIG)).await;
    let out = loopback_driver().send(&request(sink.url("/"))).await;
    assert_eq!(out.code, Some(500));
    assert!(out.detail.len() <= RESPONSE_EXCERPT_BYTES + "HTTP 500: ".len());
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let mut sink = Sink::start(Reply::Raw(OK)).await;
    let driver = WebhookDriver::new(&[]).unwrap();
    let port = sink.addr.port();
    let want =
        "refused: 127.0.0.1 is a loopback address (allow it with TIDINGS_WEBHOOK_ALLOW_NETS)";

    let literal = driver.send(&request(sink.url("/"))).await;
    assert_eq!(literal.verdict, Verdict::Permanent);
    assert_eq!(literal.detail, want);

    let mapped = driver
        .send(&request(format!("http://[::ffff:127.0.0.1]:{port}/")))
        .await;
    assert_eq!(mapped.verdict, Verdict::Permanent);
    assert!(mapped.detail.contains("loopback"), "{}", mapped.detail);

    // A name goes through the guarded resolver.
    let named = driver
        .send(&request(format!("http://user:secret@localhost:{port}/")))
        .await;
    assert_eq!(named.verdict, Verdict::Permanent, "{}", named.detail);
    assert!(named.detail.starts_with("refused: "), "{}", named.detail);
    assert!(
        named.detail.contains("loopback address"),
        "{}",
        named.detail
    );
    assert!(!named.detail.contains("secret"));

    assert!(sink.nothing_received());
}

#[tokio::test]
async fn malformed_urls_are_permanent() {
    let driver = loopback_driver();
    for url in ["not a url", "ftp://127.0.0.1/x", "mailto:a@b.c"] {
        let out = driver.send(&request(url.into())).await;
        assert_eq!(out.verdict, Verdict::Permanent, "{url}");
    }
}

#[test]
fn bad_allow_net_names_the_variable() {
    let err = WebhookDriver::new(&["not-a-net".into()]).unwrap_err();
    assert!(
        format!("{err:#}").contains("TIDINGS_WEBHOOK_ALLOW_NETS"),
        "{err:#}"
    );
}

#[test]
fn debug_output_hides_the_url() {
    let req = request("http://user:secret@example.com/".into());
    assert!(!format!("{req:?}").contains("secret"));
}

#[test]
fn userinfo_percent_decoding() {
    assert_eq!(percent_decode("a%40b%3Ac%2"), "a@b:c%2");
    assert_eq!(percent_decode("plain+text"), "plain+text");
}

#[tokio::test]
async fn allowed_name_resolves_through_the_guard_and_delivers() {
    let mut sink = Sink::start(Reply::Raw(OK)).await;
    // localhost may also resolve to ::1; every address of a name must pass.
    let driver = WebhookDriver::new(&["127.0.0.0/8".into(), "::1/128".into()]).unwrap();
    let url = format!("http://localhost:{}/named", sink.addr.port());
    let out = driver.send(&request(url)).await;
    assert_eq!(out.verdict, Verdict::Delivered, "{}", out.detail);
    assert_eq!(
        sink.rx.recv().await.unwrap().request_line,
        "POST /named HTTP/1.1"
    );
}

#[tokio::test]
async fn invalid_header_value_is_permanent() {
    let mut sink = Sink::start(Reply::Raw(OK)).await;
    let mut req = request(sink.url("/"));
    req.headers.push(("X-Bad".into(), "line\nbreak".into()));
    let out = loopback_driver().send(&req).await;
    assert_eq!(out.verdict, Verdict::Permanent);
    assert!(out.detail.starts_with("invalid request"), "{}", out.detail);
    assert!(sink.nothing_received());
}
