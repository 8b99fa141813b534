//! A real OpenStack Keystone for the tests (tests/keystone/serve.py run
//! with the interpreter `TIDINGS_TEST_KEYSTONE_PYTHON` names), and the
//! few admin calls the tests make against it.
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

pub const ADMIN_PASSWORD: &str = "keystone-admin-test-password";

pub struct KeystoneServer {
    /// `http://127.0.0.1:PORT`; the identity API is under `/v3`.
    pub url: String,
    admin_token: String,
    http: reqwest::Client,
    _child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl KeystoneServer {
    /// Sets Keystone up on SQLite in a fresh directory and serves it.
    pub async fn start(python: &Path, root: &Path) -> KeystoneServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = tokio::process::Command::new(python)
            .args(["-W", "ignore"])
            .arg(root.join("tests/keystone/serve.py"))
            .arg(dir.path())
            .arg(ADMIN_PASSWORD)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start Keystone");
        let stdout = child.stdout.take().expect("Keystone's stdout");
        let mut lines = BufReader::new(stdout).lines();
        // db_sync and friends take about 11 s on an idle machine.
        let ready = tokio::time::timeout(Duration::from_secs(300), async {
            while let Some(line) = lines.next_line().await.expect("read Keystone's output") {
                if let Some(url) = line.strip_prefix("ready ") {
                    return url.trim().to_string();
                }
            }
            panic!("Keystone exited before it was ready (see its log in the test's directory)");
        })
        .await
        .expect("Keystone ready within 300 s");
        let http = reqwest::Client::new();
        let admin_token = password_token(&http, &ready, "admin", ADMIN_PASSWORD, "admin")
            .await
            .expect("admin token");
        KeystoneServer {
            url: ready,
            admin_token,
            http,
            _child: child,
            _dir: dir,
        }
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}/v3{path}", self.url))
            .header("x-auth-token", &self.admin_token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("Keystone admin call");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub async fn project(&self, name: &str) -> String {
        let body = json!({"project": {"name": name, "domain_id": "default"}});
        let made = self
            .admin(reqwest::Method::POST, "/projects", Some(body))
            .await;
        made["project"]["id"]
            .as_str()
            .expect("project id")
            .to_string()
    }

    /// The id of role `name`, created when Keystone has none of that name.
    pub async fn role(&self, name: &str) -> String {
        let listed = self
            .admin(reqwest::Method::GET, &format!("/roles?name={name}"), None)
            .await;
        if let Some(id) = listed["roles"][0]["id"].as_str() {
            return id.to_string();
        }
        let made = self
            .admin(
                reqwest::Method::POST,
                "/roles",
                Some(json!({"role": {"name": name}})),
            )
            .await;
        made["role"]["id"].as_str().expect("role id").to_string()
    }

    /// A user with `role` on `project` (an id).
    pub async fn user(&self, name: &str, password: &str, project: &str, role: &str) {
        let body = json!({"user": {"name": name, "password": password, "domain_id": "default"}});
        let made = self
            .admin(reqwest::Method::POST, "/users", Some(body))
            .await;
        let user = made["user"]["id"].as_str().expect("user id").to_string();
        let role = self.role(role).await;
        self.admin(
            reqwest::Method::PUT,
            &format!("/projects/{project}/users/{user}/roles/{role}"),
            None,
        )
        .await;
    }

    /// A project-scoped token for `user`, as `openstack token issue` gives.
    pub async fn token(&self, user: &str, password: &str, project: &str) -> String {
        password_token(&self.http, &self.url, user, password, project)
            .await
            .expect("user token")
    }

    pub async fn revoke(&self, token: &str) {
        let res = self
            .http
            .delete(format!("{}/v3/auth/tokens", self.url))
            .header("x-auth-token", &self.admin_token)
            .header("x-subject-token", token)
            .send()
            .await
            .expect("revoke");
        assert_eq!(res.status().as_u16(), 204, "revoke a token");
    }

    /// Puts `url` in the catalog as the public endpoint of service type
    /// `kind`.
    pub async fn endpoint(&self, kind: &str, url: &str) {
        let body = json!({"service": {"type": kind, "name": "tidings"}});
        let made = self
            .admin(reqwest::Method::POST, "/services", Some(body))
            .await;
        let service = made["service"]["id"].as_str().expect("service id");
        let body = json!({"endpoint": {"service_id": service, "interface": "public",
                                       "url": url, "region_id": "RegionOne"}});
        self.admin(reqwest::Method::POST, "/endpoints", Some(body))
            .await;
    }
}

async fn password_token(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
    project: &str,
) -> Option<String> {
    let body = json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}});
    let res = http
        .post(format!("{base}/v3/auth/tokens"))
        .json(&body)
        .send()
        .await
        .ok()?;
    if res.status().as_u16() != 201 {
        return None;
    }
    res.headers()
        .get("x-subject-token")?
        .to_str()
        .ok()
        .map(str::to_string)
}
