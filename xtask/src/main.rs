//! `cargo xtask <task>`: the project's own automation, written in Rust so it runs wherever cargo does.
//!
//! Tasks:
//! - `tidy`: architecture and hygiene checks that CI runs (see `tidy.rs`).
//! - `test`: every test, with PostgreSQL made available (see `test_suite.rs`).
//! - `bench`: every criterion benchmark, PostgreSQL made available (see `test_suite.rs`);
//!   `bench e2e`: the service end to end under load beside the bare-reqwest floor
//!   (see `bench_e2e.rs`).
//! - `migrate`: applies or rolls back the schema (see `migrate.rs`).
//! - `readme-check`: README's commands, run as written (see `readme.rs`).
//! - `check-crates`: every workspace member compiles on its own (see `crates_alone.rs`).
//! - `screenshots`: the pages' screenshots in `docs/screenshots/`, made anew by their browser
//!   tests (see `test_suite.rs`).
//! - `api-fuzz`: schemathesis against `wa serve` on SQLite and PostgreSQL, checking the
//!   OpenAPI document (see `api_fuzz.rs`).
//! - `fuzz`: the cargo-fuzz targets of `fuzz/`, built and run (see `fuzz.rs`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod api_fuzz;
mod bench_e2e;
mod crates_alone;
mod fuzz;
#[cfg(feature = "migrate")]
mod migrate;
mod process;
mod readme;
mod test_suite;
mod tidy;
mod workspace;

use std::path::PathBuf;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match task.as_str() {
        "tidy" => tidy::run(&workspace_root()),
        "test" => test_suite::run(&workspace_root(), &rest),
        "bench" if rest.first().is_some_and(|a| a == "e2e") => {
            bench_e2e::run(&workspace_root(), &rest[1..])
        }
        "bench" => test_suite::bench(&workspace_root(), &rest),
        "migrate" => migrate(&workspace_root(), &rest),
        "readme-check" => readme::run(&workspace_root(), &rest),
        "check-crates" => crates_alone::run(&workspace_root()),
        "screenshots" => test_suite::screenshots(&workspace_root()),
        "api-fuzz" => api_fuzz::run(&workspace_root(), &rest),
        "fuzz" => fuzz::run(&workspace_root(), &rest),
        "" | "help" | "--help" | "-h" => {
            print_help();
            Ok(())
        }
        other => {
            print_help();
            bail!("unknown task `{other}` (arguments: {rest:?})")
        }
    }
}

fn print_help() {
    println!(
        "cargo xtask <task>\n\n\
         Tasks:\n  \
         tidy                     dependency rule, unused dependencies, module docs and\n                                  \
         banned macros\n  \
         test [cargo args]        all tests on SQLite and PostgreSQL (starts local PostgreSQL)\n  \
         bench [cargo args]       criterion benchmarks, e.g. `bench -p wa-store` (PostgreSQL too)\n  \
         bench e2e [--quick]      wa serve under load on SQLite and PostgreSQL beside the\n                                  \
         bare-reqwest floor (needs nginx and ../shared/bench)\n  \
         migrate [up|down [N]|status|fresh]\n                                  \
         the schema, on DATABASE_URL or data/wa.db\n  \
         readme-check [--tour-only]\n                                  \
         README's commands as written: the commands to copy in\n                                  \
         scratch folders, then the two commands (demo, tests)\n  \
         check-crates             `cargo check -p` each member alone (and without\n                                  \
         default features where it has features)\n  \
         screenshots              the pages' browser tests, saving their screenshots in\n                                  \
         docs/screenshots/\n  \
         api-fuzz [--max-examples N] [--sqlite-only]\n                                  \
         schemathesis (pinned, from PyPI) against wa serve on SQLite and PostgreSQL\n  \
         fuzz [TARGET] [--seconds N] | fuzz --check\n                                  \
         the cargo-fuzz targets (webhook, outbound_content), or only\n                                  \
         `cargo check` of them"
    );
}

/// `migrate` with the feature built in.
#[cfg(feature = "migrate")]
fn migrate(root: &std::path::Path, rest: &[String]) -> Result<()> {
    migrate::run(root, rest)
}

/// `migrate` from the default build: runs xtask again with the `migrate` feature.
#[cfg(not(feature = "migrate"))]
fn migrate(root: &std::path::Path, rest: &[String]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(cargo)
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "--package",
            "xtask",
            "--features",
            "migrate",
            "--",
        ])
        .arg("migrate")
        .args(rest)
        .status()?;
    if !status.success() {
        bail!("xtask migrate failed ({status})");
    }
    Ok(())
}

/// The workspace root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
