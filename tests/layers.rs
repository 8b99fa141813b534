//! The layer rule: no module imports one above it. The allowed imports are
//! the table in docs/architecture.md ("Who may import whom"); this test reads
//! that table and every `crate::` path under src/, so the document and the
//! code cannot drift apart. A new top-level module must get a row there.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Matrix = BTreeMap<String, BTreeSet<String>>;

const TABLE_START: &str = "<!-- layers:begin -->";
const TABLE_END: &str = "<!-- layers:end -->";

/// Rows `| module | may import |` between the markers; `-` for none.
fn parse_matrix(doc: &str) -> Matrix {
    let start = doc.find(TABLE_START).expect("layers:begin marker") + TABLE_START.len();
    let end = doc.find(TABLE_END).expect("layers:end marker");
    let mut matrix = Matrix::new();
    for line in doc[start..end].lines() {
        let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
        if cells.len() != 2 {
            continue;
        }
        let module = cells[0].trim().trim_matches('`');
        if module.is_empty() || module == "module" || module.starts_with('-') {
            continue;
        }
        let allowed = cells[1]
            .split(',')
            .map(|m| m.trim().trim_matches('`').to_string())
            .filter(|m| !m.is_empty() && m != "-")
            .collect();
        matrix.insert(module.to_string(), allowed);
    }
    matrix
}

/// The top-level modules a source text names through `crate::` (or
/// `tidings::`, the binary's name for the library), with the line they are
/// named on, including `use crate::{a::X, b}` groups.
fn imports(source: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let starts = source
        .match_indices("crate::")
        .chain(source.match_indices("tidings::"));
    for (at, prefix) in starts {
        // `$crate::` is a macro path, `my_crate::` another crate, `"tidings::x"` a log filter.
        if source[..at].ends_with(|c: char| c == '$' || c == '"' || c == '_' || c.is_alphanumeric())
        {
            continue;
        }
        let line = source[..at].matches('\n').count() + 1;
        let rest = &source[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut segment_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => segment_start = true,
                    c if segment_start && (c.is_alphabetic() || c == '_') => {
                        segment_start = false;
                        found.push((ident(&group[i..]), line));
                    }
                    _ => {}
                }
            }
        } else {
            found.push((ident(rest), line));
        }
    }
    found
}

fn ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src/") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/api/queues.rs` -> `api`; `src/startup.rs` -> `startup`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("a file under src/");
    let first = rel.components().next().expect("a path component");
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_string()
}

/// Every import the matrix does not allow, as `file:line: a -> b`.
fn back_edges(matrix: &Matrix, files: &[(String, String, String)]) -> Vec<String> {
    let mut bad = Vec::new();
    for (module, name, source) in files {
        let Some(allowed) = matrix.get(module) else {
            bad.push(format!(
                "{name}: module `{module}` has no row in docs/architecture.md"
            ));
            continue;
        };
        for (target, line) in imports(source) {
            if target != *module && !allowed.contains(&target) && allowed.iter().all(|a| a != "*") {
                bad.push(format!("{name}:{line}: {module} -> {target}"));
            }
        }
    }
    bad
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_module_imports_a_layer_it_may_not() {
    let doc =
        std::fs::read_to_string(root().join("docs/architecture.md")).expect("docs/architecture.md");
    let matrix = parse_matrix(&doc);
    let src = root().join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let files: Vec<(String, String, String)> = paths
        .iter()
        // The library's root only declares the modules.
        .filter(|p| *p != &src.join("lib.rs"))
        .map(|p| {
            let source = std::fs::read_to_string(p).expect("a readable source file");
            let name = p.strip_prefix(root()).unwrap_or(p).display().to_string();
            (module_of(&src, p), name, source)
        })
        .collect();
    assert!(files.len() > 100, "found only {} source files", files.len());
    let bad = back_edges(&matrix, &files);
    assert!(
        bad.is_empty(),
        "imports against docs/architecture.md (move the shared type one layer down):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_table_is_read_and_a_back_edge_is_caught() {
    let doc =
        std::fs::read_to_string(root().join("docs/architecture.md")).expect("docs/architecture.md");
    let matrix = parse_matrix(&doc);
    for module in ["api", "service", "store", "domain", "delivery", "drivers"] {
        assert!(matrix.contains_key(module), "no row for {module}");
    }
    assert!(matrix["api"].contains("service"));
    assert!(!matrix["store"].contains("delivery"));
    let planted = |module: &str, source: &str| {
        back_edges(
            &matrix,
            &[(module.into(), "planted.rs".into(), source.into())],
        )
    };
    assert_eq!(
        planted("store", "use crate::delivery::outbox::NewDelivery;\n"),
        vec!["planted.rs:1: store -> delivery"]
    );
    assert_eq!(
        planted(
            "domain",
            "use serde::Serialize;\nuse crate::{clock::Clock, drivers::webhook};\n"
        ),
        vec!["planted.rs:2: domain -> drivers"]
    );
    assert_eq!(
        planted("service", "fn f(s: &crate::api::AppState) {}\n"),
        vec!["planted.rs:1: service -> api"]
    );
    assert!(planted("api", "use crate::service::Deps;\nuse crate::store;\n").is_empty());
    assert_eq!(
        planted("cli", "use tidings::delivery::worker;\n"),
        vec!["planted.rs:1: cli -> delivery"]
    );
    assert_eq!(
        planted("nowhere", "").len(),
        1,
        "a module without a row is reported"
    );
}

/// Where a source opens a transaction: `.begin()` or sea-orm's
/// `TransactionTrait` (which is what `begin` needs in scope).
fn opens_transaction(source: &str) -> Option<usize> {
    source
        .lines()
        .position(|l| l.contains(".begin()") || l.contains("TransactionTrait"))
        .map(|i| i + 1)
}

#[test]
fn no_handler_opens_a_transaction() {
    let api = root().join("src/api");
    let mut paths = Vec::new();
    rust_files(&api, &mut paths);
    assert!(paths.len() > 10, "found only {} handler files", paths.len());
    let opened: Vec<String> = paths
        .iter()
        .filter_map(|p| {
            let source = std::fs::read_to_string(p).expect("a readable source file");
            opens_transaction(&source).map(|line| format!("{}:{line}", p.display()))
        })
        .collect();
    assert!(
        opened.is_empty(),
        "handlers parse and answer; the use case in service/ owns the transaction:\n{}",
        opened.join("\n")
    );
    assert_eq!(
        opens_transaction("let x = 1;\nlet txn = state.db.begin().await?;\n"),
        Some(2)
    );
    assert_eq!(
        opens_transaction("service::claims::create(&state.db).await?;\n"),
        None
    );
}
