//! `cargo xtask bench e2e`: wa end to end under load, beside the bare-reqwest floor, in one run.
//!
//! What runs (issues 9 and 10):
//! - the Graph API stand-in: nginx with `xtask/bench/graph-standin.conf.in` on a free port;
//! - the floor: the peer harness's raw reqwest client (`../shared/bench/peers-rs`, built here
//!   into `target/peer-bench`) sending straight to the stand-in, before each database's run;
//! - per database (SQLite, then PostgreSQL): a fresh database, a release `wa serve` pointed at
//!   the stand-in, and `wa-load` (wa-app's `loadtest` feature) driving it: tenants and memory,
//!   sends, paced and flat-out status webhooks, events to a receiver.
//!
//! Each tool prints one JSON line; they are kept in `target/bench-e2e/results.jsonl` and
//! summarised as a table. Options: `--messages N`, `--tenants N`, `--load-tenants N`,
//! `--databases sqlite,postgres`, `--quick` (1,000 tenants, 5,000 messages).

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use crate::process::{Stopped, free_port, run_status, scratch_postgres, wait_listening};

const ADMIN_TOKEN: &str = "bench-admin-token";
const APP_SECRET: &str = "bench-app-secret";
/// A fixed 32-byte vault key (the bench's data is thrown away).
const VAULT_KEYS: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

struct Options {
    messages: usize,
    tenants: usize,
    load_tenants: usize,
    databases: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut options = Self {
            messages: 20_000,
            tenants: 10_000,
            load_tenants: 50,
            databases: vec!["sqlite".to_owned(), "postgres".to_owned()],
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--messages" => options.messages = value()?.parse().context("--messages")?,
                "--tenants" => options.tenants = value()?.parse().context("--tenants")?,
                "--load-tenants" => {
                    options.load_tenants = value()?.parse().context("--load-tenants")?;
                }
                "--databases" => {
                    options.databases = value()?.split(',').map(str::to_owned).collect();
                }
                "--quick" => {
                    options.tenants = 1_000;
                    options.messages = 5_000;
                }
                other => bail!("unknown option {other}"),
            }
        }
        for database in &options.databases {
            ensure!(
                database == "sqlite" || database == "postgres",
                "unknown database {database}"
            );
        }
        Ok(options)
    }
}

pub(crate) fn run(root: &Path, args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let work = root.join("target/bench-e2e");
    fs::create_dir_all(&work)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());

    println!("xtask bench e2e: building wa and wa-load (release)");
    run_status(
        Command::new(&cargo).current_dir(root).args([
            "build",
            "--release",
            "-p",
            "wa-app",
            "--features",
            "loadtest",
            "--bins",
        ]),
        "cargo build wa-app",
    )?;
    let peers = peer_harness(root)?;
    println!("xtask bench e2e: building the floor ({})", peers.display());
    run_status(
        Command::new(&cargo)
            .current_dir(&peers)
            .env("CARGO_TARGET_DIR", root.join("target/peer-bench"))
            .args(["build", "--release", "--bin", "send-bench"]),
        "cargo build send-bench",
    )?;
    let floor_bin = root.join("target/peer-bench/release/send-bench");
    let wa_bin = root.join("target/release/wa");
    let load_bin = root.join("target/release/wa-load");

    let standin = Standin::start(root, &work)?;
    let mut results = Vec::new();
    for database in &options.databases {
        println!("xtask bench e2e: floor (bare reqwest against the stand-in)");
        results.push(floor(&floor_bin, &standin.url)?);
        println!("xtask bench e2e: wa on {database}");
        results.push(wa_run(
            &wa_bin,
            &load_bin,
            &work,
            &standin.url,
            database,
            &options,
        )?);
    }
    drop(standin);

    let mut file = fs::File::create(work.join("results.jsonl"))?;
    for line in &results {
        writeln!(file, "{line}")?;
    }
    print_summary(&results);
    println!("\nraw results: {}", work.join("results.jsonl").display());
    Ok(())
}

/// The peer harness's Rust project: `WA_PEER_BENCH`, or `../shared/bench/peers-rs` beside the
/// workspace.
fn peer_harness(root: &Path) -> Result<PathBuf> {
    let path = match std::env::var("WA_PEER_BENCH") {
        Ok(path) if !path.is_empty() => PathBuf::from(path),
        _ => root.join("../shared/bench/peers-rs"),
    };
    ensure!(
        path.join("Cargo.toml").exists(),
        "the peer harness is not at {} (set WA_PEER_BENCH to its peers-rs folder)",
        path.display()
    );
    Ok(path)
}

/// nginx answering as the Graph API; stopped when dropped.
struct Standin {
    child: Child,
    url: String,
}

impl Standin {
    fn start(root: &Path, work: &Path) -> Result<Self> {
        let run = work.join("nginx");
        fs::create_dir_all(&run)?;
        let port = free_port()?;
        let config = fs::read_to_string(root.join("xtask/bench/graph-standin.conf.in"))?
            .replace("@PORT@", &port.to_string())
            .replace("@WORKERS@", "1")
            .replace("@RUN@", &run.display().to_string());
        let config_path = run.join("nginx.conf");
        fs::write(&config_path, config)?;
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .context("nginx is not installed (apt-get install nginx-light)")?;
        let child = Command::new(nginx)
            .arg("-p")
            .arg(&run)
            .arg("-c")
            .arg(&config_path)
            .arg("-e")
            .arg(run.join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nginx")?;
        let standin = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        wait_listening(port, "the Graph stand-in")?;
        Ok(standin)
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its workers; SIGKILL would leave them listening.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn floor(bin: &Path, standin: &str) -> Result<Value> {
    let output = Command::new(bin)
        .args([
            "--client",
            "raw",
            "--base-url",
            standin,
            "--api-version",
            "v25.0",
        ])
        .args(["--n", "20000", "--concurrency", "64", "--warmup", "1000"])
        .stderr(Stdio::inherit())
        .output()
        .context("running the floor")?;
    ensure!(
        output.status.success(),
        "the floor failed ({})",
        output.status
    );
    last_json_line(&output.stdout)
}

fn wa_run(
    wa: &Path,
    load: &Path,
    work: &Path,
    standin: &str,
    database: &str,
    options: &Options,
) -> Result<Value> {
    let database_url = match database {
        "sqlite" => {
            let path = work.join("wa-bench.db");
            for suffix in ["", "-wal", "-shm"] {
                let _ = fs::remove_file(format!("{}{suffix}", path.display()));
            }
            format!("sqlite://{}?mode=rwc", path.display())
        }
        _ => scratch_postgres("wa_bench")?,
    };
    let port = free_port()?;
    let log = fs::File::create(work.join(format!("wa-{database}.log")))?;
    let mut command = Command::new(wa);
    for (name, _) in std::env::vars() {
        if name.starts_with("WA_") {
            command.env_remove(name);
        }
    }
    let mut server = Stopped(
        command
            .arg("serve")
            .env("WA_DATABASE_URL", &database_url)
            .env("WA_LISTEN", format!("127.0.0.1:{port}"))
            .env("WA_GRAPH_BASE_URL", standin)
            .env("WA_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("WA_META_APP_SECRET", APP_SECRET)
            .env("WA_WEBHOOK_VERIFY_TOKEN", "bench-verify")
            .env("WA_VAULT_KEYS", VAULT_KEYS)
            .env("WA_EVENT_ALLOW_HTTP", "true")
            .env("WA_EVENT_ALLOWED_NETS", "127.0.0.1/32")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting wa serve")?,
    );
    wait_listening(port, "wa serve")?;
    let output = Command::new(load)
        .args(["--api", &format!("http://127.0.0.1:{port}")])
        .args(["--admin-token", ADMIN_TOKEN, "--app-secret", APP_SECRET])
        .args(["--server-pid", &server.0.id().to_string()])
        .args(["--database", database])
        .args(["--tenants", &options.tenants.to_string()])
        .args(["--load-tenants", &options.load_tenants.to_string()])
        .args(["--messages", &options.messages.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .context("running wa-load")?;
    server.stop(Duration::from_secs(20));
    ensure!(
        output.status.success(),
        "wa-load failed ({}); the server's log is in {}",
        output.status,
        work.join(format!("wa-{database}.log")).display()
    );
    last_json_line(&output.stdout)
}

fn print_summary(results: &[Value]) {
    let number = |value: &Value, key: &str| value[key].as_f64().unwrap_or(f64::NAN);
    let mut floor = f64::NAN;
    println!(
        "\n| run | sends/s e2e | vs floor | API p50/p99 ms | status acks p50/p99 ms @ rate | statuses applied/s (burst) | events/s (burst) | event latency p50/p99 ms | bytes/idle tenant |"
    );
    println!("|---|---:|---:|---|---|---:|---:|---|---:|");
    for result in results {
        if result["bench"] == "send" {
            floor = number(result, "msgs_per_s");
            println!(
                "| floor (bare reqwest) | {floor:.0} | 1.00 | {:.2} / {:.2} | | | | | |",
                number(result, "lat_p50_ms"),
                number(result, "lat_p99_ms")
            );
            continue;
        }
        let sends = number(result, "send_msgs_per_s");
        println!(
            "| wa on {} | {sends:.0} | {:.3} | {:.1} / {:.1} | {:.1} / {:.1} @ {} | {:.0} | {:.0} | {:.1} / {:.1} | {:.0} |",
            result["database"].as_str().unwrap_or("?"),
            sends / floor,
            number(result, "api_p50_ms"),
            number(result, "api_p99_ms"),
            number(result, "status_ack_p50_ms"),
            number(result, "status_ack_p99_ms"),
            result["status_rate"],
            number(result, "status_burst_applied_per_s"),
            number(result, "status_burst_events_per_s"),
            number(result, "event_latency_p50_ms"),
            number(result, "event_latency_p99_ms"),
            number(result, "bytes_per_idle_tenant"),
        );
    }
}

fn last_json_line(stdout: &[u8]) -> Result<Value> {
    let text = String::from_utf8_lossy(stdout);
    let line = text
        .lines()
        .rev()
        .find(|line| line.starts_with('{'))
        .context("no JSON line in the output")?;
    serde_json::from_str(line).context("reading the JSON line")
}
