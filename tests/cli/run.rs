//! Runs the `tidings` binary with the client's environment pointed at a
//! test server.
use std::process::Stdio;

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::helpers::{spawn, Backend, TestApp, PROJECT};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit 0 (showing stderr otherwise) and returns self.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "exit {}; stderr:\n{}", self.code, self.stderr);
        self
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// The stdout lines, trimmed of trailing blanks.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().map(str::trim_end).collect()
    }

    /// The table row (`| a | b |`) whose first cell is `first`, as cells.
    #[track_caller]
    pub fn row(&self, first: &str) -> Vec<String> {
        self.stdout
            .lines()
            .map(|l| {
                l.trim()
                    .trim_matches('|')
                    .split('|')
                    .map(|c| c.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .find(|cells| cells.first().map(String::as_str) == Some(first))
            .unwrap_or_else(|| panic!("no row starting {first:?} in:\n{}", self.stdout))
    }
}

pub async fn app() -> TestApp {
    spawn(Backend::Sqlite).await.expect("sqlite app")
}

/// `tidings ARGS` against `app`, project `PROJECT`.
pub async fn tidings(app: &TestApp, args: &[&str]) -> Run {
    tidings_at(&app.address, args, None, &[]).await
}

/// `tidings ARGS` with `input` on stdin.
pub async fn tidings_stdin(app: &TestApp, args: &[&str], input: &str) -> Run {
    tidings_at(&app.address, args, Some(input), &[]).await
}

/// `tidings ARGS` against any URL, with extra environment.
pub async fn tidings_at(
    url: &str,
    args: &[&str],
    input: Option<&str>,
    env: &[(&str, &str)],
) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tidings"));
    cmd.args(args)
        .env("TIDINGS_URL", url)
        .env("TIDINGS_PROJECT", PROJECT)
        .env_remove("TIDINGS_TOKEN")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run tidings");
    if let Some(text) = input {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(text.as_bytes()).await.expect("write stdin");
        drop(stdin);
    }
    let out = child.wait_with_output().await.expect("tidings output");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
