//! The docs point at files that exist: every path in backticks in README.md
//! and `docs/*.md` that starts at the top of the repository (or at a crate,
//! `api/src/…`), with `{a,b}` alternatives expanded.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `a/{b,c}.rs` → `a/b.rs`, `a/c.rs`.
fn expand(path: &str) -> Vec<String> {
    match (path.find('{'), path.find('}')) {
        (Some(open), Some(close)) if open < close => path[open + 1..close]
            .split(',')
            .flat_map(|alt| expand(&format!("{}{alt}{}", &path[..open], &path[close + 1..])))
            .collect(),
        _ => vec![path.to_owned()],
    }
}

/// The repository paths named in `text`.
fn named_paths(text: &str) -> Vec<String> {
    const TOP: [&str; 7] = ["crates/", "migration/", "docker/", "tests/", "postman/", ".ci/", "docs/"];
    const CRATES: [&str; 3] = ["api/", "domain/", "infra/"];
    // Fenced blocks are examples, not references (and their three
    // backticks would turn the inline ones inside out).
    let prose: String = text.split("```").step_by(2).collect();
    prose
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.contains(' ') && !s.contains('*') && !s.contains('<') && !s.contains("::"))
        .filter_map(|s| {
            if TOP.iter().any(|t| s.starts_with(t)) {
                Some(s.to_owned())
            } else if CRATES.iter().any(|c| s.starts_with(c)) && s.contains('/') && s.contains('.') {
                Some(format!("crates/{s}"))
            } else {
                None
            }
        })
        .flat_map(|s| expand(&s))
        .collect()
}

#[test]
fn every_path_the_docs_name_exists() {
    let root = root();
    let mut docs = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            docs.push(path);
        }
    }
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        for path in named_paths(&text) {
            checked += 1;
            let trimmed = path.trim_end_matches('/').trim_end_matches(':');
            if !root.join(trimmed).exists() {
                missing.push(format!("{}: {path}", doc.file_name().unwrap().to_string_lossy()));
            }
        }
    }
    assert!(checked > 100, "only {checked} paths found: the scan is broken");
    assert!(missing.is_empty(), "the docs name paths that do not exist:\n{}", missing.join("\n"));
}

#[test]
fn alternatives_in_braces_are_each_a_path() {
    assert_eq!(expand("a/{b,c}.rs"), ["a/b.rs", "a/c.rs"]);
    assert_eq!(
        named_paths("see `api/src/v1/{x,y}.rs` and `cargo test` and `crates/z/`"),
        ["crates/api/src/v1/x.rs", "crates/api/src/v1/y.rs", "crates/z/"]
    );
}
