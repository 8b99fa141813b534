//! A real SMTP server for tests: speaks enough ESMTP over TCP on 127.0.0.1
//! for lettre (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), records each
//! accepted message, counts connections, and can be told to refuse RCPT or
//! DATA with a chosen reply code, or to go away (`stop`: the port refuses,
//! open sessions are cut) and come back on the same port (`restart`).
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// One message as the server saw it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The DATA section, dot-unstuffed, CRLF line endings kept.
    pub data: String,
    /// 1-based number of the connection that carried it.
    pub connection: usize,
    /// When the server answered 250 to its DATA.
    pub at: std::time::Instant,
}

impl ReceivedMail {
    /// The value of the first header with this name (case-insensitive),
    /// unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(value) = found.as_mut() {
                if line.starts_with([' ', '\t']) {
                    value.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':') {
                if n.eq_ignore_ascii_case(name) {
                    found = Some(v.trim().to_string());
                }
            }
        }
        found
    }
}

#[derive(Default)]
struct State {
    messages: Mutex<Vec<ReceivedMail>>,
    arrived: Notify,
    connections: AtomicUsize,
    rcpt_reply: Mutex<Option<u16>>,
    data_reply: Mutex<Option<u16>>,
    sessions: Mutex<Vec<tokio::task::AbortHandle>>,
}

pub struct SmtpSink {
    pub port: u16,
    state: Arc<State>,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind smtp sink");
        let port = listener.local_addr().expect("sink address").port();
        let state = Arc::new(State::default());
        let server = tokio::spawn(accept_loop(listener, state.clone()));
        SmtpSink {
            port,
            state,
            server: Mutex::new(Some(server)),
        }
    }

    /// The relay goes away: the port refuses connections and every open
    /// session is cut mid-conversation.
    pub fn stop(&self) {
        if let Some(server) = self.server.lock().expect("sink lock").take() {
            server.abort();
        }
        for session in self.state.sessions.lock().expect("sink lock").drain(..) {
            session.abort();
        }
    }

    /// The relay comes back on the same port.
    pub async fn restart(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("rebind smtp sink port");
        let server = tokio::spawn(accept_loop(listener, self.state.clone()));
        *self.server.lock().expect("sink lock") = Some(server);
    }

    /// `smtp://127.0.0.1:<port>`, ready for `TIDINGS_MAIL_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.state.messages.lock().expect("sink lock").clone()
    }

    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Answer every RCPT TO with `code` (e.g. 451 or 550); `None` accepts.
    pub fn reply_to_rcpt(&self, code: Option<u16>) {
        *self.state.rcpt_reply.lock().expect("sink lock") = code;
    }

    /// Answer the end of every DATA with `code`; `None` accepts.
    pub fn reply_to_data(&self, code: Option<u16>) {
        *self.state.data_reply.lock().expect("sink lock") = code;
    }

    /// Waits, without polling, until at least `n` messages arrived; panics
    /// after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.state.arrived.notified();
            tokio::pin!(arrived);
            // Register before checking, so a message landing in between
            // still wakes us.
            arrived.as_mut().enable();
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!(
                    "smtp sink: waited {timeout:?} for {n} messages, got {}",
                    self.messages().len()
                );
            }
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    while let Ok((stream, _)) = listener.accept().await {
        let number = state.connections.fetch_add(1, Ordering::SeqCst) + 1;
        let session = tokio::spawn(serve(stream, state.clone(), number));
        let mut sessions = state.sessions.lock().expect("sink lock");
        sessions.retain(|s| !s.is_finished());
        sessions.push(session.abort_handle());
    }
}

fn reply_text(code: u16) -> String {
    match code {
        400..=499 => format!("{code} 4.3.0 try again later\r\n"),
        _ => format!("{code} 5.7.1 refused\r\n"),
    }
}

async fn serve(stream: TcpStream, state: Arc<State>, connection: usize) {
    // Any I/O error just ends this connection, as a real server would.
    let _ = session(stream, state, connection).await;
}

async fn session(stream: TcpStream, state: Arc<State>, connection: usize) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 smtp-sink ESMTP ready\r\n").await?;
    let mut mail_from = String::new();
    let mut rcpt_to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let answer = match verb.as_str() {
            "EHLO" => "250-smtp-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".to_string(),
            "HELO" => "250 smtp-sink\r\n".to_string(),
            "MAIL" => {
                mail_from = angle_address(&command);
                rcpt_to.clear();
                "250 2.1.0 ok\r\n".to_string()
            }
            "RCPT" => match *state.rcpt_reply.lock().expect("sink lock") {
                Some(code) => reply_text(code),
                None => {
                    rcpt_to.push(angle_address(&command));
                    "250 2.1.5 ok\r\n".to_string()
                }
            },
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let data = read_data(&mut lines).await?;
                let code = *state.data_reply.lock().expect("sink lock");
                match code {
                    Some(code) => reply_text(code),
                    None => {
                        state
                            .messages
                            .lock()
                            .expect("sink lock")
                            .push(ReceivedMail {
                                mail_from: std::mem::take(&mut mail_from),
                                rcpt_to: std::mem::take(&mut rcpt_to),
                                data,
                                connection,
                                at: std::time::Instant::now(),
                            });
                        state.arrived.notify_waiters();
                        "250 2.0.0 queued\r\n".to_string()
                    }
                }
            }
            "RSET" => {
                mail_from.clear();
                rcpt_to.clear();
                "250 2.0.0 ok\r\n".to_string()
            }
            "NOOP" => "250 2.0.0 ok\r\n".to_string(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 command not recognised\r\n".to_string(),
        };
        write.write_all(answer.as_bytes()).await?;
    }
}

async fn read_data<R: AsyncBufReadExt + Unpin>(lines: &mut R) -> std::io::Result<String> {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == ".\r\n" || line == ".\n" {
            return Ok(data);
        }
        // RFC 5321 4.5.2: a leading dot was doubled by the client.
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

fn angle_address(command: &str) -> String {
    match (command.find('<'), command.rfind('>')) {
        (Some(start), Some(end)) if start < end => command[start + 1..end].to_string(),
        _ => command.split(':').nth(1).unwrap_or("").trim().to_string(),
    }
}
