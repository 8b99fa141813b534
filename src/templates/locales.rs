//! Per-language template files: `email/confirm/body.de.txt` beside
//! `email/confirm/body.txt`. A lookup walks a fallback chain (`fr-ca`,
//! `fr`) and ends at the file without a language, which is English.
//! Tags in names are kept in lower case.
use std::path::{Path, PathBuf};

/// `email/confirm/body.txt` in `de`: `email/confirm/body.de.txt`.
pub fn localized(name: &str, tag: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.ends_with('/') => format!("{stem}.{tag}.{ext}"),
        _ => format!("{name}.{tag}"),
    }
}

/// Files of the operator's directory that translate `name`
/// (`body.fr.txt`, `body.fr-CA.txt` for `body.txt`), with the template
/// name each is kept under.
pub fn operator_variants(dir: &Path, name: &str) -> Vec<(String, PathBuf)> {
    let path = dir.join(name);
    let (Some(parent), Some(file)) = (path.parent(), path.file_name().and_then(|f| f.to_str()))
    else {
        return Vec::new();
    };
    let Some((stem, ext)) = file.rsplit_once('.') else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let prefix = format!("{stem}.");
    let suffix = format!(".{ext}");
    let folder = name.rsplit_once('/').map_or("", |(folder, _)| folder);
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Ok(entry_name) = entry.file_name().into_string() else {
            continue;
        };
        let Some(tag) = entry_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(&suffix))
        else {
            continue;
        };
        let is_tag = !tag.is_empty()
            && tag.len() <= 35
            && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if is_tag && entry.path().is_file() {
            let base = if folder.is_empty() {
                file.to_string()
            } else {
                format!("{folder}/{file}")
            };
            found.push((localized(&base, &tag.to_ascii_lowercase()), entry.path()));
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            localized("email/confirm/body.txt", "de"),
            "email/confirm/body.de.txt"
        );
        assert_eq!(
            localized("page/layout.html", "fr-ca"),
            "page/layout.fr-ca.html"
        );
    }

    #[test]
    fn operator_files_in_any_language() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("email/confirm")).unwrap();
        for f in [
            "body.es.txt",
            "body.fr-CA.txt",
            "body.txt",
            "subject.es.txt",
            "body.es.html",
        ] {
            std::fs::write(dir.path().join("email/confirm").join(f), "x").unwrap();
        }
        let names: Vec<String> = operator_variants(dir.path(), "email/confirm/body.txt")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            ["email/confirm/body.es.txt", "email/confirm/body.fr-ca.txt"]
        );
    }
}
