//! The base URL of a server under test, reduced to what the raw client needs.
//!
//! Only loopback targets are accepted: every load here is meant to hit a
//! server on this machine, never someone else's.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::{bail, Context, Result};

#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// Value of the `Host` header, e.g. `127.0.0.1:8888`.
    pub host: String,
    /// Path prefix of the base URL without a trailing slash (usually empty).
    pub prefix: String,
}

impl Target {
    pub fn parse(url: &str) -> Result<Self> {
        let Some(rest) = url.strip_prefix("http://") else {
            bail!("only http:// base URLs are supported, not {url:?}");
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = split_host_port(authority)?;
        let ip: IpAddr = if host == "localhost" {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            host.parse()
                .with_context(|| format!("host of {url:?} is not an IP address"))?
        };
        if !ip.is_loopback() {
            bail!("refusing non-loopback target {url:?}");
        }
        Ok(Target {
            addr: SocketAddr::new(ip, port),
            host: authority.to_string(),
            prefix: path.trim_end_matches('/').to_string(),
        })
    }

    /// The request target for an API path such as `/v2/queues/q`.
    pub fn path(&self, api_path: &str) -> String {
        format!("{}{api_path}", self.prefix)
    }
}

fn split_host_port(authority: &str) -> Result<(&str, u16)> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((h, p)) = v6.split_once(']') else {
            bail!("bad IPv6 authority {authority:?}");
        };
        (h, p.strip_prefix(':').unwrap_or(""))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, p),
            None => (authority, ""),
        }
    };
    let port = if port.is_empty() {
        80
    } else {
        port.parse()
            .with_context(|| format!("bad port in {authority:?}"))?
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_loopback_forms() {
        let t = Target::parse("http://127.0.0.1:8888/").unwrap();
        assert_eq!(t.addr.port(), 8888);
        assert_eq!(t.host, "127.0.0.1:8888");
        assert_eq!(t.path("/v2/ping"), "/v2/ping");
        assert!(Target::parse("http://localhost:1").is_ok());
        assert!(Target::parse("http://[::1]:2/x/").unwrap().prefix == "/x");
    }

    #[test]
    fn refuses_other_hosts() {
        assert!(Target::parse("http://10.0.0.1:80").is_err());
        assert!(Target::parse("http://example.com").is_err());
        assert!(Target::parse("https://127.0.0.1").is_err());
    }
}
