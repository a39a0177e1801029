//! `cargo xtask api-fuzz`: a property-based check of the OpenAPI document against the running
//! service.
//!
//! Installs schemathesis, at the pinned [`SCHEMATHESIS`] version from PyPI, into a virtual
//! environment under `target/api-fuzz/venv` (once; reused while the version matches), builds
//! `wa` and `wa-sim` as the test suite does (`cargo test --no-run`, a no-op after it), and for
//! SQLite and then PostgreSQL: starts the simulator as Meta and
//! `wa serve` on a fresh database, creates one connected tenant, and runs schemathesis on every
//! operation of `/openapi.json` as the admin, generating
//! valid and invalid requests (`--mode all`) within a bounded budget ([`MAX_EXAMPLES`] per
//! operation). It fails on any 5xx and on any answer the document does not describe (status,
//! content type, body schema). The event stream is left out (it never ends, by design).
//!
//! `cargo xtask api-fuzz [--max-examples N] [--sqlite-only]`.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use crate::{
    process::{Stopped, free_port, run_status, scratch_postgres, wait_listening},
    test_suite,
};

/// The schemathesis release the check runs with.
const SCHEMATHESIS: &str = "4.32.5";
/// Cases generated per operation and phase unless `--max-examples` says otherwise.
const MAX_EXAMPLES: u32 = 10;
const ADMIN_TOKEN: &str = "api-fuzz-admin-token";
/// The simulator's demo scenario: its number, WABA, token and app secret.
const SIM_NUMBER: &str = "100000000000001";
const SIM_WABA: &str = "200000000000001";
const SIM_TOKEN: &str = "demo-token";
const SIM_APP_SECRET: &str = "demo-app-secret";
const VAULT_KEYS: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// The checks that fail the run.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

pub(crate) fn run(root: &Path, args: &[String]) -> Result<()> {
    let mut max_examples = MAX_EXAMPLES;
    let mut sqlite_only = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--max-examples" => {
                max_examples = rest
                    .next()
                    .context("--max-examples needs a number")?
                    .parse()
                    .context("--max-examples needs a number")?;
            }
            "--sqlite-only" => sqlite_only = true,
            other => bail!("api-fuzz: unknown argument `{other}`"),
        }
    }
    let work = root.join("target/api-fuzz");
    fs::create_dir_all(&work)?;
    let schemathesis = install_schemathesis(&work)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // Built as the test suite builds them (same features), so after `cargo xtask test` (as in
    // CI) nothing is compiled again.
    run_status(
        Command::new(&cargo)
            .current_dir(root)
            .args(test_suite::TEST_ARGS)
            .arg("--no-run"),
        "cargo test --no-run",
    )?;
    let bin = root.join("target/debug");
    let mut databases = vec!["sqlite"];
    if !sqlite_only {
        databases.push("postgres");
    }
    let mut summary = Vec::new();
    for database in databases {
        let started = Instant::now();
        let cases = fuzz_one(&bin, &work, &schemathesis, database, max_examples)?;
        summary.push(format!(
            "{database}: {cases} cases in {:.0} s, no failure",
            started.elapsed().as_secs_f64()
        ));
    }
    println!("\napi-fuzz (schemathesis {SCHEMATHESIS}, {max_examples} examples per operation):");
    for line in summary {
        println!("  {line}");
    }
    Ok(())
}

/// The venv's `schemathesis`, installed at the pinned version when missing or different.
fn install_schemathesis(work: &Path) -> Result<PathBuf> {
    let venv = work.join("venv");
    let program = venv.join("bin/schemathesis");
    let installed = Command::new(&program)
        .arg("--version")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(SCHEMATHESIS));
    if installed {
        return Ok(program);
    }
    println!(
        "api-fuzz: installing schemathesis {SCHEMATHESIS} into {}",
        venv.display()
    );
    run_status(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    )?;
    run_status(
        Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            &format!("schemathesis=={SCHEMATHESIS}"),
        ]),
        "pip install schemathesis",
    )?;
    Ok(program)
}

/// One database: the simulator, `wa serve`, a connected tenant, then schemathesis. Returns how
/// many cases schemathesis ran.
fn fuzz_one(
    bin: &Path,
    work: &Path,
    schemathesis: &Path,
    database: &str,
    max_examples: u32,
) -> Result<u64> {
    let database_url = match database {
        "sqlite" => {
            let path = work.join("wa-api-fuzz.db");
            for suffix in ["", "-wal", "-shm"] {
                let _ = fs::remove_file(format!("{}{suffix}", path.display()));
            }
            format!("sqlite://{}?mode=rwc", path.display())
        }
        _ => scratch_postgres("wa_api_fuzz")?,
    };
    let sim_port = free_port()?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let sim_log = fs::File::create(work.join(format!("wa-sim-{database}.log")))?;
    let _sim = Stopped(
        Command::new(bin.join("wa-sim"))
            .args(["serve", "--port", &sim_port.to_string()])
            .args(["--callback-url", &format!("{base}/webhooks/whatsapp")])
            .stdout(sim_log.try_clone()?)
            .stderr(sim_log)
            .spawn()
            .context("starting wa-sim")?,
    );
    wait_listening(sim_port, "wa-sim")?;
    let log = fs::File::create(work.join(format!("wa-{database}.log")))?;
    let mut command = Command::new(bin.join("wa"));
    for (name, _) in std::env::vars() {
        if name.starts_with("WA_") {
            command.env_remove(name);
        }
    }
    let _wa = Stopped(
        command
            .arg("serve")
            .env("WA_DATABASE_URL", &database_url)
            .env("WA_LISTEN", format!("127.0.0.1:{port}"))
            .env("WA_GRAPH_BASE_URL", format!("http://127.0.0.1:{sim_port}"))
            .env("WA_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("WA_META_APP_SECRET", SIM_APP_SECRET)
            .env("WA_WEBHOOK_VERIFY_TOKEN", "api-fuzz-verify")
            .env("WA_VAULT_KEYS", VAULT_KEYS)
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting wa serve")?,
    );
    wait_listening(port, "wa serve")?;
    // A tenant connected to the simulator, so the operations have data to find.
    connected_tenant(&base)?;
    let report = work.join(format!("report-{database}"));
    let _ = fs::remove_dir_all(&report);
    let output = Command::new(schemathesis)
        .arg("run")
        .arg(format!("{base}/openapi.json"))
        .args(["--url", &base])
        .args(["-H", &format!("Authorization: Bearer {ADMIN_TOKEN}")])
        .args(["--checks", CHECKS])
        .args(["--mode", "all"])
        .args(["--max-examples", &max_examples.to_string()])
        .args(["--seed", "18"])
        .args(["--workers", "2"])
        .args(["--request-timeout", "40"])
        .args(["--max-time", "100"])
        .args(["--exclude-path-regex", "events/stream"])
        .args(["--generation-allow-x00", "true"])
        .args(["--report", "ndjson"])
        .arg("--report-dir")
        .arg(&report)
        .args(["--no-color"])
        .arg("--continue-on-failure")
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .stdin(Stdio::null())
        .output()
        .context("running schemathesis")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    fs::write(
        work.join(format!("schemathesis-{database}.txt")),
        stdout.as_bytes(),
    )?;
    println!("{stdout}");
    ensure!(
        output.status.success(),
        "schemathesis found failures on {database} ({}); its output is in {}, the server's log in {}",
        output.status,
        work.join(format!("schemathesis-{database}.txt")).display(),
        work.join(format!("wa-{database}.log")).display()
    );
    Ok(count_cases(&report))
}

/// Test cases in schemathesis's NDJSON report (one `ScenarioFinished` per case group; each
/// records its requests).
fn count_cases(report: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(report) else {
        return 0;
    };
    let mut cases = 0;
    for entry in entries.flatten() {
        let Ok(text) = fs::read_to_string(entry.path()) else {
            continue;
        };
        for line in text.lines() {
            let Ok(event) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if let Some(recorder) = event
                .get("ScenarioFinished")
                .and_then(|finished| finished.get("recorder"))
            {
                cases += recorder
                    .get("cases")
                    .and_then(Value::as_object)
                    .map_or(0, |cases| cases.len() as u64);
            }
        }
    }
    cases
}

/// Creates a tenant connected to the simulator's number; returns its id.
fn connected_tenant(base: &str) -> Result<String> {
    let created = curl_json(
        "POST",
        &format!("{base}/v1/tenants"),
        r#"{"name": "api-fuzz"}"#,
    )?;
    let tenant = created["id"]
        .as_str()
        .with_context(|| format!("creating a tenant answered {created}"))?
        .to_owned();
    let body = format!(
        r#"{{"waba_id": "{SIM_WABA}", "phone_number_id": "{SIM_NUMBER}", "display_phone_number": "+1 555 0100", "business_name": "api-fuzz", "access_token": "{SIM_TOKEN}"}}"#
    );
    let connection = curl_json(
        "PUT",
        &format!("{base}/v1/tenants/{tenant}/connection"),
        &body,
    )?;
    ensure!(
        connection["health"] == "active",
        "connecting the tenant answered {connection}"
    );
    Ok(tenant)
}

fn curl_json(method: &str, url: &str, body: &str) -> Result<Value> {
    let output = Command::new("curl")
        .args(["-sS", "-X", method, url])
        .args(["-H", &format!("Authorization: Bearer {ADMIN_TOKEN}")])
        .args(["-H", "Content-Type: application/json", "--data", body])
        .output()
        .context("running curl")?;
    ensure!(output.status.success(), "curl {method} {url} failed");
    serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "{method} {url} answered {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}
