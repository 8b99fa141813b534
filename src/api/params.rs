//! Query-string parsing as Zaqar's falcon setup does it: comma lists and
//! repeated keys both become lists, blank values count as absent, booleans
//! accept the Python spellings (the client sends `True`/`False`).
use std::collections::BTreeMap;

use crate::error::ApiError;

#[derive(Debug, Default, Clone)]
pub struct Params {
    values: BTreeMap<String, Vec<String>>,
}

impl Params {
    pub fn parse(query: &str) -> Params {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let items: Vec<String> = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            if items.is_empty() {
                continue;
            }
            values.entry(key.into_owned()).or_default().extend(items);
        }
        Params { values }
    }

    pub fn has(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// The last value given for `key` (a single-valued parameter).
    pub fn str(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    pub fn list(&self, key: &str) -> Option<&[String]> {
        self.values.get(key).map(Vec::as_slice)
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.str(key) {
            None => Ok(None),
            Some(raw) => raw.parse::<i64>().map(Some).map_err(|_| {
                ApiError::bad_request(
                    "Invalid parameter",
                    format!("The \"{key}\" parameter is invalid. The value must be an integer."),
                )
            }),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.str(key) {
            None => Ok(None),
            Some(raw) => parse_bool(raw).map(Some).ok_or_else(|| {
                ApiError::bad_request(
                    "Invalid parameter",
                    format!("The \"{key}\" parameter is invalid. The value of the parameter must be \"true\" or \"false\"."),
                )
            }),
        }
    }

    /// `limit` within 1..=max, defaulting to `default`.
    pub fn limit(&self, default: i64, max: i64) -> Result<i64, ApiError> {
        match self.int("limit")? {
            None => Ok(default),
            Some(n) if (1..=max).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::invalid(format!(
                "Limit must be at least 1 and may not be greater than {max}."
            ))),
        }
    }

    /// Every key/value pair except the named ones (queue-list metadata filters).
    pub fn others<'a>(
        &'a self,
        known: &'a [&'a str],
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.values
            .iter()
            .filter(move |(k, _)| !known.contains(&k.as_str()))
            .filter_map(|(k, v)| v.last().map(|last| (k.as_str(), last.as_str())))
    }
}

pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw {
        "true" | "True" | "TRUE" | "t" | "yes" | "y" | "1" | "on" => Some(true),
        "false" | "False" | "FALSE" | "f" | "no" | "n" | "0" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_from_commas_and_repeats() {
        let p = Params::parse("ids=a,b&ids=c&blank=&echo=True");
        assert_eq!(p.list("ids").unwrap(), ["a", "b", "c"]);
        assert!(!p.has("blank"));
        assert_eq!(p.bool("echo").unwrap(), Some(true));
    }

    #[test]
    fn bad_ints_and_limits() {
        assert!(Params::parse("limit=x").int("limit").is_err());
        assert!(Params::parse("limit=0").limit(10, 20).is_err());
        assert!(Params::parse("limit=21").limit(10, 20).is_err());
        assert_eq!(Params::parse("").limit(10, 20).unwrap(), 10);
    }
}
