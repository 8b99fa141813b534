//! Runs a sendmail-compatible binary the way Zaqar does (`-t -oi`, message on
//! stdin): recipients come from the To/Cc/Bcc headers and a lone `.` line
//! does not end the message.
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::address::mask_addresses_in;

/// A binary that hangs must not hold a worker for ever.
const SENDMAIL_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) enum SendmailResult {
    Accepted,
    /// The binary ran and failed; `code` is its exit code (None: a signal).
    Failed {
        code: Option<i32>,
        detail: String,
    },
    /// The binary could not be run or talked to at all.
    NotRun(String),
}

/// `envelope_from` becomes `-f` (the envelope sender, for VERP).
pub(crate) async fn run_sendmail(
    binary: &Path,
    message: &[u8],
    envelope_from: Option<&str>,
) -> SendmailResult {
    let mut command = Command::new(binary);
    command.args(["-t", "-oi"]);
    if let Some(sender) = envelope_from {
        command.arg("-f").arg(sender);
    }
    let mut child = match command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return SendmailResult::NotRun(format!("cannot run {}: {e}", binary.display())),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // Local sendmail expects Unix line endings on its standard input.
        let unix = String::from_utf8_lossy(message).replace("\r\n", "\n");
        if let Err(e) = stdin.write_all(unix.as_bytes()).await {
            return SendmailResult::NotRun(format!("writing to sendmail failed: {e}"));
        }
        // Dropping stdin closes it, which tells sendmail the message ended.
    }
    let output = match tokio::time::timeout(SENDMAIL_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return SendmailResult::NotRun(format!("waiting for sendmail failed: {e}")),
        Err(_) => {
            return SendmailResult::NotRun(format!(
                "sendmail did not finish within {}s",
                SENDMAIL_TIMEOUT.as_secs()
            ))
        }
    };
    if output.status.success() {
        return SendmailResult::Accepted;
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first_line = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let code = output.status.code();
    let status = match code {
        Some(c) => format!("sendmail exited with code {c}"),
        None => "sendmail was killed by a signal".to_string(),
    };
    let detail = if first_line.is_empty() {
        status
    } else {
        format!("{status}: {}", mask_addresses_in(first_line.trim()))
    };
    SendmailResult::Failed { code, detail }
}
