//! Targets built without a test harness (`test = false`, `doctest = false` in their
//! Cargo.toml: the function crates, which tests/ drives, and their binaries) must have no tests
//! to skip: a `#[test]` or a doc example added there later would never run. This checks it.

use std::path::{Path, PathBuf};

use lookout_dev::template::workspace_root;

/// The `.rs` files under `dir`, not descending into folders named in `skip`.
fn rust_files(dir: &Path, skip: &[&str], out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !skip.iter().any(|s| entry.file_name() == *s) {
                rust_files(&path, skip, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn has_test(file: &Path) -> bool {
    let text = std::fs::read_to_string(file).unwrap();
    text.contains("#[test]") || text.contains("#[tokio::test")
}

/// A doc comment's code block that rustdoc would run (a fence opening with no language, or
/// `rust` without `ignore`); closing fences are told apart from opening ones.
fn has_doc_example(file: &Path) -> bool {
    let mut inside = false;
    for line in std::fs::read_to_string(file).unwrap().lines() {
        let line = line.trim_start();
        let Some(doc) = line
            .strip_prefix("///")
            .or_else(|| line.strip_prefix("//!"))
            .map(str::trim)
        else {
            continue;
        };
        let Some(lang) = doc.strip_prefix("```") else {
            continue;
        };
        if inside {
            inside = false;
            continue;
        }
        inside = true;
        if lang.is_empty() || lang.starts_with("rust") && !lang.contains("ignore") {
            return true;
        }
    }
    false
}

fn manifests() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut dirs = vec![
        root.join("dev"),
        root.join("bench"),
        root.join("bench/floor"),
        root.join("tests"),
    ];
    for group in ["shared", "functions"] {
        for entry in std::fs::read_dir(root.join(group)).unwrap().flatten() {
            let path = entry.path();
            if group == "shared" {
                dirs.push(path);
            } else if path.is_dir() {
                dirs.extend(
                    std::fs::read_dir(&path)
                        .unwrap()
                        .flatten()
                        .map(|e| e.path()),
                );
            }
        }
    }
    dirs.into_iter()
        .map(|d| d.join("Cargo.toml"))
        .filter(|m| m.exists())
        .collect()
}

#[test]
fn targets_without_a_test_harness_have_no_tests_to_skip() {
    let mut problems = Vec::new();
    let mut skipped = 0;
    for manifest in manifests() {
        let dir = manifest.parent().unwrap();
        let toml: toml::Table = std::fs::read_to_string(&manifest).unwrap().parse().unwrap();
        let bins: Vec<PathBuf> = toml
            .get("bin")
            .and_then(|b| b.as_array())
            .map(|bins| {
                bins.iter()
                    .filter_map(|b| b.get("path")?.as_str())
                    .map(|p| dir.join(p))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(lib) = toml.get("lib") {
            let mut files = Vec::new();
            rust_files(&dir.join("src"), &[], &mut files);
            files.retain(|f| !bins.contains(f));
            if lib.get("test").and_then(|t| t.as_bool()) == Some(false) {
                skipped += 1;
                for f in files.iter().filter(|f| has_test(f)) {
                    problems.push(format!(
                        "{}: test = false, but {} has tests",
                        manifest.display(),
                        f.display()
                    ));
                }
            }
            if lib.get("doctest").and_then(|t| t.as_bool()) == Some(false) {
                for f in files.iter().filter(|f| has_doc_example(f)) {
                    problems.push(format!(
                        "{}: doctest = false, but {} has a doc example",
                        manifest.display(),
                        f.display()
                    ));
                }
            }
        }
        for bin in toml
            .get("bin")
            .and_then(|b| b.as_array())
            .into_iter()
            .flatten()
        {
            if bin.get("test").and_then(|t| t.as_bool()) == Some(false) {
                skipped += 1;
                let path = dir.join(
                    bin.get("path")
                        .and_then(|p| p.as_str())
                        .unwrap_or("src/main.rs"),
                );
                if has_test(&path) {
                    problems.push(format!(
                        "{}: a bin with test = false has tests in {}",
                        manifest.display(),
                        path.display()
                    ));
                }
            }
        }
    }
    assert!(
        skipped >= 70,
        "the function crates' empty harnesses are off: {skipped}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every production source file of the workspace: shared/, functions/, bench/, dev/ (not
/// `tests` folders, `tests.rs` modules or build output).
fn production_files() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["shared", "functions", "bench", "dev"] {
        rust_files(
            &root.join(dir),
            &["target", "tests", "node_modules"],
            &mut files,
        );
    }
    files.retain(|f| !f.ends_with("tests.rs"));
    files
}

#[test]
fn no_source_file_of_shared_functions_bench_or_dev_is_over_600_lines() {
    let files = production_files();
    assert!(files.len() > 200, "found only {} files", files.len());
    let over: Vec<String> = files
        .iter()
        .map(|f| (std::fs::read_to_string(f).unwrap().lines().count(), f))
        .filter(|(n, _)| *n > 600)
        .map(|(n, f)| format!("{} ({n} lines)", f.display()))
        .collect();
    assert!(over.is_empty(), "over 600 lines: {over:?}");
}

/// No `use super::*` or `pub use module::*` in production code (test modules, after the
/// file's first `#[cfg(test)]`, may glob their parent): a reader sees where each name comes
/// from, and each lib.rs lists its crate's public API by name.
#[test]
fn production_code_names_what_it_imports() {
    let mut globs = Vec::new();
    for file in production_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.trim_start();
            let is_use = code.starts_with("use ")
                || code.starts_with("pub use ")
                || code.starts_with("pub(crate) use ");
            if is_use && code.trim_end().ends_with("::*;") {
                globs.push(format!("{}:{}: {}", file.display(), n + 1, code.trim()));
            }
        }
    }
    assert!(
        globs.is_empty(),
        "glob imports in production code:\n{}",
        globs.join("\n")
    );
}

/// Every environment variable template.yaml gives a function is named once, in the registry
/// (`lookout_core::config::names`), and read through it.
#[test]
fn every_environment_name_the_template_sets_is_in_the_registry() {
    let registry =
        std::fs::read_to_string(workspace_root().join("shared/core/src/config.rs")).unwrap();
    let mut missing = std::collections::BTreeSet::new();
    let functions = lookout_tests::support::template().functions().unwrap();
    assert!(functions.len() >= 35);
    for function in functions {
        for name in function.env.keys() {
            let declared = format!("pub const {name}: &str = \"{name}\";");
            if name != "RUST_LOG" && !registry.contains(&declared) {
                missing.insert(format!("{name} ({})", function.logical_id));
            }
        }
    }
    assert!(missing.is_empty(), "not in config::names: {missing:?}");
}

/// HTTP lives at the edge: of the shared crates, only `lookout-http` depends on `lambda_http`
/// (directly or through another crate); core, keys, mail and the five domains name no status
/// code. Asked of cargo itself (`cargo tree -i lambda_http`), so a new dependency path counts.
#[test]
fn only_the_edge_crate_of_shared_sees_lambda_http() {
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "tree",
            "--frozen",
            "-i",
            "lambda_http",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(workspace_root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let dependents: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(dependents.contains("lookout-http"), "{text}");
    assert!(dependents.contains("send-logs"), "{text}");
    let shared: Vec<String> = std::fs::read_dir(workspace_root().join("shared"))
        .unwrap()
        .flatten()
        .map(|e| format!("lookout-{}", e.file_name().to_string_lossy()))
        .filter(|name| name != "lookout-http")
        .collect();
    assert!(shared.len() >= 8, "{shared:?}");
    let leaks: Vec<&String> = shared
        .iter()
        .filter(|c| dependents.contains(c.as_str()))
        .collect();
    assert!(
        leaks.is_empty(),
        "shared crates that reach lambda_http: {leaks:?}"
    );
}
