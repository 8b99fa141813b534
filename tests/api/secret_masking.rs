//! Planted secrets never come back out: a webhook password, an AMQP
//! password, a signing secret and the API token itself, through GET, the
//! list, the routes, the delivery log and the whole log of a real
//! `tidings serve` run at debug level.
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::helpers::CLIENT_ID;
use crate::sink::HttpSink;

const PASSWORD: &str = "PlantedHookPass42";
const AMQP_PASSWORD: &str = "PlantedBrokerPass42";
/// `whsec_` + base64 of 24 bytes; its body is searched for too.
const SIGNING_SECRET: &str = "whsec_UGxhbnRlZFNpZ25pbmdTZWNyZXQ0MiEh";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Run {
    child: Child,
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Run {
    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.base, path))
            .header("Client-ID", CLIENT_ID)
            .header("X-Auth-Token", &self.token)
    }

    async fn text(&self, method: Method, path: &str, body: Option<Value>) -> (u16, String) {
        let mut req = self.req(method, path);
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }
}

fn assert_clean(what: &str, text: &str, token: &str) {
    let token_secret = &token[13..];
    for planted in [
        PASSWORD,
        AMQP_PASSWORD,
        SIGNING_SECRET,
        &SIGNING_SECRET[6..],
        token_secret,
    ] {
        assert!(
            !text.contains(planted),
            "{what} shows a planted secret:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_never_come_back_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/masking.db?mode=rwc", dir.path().display());
    let log_path = dir.path().join("serve.log");
    let bin = env!("CARGO_BIN_EXE_tidings");
    let made = Command::new(bin)
        .args(["token", "create", "--project", "masking", "--role", "admin"])
        .env("TIDINGS_DATABASE_URL", &db)
        .env_remove("TIDINGS_CONFIG")
        .output()
        .unwrap();
    assert!(made.status.success());
    let token = String::from_utf8(made.stdout).unwrap().trim().to_string();
    let port = free_port();
    let log = std::fs::File::create(&log_path).unwrap();
    let child = Command::new(bin)
        .arg("serve")
        .env("TIDINGS_BIND", format!("127.0.0.1:{port}"))
        .env("TIDINGS_DATABASE_URL", &db)
        .env("TIDINGS_AUTH", "token")
        .env("TIDINGS_WEBHOOK_ALLOW_NETS", "127.0.0.0/8")
        .env(
            "TIDINGS_MAIL_URL",
            format!("file:{}/mail", dir.path().display()),
        )
        .env("TIDINGS_LOG", "debug")
        .env_remove("TIDINGS_CONFIG")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let run = Run {
        child,
        base: format!("http://127.0.0.1:{port}"),
        token,
        client: reqwest::Client::new(),
    };
    let mut up = false;
    for _ in 0..200 {
        if let Ok(r) = run.req(Method::GET, "/v2/ping").send().await {
            up = r.status().as_u16() == 204;
            if up {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "tidings serve did not come up");

    let sink = HttpSink::start().await;
    let hook = format!("http://pulp:{PASSWORD}@127.0.0.1:{}/hook", sink.port);
    let broker = format!("amqp://guest:{AMQP_PASSWORD}@127.0.0.1:1/%2f");
    let mut ids = Vec::new();
    for (subscriber, options) in [
        (hook.as_str(), json!({"signing_secret": SIGNING_SECRET})),
        (broker.as_str(), json!({})),
    ] {
        let (status, body) = run
            .text(
                Method::POST,
                "/v2/queues/planted/subscriptions",
                Some(json!({"subscriber": subscriber, "ttl": 3600, "options": options})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        ids.push(body["subscription_id"].as_str().unwrap().to_string());
    }
    let (status, posted) = run
        .text(
            Method::POST,
            "/v2/queues/planted/messages",
            Some(json!({"messages": [{"body": {"event": "x"}}]})),
        )
        .await;
    assert_eq!(status, 201, "{posted}");
    let posted: Value = serde_json::from_str(&posted).unwrap();
    let message = posted["resources"][0]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    // The webhook gets the message (with its password and signature).
    let got = sink.wait_for(1, Duration::from_secs(30)).await;
    assert!(!got.is_empty(), "the webhook was delivered to");
    assert!(got[0].header("webhook-signature").is_some());

    let mut answers = vec![
        run.text(Method::GET, "/v2/queues/planted/subscriptions", None)
            .await,
        run.text(
            Method::POST,
            "/v2/queues/planted/routes",
            Some(json!({"body": {"event": "x"}})),
        )
        .await,
        run.text(
            Method::GET,
            &format!("/v2/queues/planted/messages/{message}/routes"),
            None,
        )
        .await,
    ];
    for id in &ids {
        answers.push(
            run.text(
                Method::GET,
                &format!("/v2/queues/planted/subscriptions/{id}"),
                None,
            )
            .await,
        );
        answers.push(
            run.text(
                Method::GET,
                &format!("/v2/queues/planted/subscriptions/{id}/deliveries"),
                None,
            )
            .await,
        );
    }
    for (status, text) in &answers {
        assert_eq!(*status, 200, "{text}");
        assert_clean("an API answer", text, &run.token);
    }
    let (_, one) = &answers[3];
    let one: Value = serde_json::from_str(one).unwrap();
    assert_eq!(one["options"]["signing_secret"], "***");
    assert_eq!(
        one["subscriber"],
        format!("http://pulp:***@127.0.0.1:{}/hook", sink.port)
    );

    // Writing back what GET showed keeps the real secret.
    let (status, text) = run
        .text(
            Method::PATCH,
            &format!("/v2/queues/planted/subscriptions/{}", ids[0]),
            Some(json!({"options": one["options"]})),
        )
        .await;
    assert_eq!(status, 204, "{text}");

    // A refused token is not echoed either.
    let refused = run
        .client
        .get(format!("{}/v2/queues", run.base))
        .header("Client-ID", CLIENT_ID)
        .header("X-Auth-Token", format!("{}x", run.token))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    assert_clean("a 401", &refused.text().await.unwrap(), &run.token);

    let mut child = run.child;
    child.kill().ok();
    child.wait().ok();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("subscription created"),
        "the log was captured:\n{log}"
    );
    assert_clean("the log", &log, &run.token);
    // Nor the server's own link-signing key (SQL is never logged).
    let db = sea_orm::Database::connect(&db).await.unwrap();
    let key = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT value FROM server_secrets",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "value")
        .unwrap();
    assert!(!log.contains(&key), "the log shows the signing key");
    let stored = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT options FROM subscriptions WHERE id = '{}'", ids[0]),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "options")
        .unwrap();
    assert!(stored.contains(SIGNING_SECRET), "{stored}");
}
