//! The rooms of `crates/api` and who may import whom (docs/architecture.md):
//! `v1/` and `ui/` import `http/` and `domain` only, never `infra` or
//! `boot/`; `config/` imports `domain` only; the root holds `main.rs`,
//! `lib.rs` and `routes.rs` and nothing else; no source file of `domain`
//! or `api` is over 400 lines.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The files of `room` that name any of `forbidden`, with the line.
fn imports(room: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for file in rust_files(&src().join(room)) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if forbidden.iter().any(|f| code.contains(f)) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn the_json_api_the_pages_and_the_oauth2_endpoints_import_neither_infra_nor_boot() {
    for room in ["v1", "ui", "oauth2"] {
        let found = imports(room, &["infra::", "crate::boot", "crate::routes", "crate::config"]);
        assert!(found.is_empty(), "{room}/ reaches past http/ and domain:\n{}", found.join("\n"));
    }
}

#[test]
fn the_settings_import_the_domain_only() {
    let found =
        imports("config", &["infra::", "crate::boot", "crate::http", "crate::v1", "crate::ui", "crate::routes"]);
    assert!(found.is_empty(), "config/ imports more than domain:\n{}", found.join("\n"));
}

#[test]
fn the_plumbing_imports_no_route_and_no_boot() {
    let found =
        imports("http", &["crate::boot", "crate::ui", "crate::v1", "crate::oauth2", "crate::routes", "crate::config"]);
    assert!(found.is_empty(), "http/ reaches into the rooms it serves:\n{}", found.join("\n"));
}

#[test]
fn the_root_holds_only_main_lib_and_routes() {
    let mut root: Vec<String> = std::fs::read_dir(src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    root.sort();
    assert_eq!(root, ["lib.rs", "main.rs", "routes.rs"]);
}

#[test]
fn no_source_file_of_domain_or_api_is_over_400_lines() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut long = Vec::new();
    for krate in ["api", "domain"] {
        for file in rust_files(&crates.join(krate).join("src")) {
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            if lines > 400 {
                long.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(long.is_empty(), "split these by concept:\n{}", long.join("\n"));
}
