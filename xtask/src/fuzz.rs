//! `cargo xtask fuzz`: the cargo-fuzz targets in `fuzz/` (webhook signature check and parse,
//! outbound content validation), built and run with libFuzzer.
//!
//! cargo-fuzz needs nightly compiler flags (`-Zsanitizer=address`, coverage instrumentation);
//! the project has one stable toolchain, so the build runs with `RUSTC_BOOTSTRAP=1`. cargo-fuzz
//! itself is installed from crates.io at the pinned [`CARGO_FUZZ`] version into
//! `target/cargo-fuzz` when missing. The corpus grows in `target/fuzz-corpus/<target>`, seeded
//! from `fuzz/seeds/<target>` and, for the webhook target, the webhook fixtures of `wa-graph`.
//! Crashes are written to `target/fuzz-artifacts/<target>` and fail the run.
//!
//! - `cargo xtask fuzz [TARGET] [--seconds N]`: builds, then runs each target (or TARGET) for N
//!   seconds (default [`DEFAULT_SECONDS`]).
//! - `cargo xtask fuzz --check`: `cargo check` of the fuzz crate on stable, no cargo-fuzz: what CI
//!   runs so the targets keep building.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use anyhow::{Context, Result, bail, ensure};

use crate::process::run_status;

/// The cargo-fuzz release the targets are built with.
const CARGO_FUZZ: &str = "0.13.2";
/// The targets, as named in `fuzz/Cargo.toml`.
const TARGETS: [&str; 2] = ["webhook", "outbound_content"];
/// How long each target runs unless `--seconds` says otherwise.
const DEFAULT_SECONDS: u64 = 60;
/// The host triple cargo-fuzz builds for (it always passes `--target`).
const TRIPLE: &str = "x86_64-unknown-linux-gnu";

pub(crate) fn run(root: &Path, args: &[String]) -> Result<()> {
    let mut seconds = DEFAULT_SECONDS;
    let mut targets: Vec<&str> = Vec::new();
    let mut check_only = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = rest
                    .next()
                    .context("--seconds needs a number")?
                    .parse()
                    .context("--seconds needs a number")?;
            }
            "--check" => check_only = true,
            name => match TARGETS.iter().find(|target| **target == name) {
                Some(target) => targets.push(target),
                None => bail!("fuzz: unknown target or argument `{name}` (targets: {TARGETS:?})"),
            },
        }
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = root.join("fuzz/Cargo.toml");
    if check_only {
        // The main target directory: the fuzz crate's lock file holds the workspace's versions,
        // so its dependencies are the ones already checked there.
        return run_status(
            Command::new(&cargo)
                .current_dir(root)
                .args(["check", "--locked", "--bins", "--manifest-path"])
                .arg(&manifest)
                .arg("--target-dir")
                .arg(root.join("target")),
            "cargo check of fuzz/",
        );
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    let cargo_fuzz = install_cargo_fuzz(root, &cargo)?;
    for target in &targets {
        run_status(
            Command::new(&cargo_fuzz)
                .current_dir(root)
                .env("RUSTC_BOOTSTRAP", "1")
                .args(["fuzz", "build", "--release", "--debug-assertions"])
                .arg(target),
            "cargo fuzz build",
        )?;
    }
    let mut summary = Vec::new();
    for target in &targets {
        summary.push(fuzz_one(root, target, seconds)?);
    }
    println!("\nfuzz ({seconds} s per target):");
    for line in summary {
        println!("  {line}");
    }
    Ok(())
}

/// `target/cargo-fuzz/bin/cargo-fuzz`, installed at the pinned version when missing or
/// different.
fn install_cargo_fuzz(root: &Path, cargo: &str) -> Result<PathBuf> {
    let install_root = root.join("target/cargo-fuzz");
    let program = install_root.join("bin/cargo-fuzz");
    let installed = Command::new(&program)
        .arg("--version")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(CARGO_FUZZ));
    if !installed {
        println!(
            "fuzz: installing cargo-fuzz {CARGO_FUZZ} into {}",
            install_root.display()
        );
        run_status(
            Command::new(cargo)
                .args(["install", "cargo-fuzz", "--locked", "--version", CARGO_FUZZ])
                .arg("--root")
                .arg(&install_root),
            "cargo install cargo-fuzz",
        )?;
    }
    Ok(program)
}

/// Runs one built target for `seconds` on its corpus; fails when libFuzzer reports a crash.
fn fuzz_one(root: &Path, target: &str, seconds: u64) -> Result<String> {
    let binary = root.join(format!("fuzz/target/{TRIPLE}/release/{target}"));
    let corpus = root.join("target/fuzz-corpus").join(target);
    let artifacts = root.join("target/fuzz-artifacts").join(target);
    fs::create_dir_all(&corpus)?;
    fs::create_dir_all(&artifacts)?;
    let mut command = Command::new(&binary);
    command
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-print_final_stats=1")
        .arg(&corpus)
        .arg(root.join("fuzz/seeds").join(target));
    if target == "webhook" {
        command.arg(root.join("crates/wa-graph/tests/fixtures/webhooks"));
    }
    let started = Instant::now();
    let output = command
        .output()
        .with_context(|| format!("running {}", binary.display()))?;
    let log = String::from_utf8_lossy(&output.stderr);
    let log_path = root.join(format!("target/fuzz-{target}.log"));
    fs::write(&log_path, log.as_bytes())?;
    let executions = log
        .lines()
        .find_map(|line| line.strip_prefix("stat::number_of_executed_units:"))
        .map_or_else(|| "?".to_owned(), |n| n.trim().to_owned());
    ensure!(
        output.status.success(),
        "fuzz target {target} failed ({}): see {} and the input saved in {}",
        output.status,
        log_path.display(),
        artifacts.display()
    );
    Ok(format!(
        "{target}: {executions} executions in {:.0} s, no crash",
        started.elapsed().as_secs_f64()
    ))
}
