//! python-zaqarclient against a real tidings server: runs
//! tests/compat/zaqarclient_smoke.py with the interpreter from
//! `TIDINGS_TEST_PYTHON`, else `./.venv/bin/python`. Skips (loudly) when
//! neither can import `zaqarclient`.
#[path = "api/helpers.rs"]
mod helpers;

use std::io::Write;
use std::path::{Path, PathBuf};

const SKIP: &str = "skipped: python-zaqarclient not installed (run .ci/run or: python3 -m venv .venv && .venv/bin/pip install python-zaqarclient)";

/// The first candidate interpreter that can import zaqarclient.
async fn python_with_zaqarclient(root: &Path) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("TIDINGS_TEST_PYTHON").filter(|p| !p.is_empty()) {
        candidates.push(PathBuf::from(p));
    }
    let venv = root.join(".venv/bin/python");
    if venv.exists() {
        candidates.push(venv);
    }
    for python in candidates {
        let ok = tokio::process::Command::new(&python)
            .args(["-c", "import zaqarclient"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .await
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            return Some(python);
        }
    }
    None
}

/// Runs the smoke script against `app`, with `token` when given.
async fn run_smoke(python: &Path, root: &Path, app: &helpers::TestApp, token: Option<&str>) {
    let mut command = tokio::process::Command::new(python);
    command
        .arg(root.join("tests/compat/zaqarclient_smoke.py"))
        .arg(&app.address);
    if let Some(token) = token {
        command.arg(token);
    }
    let output = command.output().await.expect("run the smoke script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "zaqarclient smoke failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_zaqarclient_smoke() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(python) = python_with_zaqarclient(root).await else {
        let _ = writeln!(std::io::stderr(), "{SKIP}");
        return;
    };
    let app = helpers::spawn(helpers::Backend::Sqlite)
        .await
        .expect("sqlite app");
    run_smoke(&python, root, &app, None).await;
}

/// TIDINGS_AUTH=token: the client, unchanged, with a pre-made token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_zaqarclient_smoke_with_a_token() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some(python) = python_with_zaqarclient(root).await else {
        let _ = writeln!(std::io::stderr(), "{SKIP}");
        return;
    };
    let env = [("TIDINGS_AUTH".to_string(), "token".to_string())].into();
    let app = helpers::spawn_with(helpers::Backend::Sqlite, env)
        .await
        .expect("sqlite app");
    let scope = tidings::domain::TokenScope::parse("smoke-project").unwrap();
    let issued = tidings::service::api_tokens::create(
        &app.state.db,
        &scope,
        tidings::domain::Role::Admin,
        None,
        "zaqarclient smoke",
        app.state.now(),
    )
    .await
    .expect("create a token");
    run_smoke(&python, root, &app, Some(&issued.secret)).await;
}
