//! A minimal SMTP server on 127.0.0.1 that accepts everything and counts
//! messages: enough of RFC 5321 for lettre's pooled client (EHLO/HELO, MAIL,
//! RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT), many connections at
//! once, several messages per connection.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::clock::now_us;

/// Longest line accepted; RFC 5321 says 1000 octets for text lines.
const MAX_LINE: usize = 64 * 1024;

#[derive(Default)]
pub struct SmtpState {
    pub messages: AtomicU64,
    pub recipients: AtomicU64,
    pub connections: AtomicU64,
    pub first_us: AtomicU64,
    pub last_us: AtomicU64,
}

pub struct SmtpSink {
    pub state: Arc<SmtpState>,
    pub port: u16,
    accept: JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start(port: u16) -> Result<SmtpSink> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| format!("binding the SMTP sink to 127.0.0.1:{port}"))?;
        let port = listener.local_addr().context("SMTP sink address")?.port();
        let state = Arc::new(SmtpState::default());
        let st = state.clone();
        let accept = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        st.connections.fetch_add(1, Ordering::Relaxed);
                        let st = st.clone();
                        tokio::spawn(async move {
                            // A client that misbehaves only loses its own session.
                            let _ = session(stream, &st).await;
                        });
                    }
                    // Out of file descriptors and the like: wait, do not spin.
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
                }
            }
        });
        Ok(SmtpSink {
            state,
            port,
            accept,
        })
    }

    pub fn stop(self) {
        self.accept.abort();
    }
}

enum Reply {
    Line(&'static [u8]),
    Quit,
    Data,
}

fn reply_to(line: &str) -> Reply {
    let verb = line
        .split_ascii_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    match verb.as_str() {
        // No PIPELINING, no STARTTLS, no AUTH: lettre then speaks the
        // simplest dialogue, and the sink stays obviously correct.
        "EHLO" => Reply::Line(b"250-bench-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"),
        "HELO" => Reply::Line(b"250 bench-smtp\r\n"),
        "MAIL" | "RSET" | "NOOP" => Reply::Line(b"250 OK\r\n"),
        "RCPT" => Reply::Line(b"250 OK\r\n"),
        "DATA" => Reply::Data,
        "QUIT" => Reply::Quit,
        _ => Reply::Line(b"502 command not implemented\r\n"),
    }
}

async fn session(stream: TcpStream, st: &SmtpState) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 bench-smtp ESMTP ready\r\n").await?;
    let mut line = Vec::with_capacity(512);
    loop {
        line.clear();
        if read_line(&mut r, &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        if text.trim_start().to_ascii_uppercase().starts_with("RCPT") {
            st.recipients.fetch_add(1, Ordering::Relaxed);
        }
        match reply_to(text.trim_end()) {
            Reply::Line(bytes) => w.write_all(bytes).await?,
            Reply::Quit => {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            Reply::Data => {
                w.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let _size = read_data(&mut r, &mut line).await?;
                let now = now_us();
                st.messages.fetch_add(1, Ordering::Relaxed);
                let _ = st
                    .first_us
                    .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
                st.last_us.fetch_max(now, Ordering::Relaxed);
                w.write_all(b"250 OK queued\r\n").await?;
            }
        }
    }
}

async fn read_line<R: AsyncBufReadExt + Unpin>(
    r: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let n = r.read_until(b'\n', line).await?;
    if line.len() > MAX_LINE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "line too long",
        ));
    }
    Ok(n)
}

/// Reads a DATA section up to the lone `.` line, undoing dot-stuffing, and
/// returns the message size in bytes (the message itself is not kept).
async fn read_data<R: AsyncBufReadExt + Unpin>(
    r: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let mut size = 0;
    loop {
        line.clear();
        if read_line(r, line).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed inside DATA",
            ));
        }
        if line.as_slice() == b".\r\n" || line.as_slice() == b".\n" {
            return Ok(size);
        }
        size += unstuffed(line).len();
    }
}

/// A data line with its transparency dot removed (RFC 5321 §4.5.2).
fn unstuffed(line: &[u8]) -> &[u8] {
    match line {
        [b'.', rest @ ..] => rest,
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_unstuffing() {
        assert_eq!(unstuffed(b"..hidden\r\n"), b".hidden\r\n");
        assert_eq!(unstuffed(b"plain\r\n"), b"plain\r\n");
    }

    #[tokio::test]
    async fn accepts_a_message_per_transaction() {
        let sink = SmtpSink::start(0).await.unwrap();
        let stream = TcpStream::connect(("127.0.0.1", sink.port)).await.unwrap();
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        let mut line = Vec::new();
        let script: &[&[u8]] = &[
            b"EHLO me\r\n",
            b"MAIL FROM:<a@b>\r\n",
            b"RCPT TO:<c@d>\r\n",
            b"DATA\r\n",
            b"Subject: x\r\n\r\n..dot\r\n.\r\n",
            b"RSET\r\n",
            b"MAIL FROM:<a@b>\r\n",
            b"RCPT TO:<e@f>\r\n",
            b"DATA\r\n",
            b"hi\r\n.\r\n",
            b"QUIT\r\n",
        ];
        read_line(&mut r, &mut line).await.unwrap();
        for cmd in script {
            w.write_all(cmd).await.unwrap();
            // EHLO answers three lines; everything else one.
            let lines = if cmd.starts_with(b"EHLO") { 3 } else { 1 };
            for _ in 0..lines {
                line.clear();
                read_line(&mut r, &mut line).await.unwrap();
            }
            assert!(
                !line.starts_with(b"5"),
                "{:?}",
                String::from_utf8_lossy(&line)
            );
        }
        assert_eq!(sink.state.messages.load(Ordering::Relaxed), 2);
        assert_eq!(sink.state.recipients.load(Ordering::Relaxed), 2);
        sink.stop();
    }
}
