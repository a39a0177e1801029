//! `cargo xtask tidy`: checks that keep the architecture honest.
//!
//! 1. The dependency rule: `wa-domain`'s normal dependency tree holds no database or HTTP crate.
//! 2. Every Rust source file opens with a `//!` module doc.
//! 3. No `todo!` or `unimplemented!` is left in the sources.
//! 4. No unused dependencies: every dependency a member declares (of any kind) is named in its
//!    Rust code (`name::` or `use name`), or its manifest says why not under
//!    `[package.metadata.tidy.unnamed-dependencies]`.
//! 5. Adapters do not know each other: the normal dependencies of `wa-store`, `wa-graph`,
//!    `wa-vault` and `wa-sim` name no other workspace member than `wa-domain` (and, for
//!    `wa-store`, `migration`, its own schema).
//! 6. One composition root: in `wa-app`'s sources only `compose.rs` names `wa_store` or
//!    `wa_vault`; everything else reaches the database and the vault through the domain's ports.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, bail};

use crate::workspace::{Member, members};

/// Crates that must never appear in `wa-domain`'s normal dependency tree.
const FORBIDDEN_IN_DOMAIN: &[&str] = &[
    "sea-orm",
    "sea-query",
    "sqlx",
    "reqwest",
    "hyper",
    "axum",
    "tokio",
];

/// Folders whose Rust files are ours and must follow the rules.
const SOURCE_ROOTS: &[&str] = &["crates", "migration", "xtask"];

pub(crate) fn run(root: &Path) -> Result<()> {
    let mut problems = Vec::new();
    problems.extend(check_domain_dependencies(root)?);
    let members = members(root)?;
    for member in &members {
        problems.extend(unused_dependencies(member)?);
    }
    problems.extend(adapters_knowing_adapters(&members));
    problems.extend(composition_root(root)?);
    let files = rust_files(root)?;
    for file in &files {
        problems.extend(check_file(root, file)?);
    }
    if problems.is_empty() {
        println!(
            "tidy: ok ({} Rust files, wa-domain dependency rule holds, no unused dependencies)",
            files.len()
        );
        return Ok(());
    }
    for problem in &problems {
        eprintln!("tidy: {problem}");
    }
    bail!("tidy found {} problem(s)", problems.len())
}

fn check_domain_dependencies(root: &Path) -> Result<Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(root)
        .args([
            "tree",
            "-p",
            "wa-domain",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .context("running cargo tree")?;
    if !output.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let tree = String::from_utf8(output.stdout).context("cargo tree printed non-UTF-8")?;
    Ok(forbidden_dependencies(&tree)
        .into_iter()
        .map(|name| format!("wa-domain depends on `{name}`: the domain must stay free of database and HTTP crates"))
        .collect())
}

/// The forbidden crate names found in `cargo tree --prefix none --format {p}` output.
fn forbidden_dependencies(tree: &str) -> Vec<String> {
    let mut found: Vec<String> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| FORBIDDEN_IN_DOMAIN.contains(name))
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Adapter crates: each depends on the domain, none on another member.
const ADAPTERS: &[&str] = &["wa-store", "wa-graph", "wa-vault", "wa-sim"];

/// The members an adapter may depend on: the domain, and `wa-store` its own schema.
const ADAPTER_MAY_USE: &[(&str, &str)] = &[
    ("wa-store", "wa-domain"),
    ("wa-store", "migration"),
    ("wa-graph", "wa-domain"),
    ("wa-vault", "wa-domain"),
    ("wa-sim", "wa-domain"),
];

/// The one file of `wa-app` that may name adapter crates.
const COMPOSITION_ROOT: &str = "crates/wa-app/src/compose.rs";

/// Adapter crates the composition root alone may name.
const COMPOSED_ONLY: &[&str] = &["wa_store", "wa_vault"];

/// An adapter whose normal dependencies name another workspace member than `wa-domain`.
fn adapters_knowing_adapters(members: &[Member]) -> Vec<String> {
    let ours: Vec<&str> = members.iter().map(|member| member.name.as_str()).collect();
    members
        .iter()
        .filter(|member| ADAPTERS.contains(&member.name.as_str()))
        .flat_map(|member| {
            member
                .dependencies
                .iter()
                .filter(|dependency| {
                    dependency.kind == "normal"
                        && ours.contains(&dependency.package.as_str())
                        && !ADAPTER_MAY_USE.contains(&(member.name.as_str(), &dependency.package))
                })
                .map(move |dependency| {
                    format!(
                        "{} depends on `{}`: adapters know only wa-domain; the app composes them",
                        member.name, dependency.package
                    )
                })
        })
        .collect()
}

/// Files of `wa-app/src` other than the composition root that name `wa_store` or `wa_vault`.
fn composition_root(root: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    collect_rust_files(&root.join("crates/wa-app/src"), &mut files)?;
    let mut problems = Vec::new();
    for file in files {
        let relative = file.strip_prefix(root).unwrap_or(&file);
        if relative == Path::new(COMPOSITION_ROOT) {
            continue;
        }
        let code =
            fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        problems.extend(adapters_named(&code).into_iter().map(|name| {
            format!(
                "{}: names `{name}`; only {COMPOSITION_ROOT} may (reach storage and the vault \
                 through wa-domain's ports)",
                relative.display()
            )
        }));
    }
    Ok(problems)
}

/// The crates of [`COMPOSED_ONLY`] that `code` names outside comments.
fn adapters_named(code: &str) -> Vec<&'static str> {
    let code: String = code
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    COMPOSED_ONLY
        .iter()
        .copied()
        .filter(|name| names_crate(&code, name))
        .collect()
}

/// The dependencies `member` declares but never names in its code.
fn unused_dependencies(member: &Member) -> Result<Vec<String>> {
    let mut files = Vec::new();
    collect_rust_files(&member.dir, &mut files)?;
    let mut code = String::new();
    for file in &files {
        code.push_str(
            &fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?,
        );
        code.push('\n');
    }
    let mut problems = Vec::new();
    for dependency in &member.dependencies {
        let allowed = member
            .unnamed_ok
            .iter()
            .any(|(name, why)| name == &dependency.package && !why.trim().is_empty());
        if allowed || names_crate(&code, &dependency.crate_name) {
            continue;
        }
        problems.push(format!(
            "{}: the {} dependency `{}` is never named in its code: remove it, or say why it is \
             needed under [package.metadata.tidy.unnamed-dependencies]",
            member.name, dependency.kind, dependency.package
        ));
    }
    problems.dedup();
    Ok(problems)
}

/// Whether `code` names the crate `name` as a path root (`name::`), in a `use` or an
/// `extern crate`, as a whole word.
fn names_crate(code: &str, name: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    code.match_indices(name).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = &code[at + name.len()..];
        if before.is_some_and(is_word) {
            return false;
        }
        let prefix = code[..at].trim_end();
        after.starts_with("::")
            || ((prefix.ends_with("use") || prefix.ends_with("extern crate"))
                && !after.starts_with(is_word))
    })
}

fn rust_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for dir in SOURCE_ROOTS {
        collect_rust_files(&root.join(dir), &mut files)?;
    }
    files.sort();
    Ok(files)
}

fn collect_rust_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                collect_rust_files(&path, files)?;
            }
        } else if name.ends_with(".rs") {
            files.push(path);
        }
    }
    Ok(())
}

fn check_file(root: &Path, file: &Path) -> Result<Vec<String>> {
    let text = fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let shown = file
        .strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string();
    Ok(source_problems(&text)
        .into_iter()
        .map(|problem| format!("{shown}: {problem}"))
        .collect())
}

/// What is wrong with one source file's text.
fn source_problems(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if !text.starts_with("//!") {
        problems.push("does not open with a `//!` module doc".to_owned());
    }
    // Built from parts so this file does not flag itself.
    let banned = [concat!("todo", "!("), concat!("unimplemented", "!(")];
    for (number, line) in text.lines().enumerate() {
        for pattern in banned {
            if line.contains(pattern) {
                problems.push(format!("line {}: `{pattern}` left in the code", number + 1));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::{adapters_named, forbidden_dependencies, names_crate, source_problems};

    #[test]
    fn adapter_crates_named_in_code_are_found_and_comments_are_not() {
        assert_eq!(
            adapters_named("use wa_store::Store;\nlet v = wa_vault::KeyId::parse(x);"),
            vec!["wa_store", "wa_vault"]
        );
        assert!(adapters_named("// see wa_store::Store\n/// wa_vault::Keyring\n").is_empty());
        assert!(adapters_named("use wa_domain::ports::SecretSealer;").is_empty());
    }

    #[test]
    fn a_crate_is_named_by_a_path_or_a_use_as_a_whole_word() {
        assert!(names_crate("let x = serde_json::json!({});", "serde_json"));
        assert!(names_crate("use tower;\n", "tower"));
        assert!(names_crate("extern crate rand;", "rand"));
        assert!(!names_crate("use tower_http::trace;", "tower"));
        assert!(!names_crate("let my_rand::x = 1; use grand::y;", "rand"));
        assert!(!names_crate("// tracing is great", "tracing"));
    }

    #[test]
    fn flags_forbidden_crates_once() {
        let tree = "wa-domain v0.1.0\nserde v1.0.0\nsqlx v0.8.0\nreqwest v0.13.0\nsqlx v0.8.0\nhyper-util v0.1\n";
        assert_eq!(forbidden_dependencies(tree), vec!["reqwest", "sqlx"]);
    }

    #[test]
    fn clean_tree_passes() {
        assert!(forbidden_dependencies("wa-domain v0.1.0\nserde v1\ntime v0.3\n").is_empty());
    }

    #[test]
    fn file_without_module_doc_is_flagged() {
        assert_eq!(source_problems("fn main() {}\n").len(), 1);
        assert!(source_problems("//! Docs.\nfn main() {}\n").is_empty());
    }

    #[test]
    fn leftover_todo_is_flagged() {
        let text = format!(
            "//! Docs.\nfn f() {{ {}\"later\") }}\n",
            concat!("todo", "!(")
        );
        assert_eq!(source_problems(&text).len(), 1);
    }
}
