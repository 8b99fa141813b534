//! Languages: a subscription's `options.locale` (`de`, `fr-CA`), the
//! fallback chain a template lookup walks (`fr-CA`, then `fr`, then the
//! untranslated default, which is English), and dates written for the
//! reader. The built-in emails ship in English, German and French.
use serde_json::{Map, Value};

/// Languages the built-in emails are written in (English is the default).
pub const BUILT_IN: [&str; 3] = ["en", "de", "fr"];
const MAX_LEN: usize = 35;

/// A BCP 47 language tag as tidings keeps it: the language in lower case,
/// a two-letter region in upper case (`fr-CA`), other subtags in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Locale(String);

impl Locale {
    pub fn parse(raw: &str) -> Result<Locale, String> {
        let refuse = || format!("{raw:?} is not a language tag (such as \"de\" or \"fr-CA\").");
        if raw.is_empty() || raw.len() > MAX_LEN {
            return Err(refuse());
        }
        let mut parts = Vec::new();
        for (i, part) in raw.split(['-', '_']).enumerate() {
            let ok = match i {
                0 => (2..=3).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphabetic()),
                _ => {
                    (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric())
                }
            };
            if !ok {
                return Err(refuse());
            }
            parts.push(
                if i > 0 && part.len() == 2 && part.bytes().all(|b| b.is_ascii_alphabetic()) {
                    part.to_ascii_uppercase()
                } else {
                    part.to_ascii_lowercase()
                },
            );
        }
        Ok(Locale(parts.join("-")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn language(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// `fr-CA` gives `["fr-ca", "fr"]`: the names a lookup tries, most
    /// specific first, in lower case (as template names are kept).
    pub fn fallbacks(&self) -> Vec<String> {
        let lower = self.0.to_ascii_lowercase();
        let parts: Vec<&str> = lower.split('-').collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("-"))
            .collect()
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fallback chain of several preferences in order (an
/// `Accept-Language` header's), each tag once.
pub fn chain(preferred: &[Locale]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for locale in preferred {
        for tag in locale.fallbacks() {
            if !out.contains(&tag) {
                out.push(tag);
            }
        }
    }
    out
}

/// A subscription's `options.locale` (validated when it was stored).
pub fn of_options(options: &Map<String, Value>) -> Option<Locale> {
    options
        .get("locale")
        .and_then(Value::as_str)
        .and_then(|raw| Locale::parse(raw).ok())
}

/// `options.locale`: a language tag.
pub fn validate_option(value: &Value) -> Result<(), String> {
    match value {
        Value::String(raw) => Locale::parse(raw)
            .map(|_| ())
            .map_err(|e| format!("Option locale: {e}")),
        _ => Err("Option locale must be a language tag such as \"de\" or \"fr-CA\".".into()),
    }
}

const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// A moment (Unix milliseconds) as a reader of the first built-in
/// language of `chain` writes it: `2026-11-24 15:00:00 UTC`,
/// `24. November 2026, 15:00:00 UTC`, `24 novembre 2026 à 15:00:00 UTC`.
pub fn format_datetime(ms: i64, chain: &[String]) -> String {
    let iso = crate::clock::iso8601(ms);
    // `YYYY-MM-DDTHH:MM:SSZ`
    let (date, time) = iso.split_once('T').unwrap_or((&iso, ""));
    let time = time.trim_end_matches('Z');
    let mut fields = date.splitn(3, '-');
    let (year, month, day) = (
        fields.next().unwrap_or(""),
        fields
            .next()
            .and_then(|m| m.parse::<usize>().ok())
            .unwrap_or(1),
        fields
            .next()
            .and_then(|d| d.parse::<u32>().ok())
            .unwrap_or(1),
    );
    let month = month.clamp(1, 12) - 1;
    match language_of(chain) {
        "de" => format!("{day}. {} {year}, {time} UTC", MONTHS_DE[month]),
        "fr" => format!("{day} {} {year} à {time} UTC", MONTHS_FR[month]),
        _ => format!("{date} {time} UTC"),
    }
}

/// The first language of `chain` the built-in emails are written in.
pub fn language_of(chain: &[String]) -> &'static str {
    chain
        .iter()
        .find_map(|tag| BUILT_IN.iter().find(|b| **b == tag.as_str()))
        .copied()
        .unwrap_or("en")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised_and_fall_back() {
        let l = Locale::parse("fr_ca").unwrap();
        assert_eq!(l.as_str(), "fr-CA");
        assert_eq!(l.fallbacks(), ["fr-ca", "fr"]);
        assert_eq!(Locale::parse("DE").unwrap().fallbacks(), ["de"]);
        assert_eq!(
            Locale::parse("zh-Hant-TW").unwrap().fallbacks(),
            ["zh-hant-tw", "zh-hant", "zh"]
        );
        for bad in ["", "f", "french!", "de-", "../x", "d3", &"a-".repeat(20)] {
            assert!(Locale::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chains_keep_order_and_drop_repeats() {
        let prefs = [
            Locale::parse("fr-CA").unwrap(),
            Locale::parse("fr").unwrap(),
            Locale::parse("de").unwrap(),
        ];
        assert_eq!(chain(&prefs), ["fr-ca", "fr", "de"]);
        assert_eq!(language_of(&chain(&prefs)), "fr");
        assert_eq!(language_of(&["es".to_string()]), "en");
    }

    #[test]
    fn dates_for_each_language() {
        // 2026-11-29T15:00:00Z
        let ms = 1_795_964_400_000;
        assert_eq!(format_datetime(ms, &[]), "2026-11-29 15:00:00 UTC");
        assert_eq!(
            format_datetime(ms, &["de-at".into(), "de".into()]),
            "29. November 2026, 15:00:00 UTC"
        );
        assert_eq!(
            format_datetime(ms, &["fr".into()]),
            "29 novembre 2026 à 15:00:00 UTC"
        );
    }
}
