//! A minimal HTTP/1.1 client over one `tokio::net::TcpStream`.
//!
//! Why not a client library: the load generator must be cheap enough that the
//! server, not the client, is what the numbers measure (wrk is the yardstick).
//! One connection = one `Conn`; a request is written whole, the response head
//! is read up to the blank line and the body is framed by Content-Length,
//! chunked encoding, or the server closing (uWSGI in front of Zaqar).
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::http_response::{decode_chunked, find, parse_head, Chunked, Framing};

/// Error classes counted separately by the load generator, as wrk does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Connect,
    Read,
    Write,
    Timeout,
}

#[derive(Debug)]
pub struct HttpError {
    pub kind: ErrorKind,
    pub detail: String,
}

impl HttpError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        HttpError {
            kind,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} error: {}", self.kind, self.detail)
    }
}

impl std::error::Error for HttpError {}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    pub keep_alive: bool,
}

pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    scratch: Box<[u8]>,
}

/// Largest response head accepted; anything bigger is not a server we test.
const MAX_HEAD: usize = 64 * 1024;

impl Conn {
    pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<Conn, HttpError> {
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Err(_) => return Err(HttpError::new(ErrorKind::Timeout, "connect timed out")),
            Ok(Err(e)) => return Err(HttpError::new(ErrorKind::Connect, e.to_string())),
            Ok(Ok(s)) => s,
        };
        // Small requests and replies: Nagle would only add latency.
        stream
            .set_nodelay(true)
            .map_err(|e| HttpError::new(ErrorKind::Connect, e.to_string()))?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
            scratch: vec![0u8; 16 * 1024].into_boxed_slice(),
        })
    }

    /// Writes `request` (head and body, already serialised) and reads one
    /// response. `head_request` says no body follows whatever the headers say.
    pub async fn roundtrip(
        &mut self,
        request: &[u8],
        head_request: bool,
        timeout: Duration,
    ) -> Result<Response, HttpError> {
        match tokio::time::timeout(timeout, self.roundtrip_inner(request, head_request)).await {
            Ok(r) => r,
            Err(_) => Err(HttpError::new(ErrorKind::Timeout, "request timed out")),
        }
    }

    async fn roundtrip_inner(
        &mut self,
        request: &[u8],
        head_request: bool,
    ) -> Result<Response, HttpError> {
        self.stream
            .write_all(request)
            .await
            .map_err(|e| HttpError::new(ErrorKind::Write, e.to_string()))?;
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(HttpError::new(ErrorKind::Read, "response head too large"));
            }
            if self.read_more().await? == 0 {
                return Err(HttpError::new(ErrorKind::Read, "closed before a response"));
            }
        };
        let head = parse_head(&self.buf[..head_end], head_request)
            .map_err(|e| HttpError::new(ErrorKind::Read, e))?;
        let start = head_end + 4;
        let (body, used) = match head.framing {
            Framing::None => (Vec::new(), start),
            Framing::Length(n) => {
                while self.buf.len() < start + n {
                    if self.read_more().await? == 0 {
                        return Err(HttpError::new(ErrorKind::Read, "closed inside a body"));
                    }
                }
                (self.buf[start..start + n].to_vec(), start + n)
            }
            Framing::Chunked => loop {
                match decode_chunked(&self.buf[start..])
                    .map_err(|e| HttpError::new(ErrorKind::Read, e))?
                {
                    Chunked::Done(body, n) => break (body, start + n),
                    Chunked::Incomplete => {
                        if self.read_more().await? == 0 {
                            return Err(HttpError::new(ErrorKind::Read, "closed inside chunks"));
                        }
                    }
                }
            },
            Framing::UntilClose => {
                while self.read_more().await? > 0 {}
                (self.buf[start..].to_vec(), self.buf.len())
            }
        };
        self.buf.drain(..used);
        Ok(Response {
            status: head.status,
            body,
            keep_alive: head.keep_alive,
        })
    }

    async fn read_more(&mut self) -> Result<usize, HttpError> {
        let n = self
            .stream
            .read(&mut self.scratch)
            .await
            .map_err(|e| HttpError::new(ErrorKind::Read, e.to_string()))?;
        self.buf.extend_from_slice(&self.scratch[..n]);
        Ok(n)
    }
}

/// Serialises a request. `extra_headers` is zero or more complete
/// `Name: value\r\n` lines.
pub fn build_request(
    method: &str,
    host: &str,
    path: &str,
    extra_headers: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + extra_headers.len() + body.len());
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(host.as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(extra_headers.as_bytes());
    if !body.is_empty() || method == "POST" || method == "PUT" || method == "PATCH" {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A one-connection server that answers each request with the next
    /// canned response, then closes.
    async fn serve(responses: Vec<&'static [u8]>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            for r in responses {
                let _ = s.read(&mut buf).await.unwrap();
                s.write_all(r).await.unwrap();
            }
        });
        addr
    }

    #[tokio::test]
    async fn length_chunked_and_until_close_on_one_connection() {
        let addr = serve(vec![
            b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            b"HTTP/1.1 201 Created\r\nConnection: close\r\n\r\nuntil-close",
        ])
        .await;
        let t = Duration::from_secs(5);
        let mut c = Conn::connect(addr, t).await.unwrap();
        let req = build_request("POST", "h", "/p", "", b"{}");
        let r = c.roundtrip(&req, false, t).await.unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), r.keep_alive),
            (201, &b"ok"[..], true)
        );
        let r = c.roundtrip(&req, false, t).await.unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"abc"[..]));
        let r = c.roundtrip(&req, false, t).await.unwrap();
        assert_eq!(
            (r.body.as_slice(), r.keep_alive),
            (&b"until-close"[..], false)
        );
    }

    #[tokio::test]
    async fn refused_connection_is_a_connect_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let e = Conn::connect(addr, Duration::from_secs(1))
            .await
            .err()
            .unwrap();
        assert_eq!(e.kind, ErrorKind::Connect);
    }

    #[test]
    fn request_bytes() {
        let r = build_request("POST", "127.0.0.1:1", "/q", "X-A: 1\r\n", b"{}");
        assert_eq!(
            r,
            b"POST /q HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX-A: 1\r\nContent-Length: 2\r\n\r\n{}"
        );
        let r = build_request("GET", "h", "/", "", b"");
        assert_eq!(r, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    }
}
