/// The `Client-ID` header, normalised to 32 lower-case hex digits.
///
/// Zaqar validates it with Python's `uuid.UUID(value)`, which strips `urn:`,
/// `uuid:`, surrounding braces and every dash, then wants exactly 32 hex
/// digits. We accept exactly the same set, so clients that work against Zaqar
/// work here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(raw: &str) -> Option<ClientId> {
        let stripped = raw.replace("urn:", "").replace("uuid:", "");
        let stripped = stripped.trim_matches(|c| c == '{' || c == '}');
        let hex: String = stripped.chars().filter(|c| *c != '-').collect();
        (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| ClientId(hex.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_form_python_uuid_accepts() {
        let want = "3381af922b9e11e3b19171861300734c";
        for form in [
            "3381af922b9e11e3b19171861300734c",
            "3381AF92-2B9E-11E3-B191-71861300734C",
            "{3381af92-2b9e-11e3-b191-71861300734c}",
            "urn:uuid:3381af92-2b9e-11e3-b191-71861300734c",
        ] {
            assert_eq!(ClientId::parse(form).unwrap().as_str(), want, "{form}");
        }
    }

    #[test]
    fn refuses_what_python_uuid_refuses() {
        for bad in [
            "",
            "not-a-uuid",
            "3381af922b9e11e3b19171861300734",
            "3381af922b9e11e3b19171861300734cz",
        ] {
            assert!(ClientId::parse(bad).is_none(), "{bad}");
        }
    }
}
