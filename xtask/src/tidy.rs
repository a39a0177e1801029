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
//! 7. No import circle between a crate's modules: the graph of the paths each file names through
//!    `crate::`, `super::` or `self::` (in a `use` or inline) is a DAG, per crate root (`lib.rs`,
//!    `main.rs`), so a router sits above its handlers and shared helpers sit at the bottom. Crates
//!    listed in `CRATES_WITH_IMPORT_CIRCLES` are not checked until their circles are removed, and
//!    a listed crate without a circle is a problem (remove it from the list).

use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
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

/// Crates whose modules still import each other in a circle (issue 19), with why they are not
/// checked yet; every other crate is. Remove a crate from here once its circles are gone.
const CRATES_WITH_IMPORT_CIRCLES: &[(&str, &str)] = &[
    (
        "wa-app",
        "http::auth, http::signup, http::signup_page and state: issue 19",
    ),
    (
        "wa-domain",
        "content, inbound, message; content::flow and interactive: issue 19",
    ),
    ("wa-graph", "webhook::fast and webhook::parse: issue 19"),
];

/// Folders whose Rust files are ours and must follow the rules.
const SOURCE_ROOTS: &[&str] = &["crates", "migration", "xtask"];

pub(crate) fn run(root: &Path) -> Result<()> {
    let mut problems = Vec::new();
    problems.extend(check_domain_dependencies(root)?);
    let members = members(root)?;
    for member in &members {
        problems.extend(unused_dependencies(member)?);
        problems.extend(module_import_cycles(member)?);
    }
    problems.extend(adapters_knowing_adapters(&members));
    problems.extend(composition_root(root)?);
    let files = rust_files(root)?;
    for file in &files {
        problems.extend(check_file(root, file)?);
    }
    if problems.is_empty() {
        println!(
            "tidy: ok ({} Rust files, wa-domain dependency rule holds, no unused dependencies, no module import circle)",
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

/// The import circles between `member`'s modules, one problem per knot, for each crate root
/// (`src/lib.rs`, `src/main.rs`).
fn module_import_cycles(member: &Member) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for root in ["lib.rs", "main.rs"] {
        let root_file = member.dir.join("src").join(root);
        if !root_file.exists() {
            continue;
        }
        let mut modules = Vec::new();
        collect_modules(&root_file, true, Vec::new(), &mut modules)?;
        let sources: Vec<ModuleSource<'_>> = modules
            .iter()
            .map(|(path, text)| ModuleSource {
                path: path.clone(),
                text: text.as_str(),
            })
            .collect();
        for circle in import_cycles(&sources) {
            problems.push(format!(
                "{} ({root}): modules import each other in a circle: {circle}; move what they \
                 share into a module below them all",
                member.name
            ));
        }
    }
    let listed = CRATES_WITH_IMPORT_CIRCLES
        .iter()
        .any(|(name, _)| *name == member.name);
    if listed {
        // Listed crates are not held to the rule yet, but the list must not outlive its circles.
        return Ok(if problems.is_empty() {
            vec![format!(
                "{}: has no module import circle any more: remove it from \
                 CRATES_WITH_IMPORT_CIRCLES in xtask/src/tidy.rs",
                member.name
            )]
        } else {
            Vec::new()
        });
    }
    Ok(problems)
}

/// Reads `file` (the module at `path`) and, through its `mod name;` declarations, every module
/// file below it. `owns_folder` says whether its children live beside it (`lib.rs`, `main.rs`,
/// `mod.rs`) rather than in a folder named after it.
fn collect_modules(
    file: &Path,
    owns_folder: bool,
    path: Vec<String>,
    modules: &mut Vec<(Vec<String>, String)>,
) -> Result<()> {
    let text = fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let parent = file.parent().unwrap_or(Path::new("."));
    let folder = if owns_folder {
        parent.to_path_buf()
    } else {
        let stem = file
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default();
        parent.join(stem)
    };
    let children = declared_modules(&text);
    modules.push((path.clone(), text));
    for child in children {
        let mut child_path = path.clone();
        child_path.push(child.clone());
        let flat = folder.join(format!("{child}.rs"));
        if flat.exists() {
            collect_modules(&flat, false, child_path, modules)?;
            continue;
        }
        let nested = folder.join(&child).join("mod.rs");
        if nested.exists() {
            collect_modules(&nested, true, child_path, modules)?;
        }
    }
    Ok(())
}

/// The names of the out-of-line modules a file declares (`mod name;`, `pub(crate) mod name;`).
fn declared_modules(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = match line.strip_prefix("pub") {
                Some(rest) if rest.starts_with('(') => rest.split_once(')')?.1.trim_start(),
                Some(rest) => rest.trim_start(),
                None => line,
            };
            let name = line.strip_prefix("mod ")?.strip_suffix(';')?.trim();
            Some(name.to_owned())
        })
        .collect()
}

/// One module of a crate: its path from the crate root (empty for the root) and its source.
struct ModuleSource<'a> {
    path: Vec<String>,
    text: &'a str,
}

/// One import circle: the shortest loop through the first module of a knot of modules that reach
/// one another, with the first module repeated at the end (`crate` names the root).
#[derive(Debug, PartialEq)]
struct Circle {
    modules: Vec<String>,
    /// Every module of the knot, sorted (the loop may show only some of them).
    knot: Vec<String>,
}

impl std::fmt::Display for Circle {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.modules.join(" → "))?;
        let shown = self.modules.len().saturating_sub(1);
        if self.knot.len() > shown {
            write!(
                formatter,
                " (the knot holds {} modules: {})",
                self.knot.len(),
                self.knot.join(", ")
            )?;
        }
        Ok(())
    }
}

/// The import circles between `modules`, one per knot.
fn import_cycles(modules: &[ModuleSource<'_>]) -> Vec<Circle> {
    let index: BTreeMap<&[String], usize> = modules
        .iter()
        .enumerate()
        .map(|(at, module)| (module.path.as_slice(), at))
        .collect();
    let edges: Vec<BTreeSet<usize>> = modules
        .iter()
        .enumerate()
        .map(|(at, module)| {
            named_paths(&module.path, module.text)
                .iter()
                .filter_map(|path| {
                    (0..=path.len())
                        .rev()
                        .find_map(|len| index.get(&path[..len]).copied())
                })
                .filter(|&target| target != at)
                .collect()
        })
        .collect();
    let name = |at: usize| {
        if modules[at].path.is_empty() {
            "crate".to_owned()
        } else {
            modules[at].path.join("::")
        }
    };
    strongly_connected(&edges)
        .into_iter()
        .filter(|knot| knot.len() > 1)
        .map(|knot| Circle {
            modules: shortest_circle(&edges, &knot)
                .into_iter()
                .map(name)
                .collect(),
            knot: {
                let mut names: Vec<String> = knot.into_iter().map(name).collect();
                names.sort();
                names
            },
        })
        .collect()
}

/// The knots (strongly connected components) of a directed graph, each sorted, by Tarjan's
/// algorithm (iterative).
fn strongly_connected(edges: &[BTreeSet<usize>]) -> Vec<Vec<usize>> {
    let count = edges.len();
    let mut order = vec![usize::MAX; count];
    let mut low = vec![0; count];
    let mut on_stack = vec![false; count];
    let mut stack = Vec::new();
    let mut knots = Vec::new();
    let mut next = 0;
    for start in 0..count {
        if order[start] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, Vec<usize>)> = Vec::new();
        order[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        work.push((start, edges[start].iter().copied().collect()));
        while let Some((node, pending)) = work.last_mut() {
            let node = *node;
            if let Some(target) = pending.pop() {
                if order[target] == usize::MAX {
                    order[target] = next;
                    low[target] = next;
                    next += 1;
                    stack.push(target);
                    on_stack[target] = true;
                    work.push((target, edges[target].iter().copied().collect()));
                } else if on_stack[target] {
                    low[node] = low[node].min(order[target]);
                }
                continue;
            }
            work.pop();
            if let Some((parent, _)) = work.last() {
                low[*parent] = low[*parent].min(low[node]);
            }
            if low[node] == order[node] {
                let mut knot = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    knot.push(member);
                    if member == node {
                        break;
                    }
                }
                knot.sort_unstable();
                knots.push(knot);
            }
        }
    }
    knots.sort();
    knots
}

/// The shortest circle from the knot's first node back to itself, staying inside the knot, with
/// the first node repeated at the end.
fn shortest_circle(edges: &[BTreeSet<usize>], knot: &[usize]) -> Vec<usize> {
    let start = knot[0];
    let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &target in &edges[node] {
            if !knot.contains(&target) {
                continue;
            }
            if target == start {
                let mut circle = vec![start, node];
                let mut at = node;
                while let Some(&before) = came_from.get(&at) {
                    circle.push(before);
                    at = before;
                }
                circle.reverse();
                return circle;
            }
            if let std::collections::btree_map::Entry::Vacant(entry) = came_from.entry(target) {
                entry.insert(node);
                queue.push_back(target);
            }
        }
    }
    vec![start]
}

/// The absolute module paths `text` (the module at `module`) names through `crate::`, `super::`
/// or `self::`, in `use` trees (`use crate::{a, b::{c, d}}`) and inline paths alike (a parent's
/// relative paths to its own children, `mod child;` then `child::…`, are not read: a folder module
/// and its files count as one façade). Comment lines are skipped, and so is
/// an inline test module (`#[cfg(test)]` then `mod tests {`) and all that follows it: tests may
/// reach anywhere. A path keeps its item names (`["a", "Thing"]`): the caller finds the module.
fn named_paths(module: &[String], text: &str) -> Vec<Vec<String>> {
    let mut kept = Vec::new();
    let mut after_cfg_test = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if after_cfg_test && trimmed.starts_with("mod ") && trimmed.ends_with('{') {
            break;
        }
        after_cfg_test = trimmed == "#[cfg(test)]";
        if !trimmed.starts_with("//") {
            kept.push(line);
        }
    }
    let code = kept.join("\n");
    let bytes = code.as_bytes();
    let is_word = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    // Where a path starts: its first word and the module it is relative to.
    let starts = [
        ("crate::", Vec::new()),
        ("super::", module[..module.len().saturating_sub(1)].to_vec()),
        ("self::", module.to_vec()),
    ];
    let mut paths = Vec::new();
    for (word, base) in &starts {
        for (at, _) in code.match_indices(word) {
            // A word in the middle of a path, or in a string literal, starts nothing.
            if at > 0 && (is_word(bytes[at - 1]) || matches!(bytes[at - 1], b':' | b'.' | b'"')) {
                continue;
            }
            let mut base = base.clone();
            let mut cursor = at + word.len();
            while code[cursor..].starts_with("super::") {
                base.pop();
                cursor += "super::".len();
            }
            parse_use_tree(bytes, &mut cursor, &base, &mut paths);
        }
    }
    paths
}

/// Parses one use tree at `cursor` (a name path, a `{…}` group, `*` or `self`) under `prefix`,
/// pushing each full path it names.
fn parse_use_tree(
    bytes: &[u8],
    cursor: &mut usize,
    prefix: &[String],
    paths: &mut Vec<Vec<String>>,
) {
    let skip_space = |cursor: &mut usize| {
        while *cursor < bytes.len() && bytes[*cursor].is_ascii_whitespace() {
            *cursor += 1;
        }
    };
    skip_space(cursor);
    if bytes.get(*cursor) == Some(&b'{') {
        *cursor += 1;
        loop {
            skip_space(cursor);
            match bytes.get(*cursor) {
                None => return,
                Some(b'}') => {
                    *cursor += 1;
                    return;
                }
                Some(b',') => *cursor += 1,
                Some(_) => {
                    let before = *cursor;
                    parse_use_tree(bytes, cursor, prefix, paths);
                    // Skip what a tree does not consume (`as name`), up to the next `,` or `}`.
                    while *cursor < bytes.len() && !matches!(bytes[*cursor], b',' | b'}' | b'{') {
                        *cursor += 1;
                    }
                    if *cursor == before {
                        *cursor += 1;
                    }
                }
            }
        }
    }
    let start = *cursor;
    while *cursor < bytes.len()
        && (bytes[*cursor].is_ascii_alphanumeric() || bytes[*cursor] == b'_')
    {
        *cursor += 1;
    }
    let name = String::from_utf8_lossy(&bytes[start..*cursor]).into_owned();
    let mut path = prefix.to_vec();
    if !name.is_empty() && name != "self" {
        path.push(name);
    }
    if !path.is_empty() && bytes[*cursor..].starts_with(b"::") && start != *cursor {
        *cursor += 2;
        parse_use_tree(bytes, cursor, &path, paths);
        return;
    }
    paths.push(path);
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
    use super::{
        Circle, ModuleSource, adapters_named, declared_modules, forbidden_dependencies,
        import_cycles, named_paths, names_crate, source_problems,
    };

    #[test]
    fn adapter_crates_named_in_code_are_found_and_comments_are_not() {
        assert_eq!(
            adapters_named("use wa_store::Store;\nlet v = wa_vault::KeyId::parse(x);"),
            vec!["wa_store", "wa_vault"]
        );
        assert!(adapters_named("// see wa_store::Store\n/// wa_vault::Keyring\n").is_empty());
        assert!(adapters_named("use wa_domain::ports::SecretSealer;").is_empty());
    }

    fn module<'a>(path: &str, text: &'a str) -> ModuleSource<'a> {
        ModuleSource {
            path: path
                .split("::")
                .filter(|part| !part.is_empty())
                .map(str::to_owned)
                .collect(),
            text,
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn use_trees_and_inline_paths_are_read_as_absolute_paths() {
        let text = "//! Docs.\nmod child;\n// use crate::commented::Out;\nuse crate::{a, b::{c::D, self}, e::F as G};\nuse super::super::h::*;\nfn f() { self::i::j(); crate::k::l(); std::crate_like::n(\"crate::quoted\"); }\n#[cfg(test)]\nmod tests {\n    use crate::tested::Anything;\n}\n";
        let module = names(&["x", "y", "z"]);
        let mut paths = named_paths(&module, text);
        paths.sort();
        let expected: Vec<Vec<String>> = vec![
            names(&["a"]),
            names(&["b"]),
            names(&["b", "c", "D"]),
            names(&["e", "F"]),
            names(&["k", "l"]),
            names(&["x", "h"]),
            names(&["x", "y", "z", "i", "j"]),
        ];
        assert_eq!(paths, expected);
    }

    #[test]
    fn out_of_line_modules_are_found() {
        let text =
            "mod a;\npub mod b;\npub(crate) mod c;\n#[cfg(test)]\nmod tests;\nmod inline {}\n";
        assert_eq!(declared_modules(text), names(&["a", "b", "c", "tests"]));
    }

    #[test]
    fn a_dag_of_modules_passes() {
        let modules = [
            module("", "mod router; mod handler; mod helpers;"),
            module("router", "use crate::handler::send;"),
            module("handler", "use crate::helpers::{parse, Thing};"),
            module("helpers", "pub(crate) fn parse() {}"),
            module("handler::tests", "use super::*; use crate::router::route;"),
        ];
        assert!(import_cycles(&modules).is_empty());
    }

    #[test]
    fn an_import_circle_is_named() {
        let modules = [
            module("", "mod router; mod handler; mod helpers;"),
            module(
                "router",
                "use crate::handler::send; pub(crate) fn shared() {}",
            ),
            module("handler", "use crate::helpers::parse;"),
            module("helpers", "fn parse() { crate::router::shared(); }"),
            module("helpers::inner", "use super::parse;"),
        ];
        assert_eq!(
            import_cycles(&modules),
            vec![Circle {
                modules: names(&["router", "handler", "helpers", "router"]),
                knot: names(&["handler", "helpers", "router"]),
            }]
        );
        assert_eq!(
            import_cycles(&modules)[0].to_string(),
            "router → handler → helpers → router"
        );
    }

    #[test]
    fn a_knot_larger_than_its_shortest_circle_says_so() {
        let modules = [
            module("a", "use crate::b::X; use crate::c::Y;"),
            module("b", "use crate::a::Z;"),
            module("c", "use crate::a::Z;"),
        ];
        let circles = import_cycles(&modules);
        assert_eq!(circles.len(), 1);
        assert_eq!(
            circles[0].to_string(),
            "a → b → a (the knot holds 3 modules: a, b, c)"
        );
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
