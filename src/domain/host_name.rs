//! DNS limits on the host of a webhook or broker URI: at most 253
//! characters (without a trailing dot), each label 1 to 63. The url crate
//! accepts longer ones, which no resolver can look up; refusing them at the
//! edge keeps kilobytes of junk out of the database and the logs.
use url::Host;

pub const MAX_HOST_LEN: usize = 253;
pub const MAX_LABEL_LEN: usize = 63;

/// Ok for an IP address or a host name within the DNS limits; the error
/// names the limit broken.
pub fn check(host: &Host<&str>) -> Result<(), String> {
    let Host::Domain(name) = host else {
        return Ok(());
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.len() > MAX_HOST_LEN {
        return Err(format!(
            "The host name is {} characters long; at most {MAX_HOST_LEN} are allowed.",
            name.len()
        ));
    }
    if let Some(label) = name.split('.').find(|l| l.len() > MAX_LABEL_LEN) {
        return Err(format!(
            "The host name has a label of {} characters; at most {MAX_LABEL_LEN} are allowed.",
            label.len()
        ));
    }
    if name.split('.').any(str::is_empty) {
        return Err("The host name has an empty label.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(raw: &str) -> Result<(), String> {
        let url = url::Url::parse(&format!("http://{raw}/")).unwrap();
        check(&url.host().unwrap())
    }

    #[test]
    fn dns_limits() {
        let label = "a".repeat(63);
        let longest = [label.as_str(); 4].join(".")[..253].to_string();
        assert_eq!(host(&longest), Ok(()));
        assert_eq!(host(&format!("{longest}.")), Ok(()));
        assert!(host(&format!("a{longest}")).unwrap_err().contains("253"));
        assert!(host(&format!("{}.example.com", "b".repeat(64)))
            .unwrap_err()
            .contains("63"));
        assert!(host(&"x".repeat(3000)).is_err());
        assert_eq!(host("127.0.0.1"), Ok(()));
        assert_eq!(host("[::1]"), Ok(()));
        assert_eq!(host("example.com"), Ok(()));
    }
}
