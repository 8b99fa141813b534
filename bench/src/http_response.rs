//! Parsing of an HTTP/1.1 response head and of chunked bodies, kept apart
//! from the socket code so it can be tested on byte strings.

/// How the body of a response is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    None,
    Length(usize),
    Chunked,
    /// No length: the body ends when the server closes (uWSGI does this).
    UntilClose,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub framing: Framing,
    /// False when the server said `Connection: close` or spoke HTTP/1.0
    /// without keep-alive: the connection must not be reused.
    pub keep_alive: bool,
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses the head (status line and headers, without the blank line).
pub fn parse_head(head: &[u8], head_request: bool) -> Result<Head, String> {
    let text = std::str::from_utf8(head).map_err(|_| "response head is not UTF-8".to_string())?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.split_ascii_whitespace();
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(format!("bad status line {status_line:?}"));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut keep_alive = version == "HTTP/1.1";
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| format!("bad Content-Length {value:?}"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            let v = value.to_ascii_lowercase();
            if v.contains("close") {
                keep_alive = false;
            } else if v.contains("keep-alive") {
                keep_alive = true;
            }
        }
    }
    let framing = if head_request || status < 200 || status == 204 || status == 304 {
        Framing::None
    } else if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        keep_alive = false;
        Framing::UntilClose
    };
    Ok(Head {
        status,
        framing,
        keep_alive,
    })
}

/// Outcome of trying to decode a chunked body from the bytes read so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunked {
    /// Need more bytes.
    Incomplete,
    /// The body, and how many input bytes it took (trailers included).
    Done(Vec<u8>, usize),
}

pub fn decode_chunked(input: &[u8]) -> Result<Chunked, String> {
    let mut body = Vec::new();
    let mut pos = 0;
    loop {
        let Some(eol) = find(&input[pos..], b"\r\n") else {
            return Ok(Chunked::Incomplete);
        };
        let line = std::str::from_utf8(&input[pos..pos + eol]).map_err(|_| "bad chunk size")?;
        let size_hex = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| format!("bad chunk size {size_hex:?}"))?;
        pos += eol + 2;
        if size == 0 {
            // Trailers, each ending in CRLF, then an empty line.
            loop {
                let Some(eol) = find(&input[pos..], b"\r\n") else {
                    return Ok(Chunked::Incomplete);
                };
                pos += eol + 2;
                if eol == 0 {
                    return Ok(Chunked::Done(body, pos));
                }
            }
        }
        if input.len() < pos + size + 2 {
            return Ok(Chunked::Incomplete);
        }
        body.extend_from_slice(&input[pos..pos + size]);
        pos += size + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_and_keep_alive() {
        let h = parse_head(b"HTTP/1.1 201 Created\r\ncontent-length: 12", false).unwrap();
        assert_eq!(h.status, 201);
        assert_eq!(h.framing, Framing::Length(12));
        assert!(h.keep_alive);
    }

    #[test]
    fn uwsgi_style_close_without_length() {
        let h = parse_head(b"HTTP/1.1 201 Created\r\nConnection: close", false).unwrap();
        assert_eq!(h.framing, Framing::UntilClose);
        assert!(!h.keep_alive);
    }

    #[test]
    fn no_body_for_204_and_head() {
        let h = parse_head(b"HTTP/1.1 204 No Content\r\nContent-Length: 5", false).unwrap();
        assert_eq!(h.framing, Framing::None);
        let h = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 5", true).unwrap();
        assert_eq!(h.framing, Framing::None);
    }

    #[test]
    fn http10_closes_by_default() {
        let h = parse_head(b"HTTP/1.0 200 OK\r\nContent-Length: 0", false).unwrap();
        assert!(!h.keep_alive);
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_head(b"SSH-2.0-OpenSSH", false).is_err());
    }

    #[test]
    fn chunked_body() {
        let wire = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        match decode_chunked(wire).unwrap() {
            Chunked::Done(body, used) => {
                assert_eq!(body, b"hello world");
                assert_eq!(&wire[used..], b"NEXT");
            }
            Chunked::Incomplete => panic!("complete input"),
        }
        assert_eq!(decode_chunked(b"5\r\nhel").unwrap(), Chunked::Incomplete);
        assert_eq!(decode_chunked(b"0\r\n").unwrap(), Chunked::Incomplete);
    }
}
