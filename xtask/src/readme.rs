//! `cargo xtask readme-check`: README's commands, run as a newcomer would run them.
//!
//! 1. Every `cargo …` command README shows for copying (in its `sh` blocks, and the
//!    `cargo xtask migrate` it names in prose) must be one this check knows how to run; an unknown
//!    one fails the check, so README cannot grow a command that CI never runs.
//! 2. The commands outside "Two commands" run in scratch folders under `target/readme-check/`:
//!    the API tour's `serve` (answering `/healthz` and creating a tenant), `connections`,
//!    `templates --tenant $T`, and the PostgreSQL section's `vault keygen`, `migrate` and `serve`
//!    on a scratch PostgreSQL database, then `cargo xtask migrate status` on it.
//! 3. The two commands under "Two commands" (the demo and the whole test suite) run verbatim, read
//!    from README.md, through `sh -c` from the workspace root. If either fails, the check fails.

use std::{
    collections::BTreeMap,
    fs,
    io::{Read, Write},
    net::TcpStream,
    path::Path,
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

use crate::process::{Stopped, free_port, scratch_postgres};

/// The section whose two `sh` blocks are the newcomer's two commands.
const TWO_COMMANDS: &str = "Two commands";

/// The commands (outside "Two commands") this check runs, as README spells them.
const SERVE: &str = "cargo run -p wa-app -- serve";
const CONNECTIONS: &str = "cargo run -p wa-app -- connections";
const TEMPLATES: &str = "cargo run -p wa-app -- templates --tenant $T";
const KEYGEN: &str = "cargo run -q -p wa-app -- vault keygen k1";
const MIGRATE: &str = "cargo run -p wa-app -- migrate";
const XTASK_MIGRATE: &str = "cargo xtask migrate";
const KNOWN: &[&str] = &[
    SERVE,
    CONNECTIONS,
    TEMPLATES,
    KEYGEN,
    MIGRATE,
    XTASK_MIGRATE,
];

/// The tour's settings, as README's `export` line gives them.
const TOUR_ENV: &[(&str, &str)] = &[
    ("WA_ADMIN_TOKEN", "admin-secret"),
    ("WA_META_APP_SECRET", "app-secret"),
    ("WA_WEBHOOK_VERIFY_TOKEN", "verify-me"),
];

/// The scratch PostgreSQL database of the PostgreSQL section (dropped and made anew each run).
const SCRATCH_DATABASE: &str = "wa_readme_check";

/// A `sh` block of README and the `##` section it sits in.
#[derive(Debug, PartialEq)]
struct Block {
    section: String,
    lines: Vec<String>,
}

pub(crate) fn run(root: &Path, args: &[String]) -> Result<()> {
    let only_tour = args.iter().any(|a| a == "--tour-only");
    let readme = fs::read_to_string(root.join("README.md")).context("reading README.md")?;
    let blocks = sh_blocks(&readme);
    let two = two_commands(&blocks)?;
    let shown = copied_commands(&readme, &blocks);
    let unknown: Vec<&String> = shown
        .iter()
        .filter(|command| !KNOWN.contains(&command.as_str()))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "README shows commands that readme-check does not run: {unknown:?}; \
             teach xtask/src/readme.rs to run them, or remove them from README"
        );
    }
    println!(
        "readme-check: README's two commands: `{}`, `{}`; {} more to copy: {shown:?}",
        two[0],
        two[1],
        shown.len()
    );

    let scratch = root.join("target").join("readme-check");
    if scratch.exists() {
        fs::remove_dir_all(&scratch).with_context(|| format!("clearing {}", scratch.display()))?;
    }
    tour_on_sqlite(&scratch.join("sqlite"), &shown)?;
    postgres_section(root, &scratch.join("postgres"), &shown)?;
    if only_tour {
        return Ok(());
    }
    for command in &two {
        run_verbatim(root, command)?;
    }
    println!("readme-check: README's commands all ran as written");
    Ok(())
}

/// Runs one of the two commands exactly as README spells it.
fn run_verbatim(root: &Path, command: &str) -> Result<()> {
    println!("\nreadme-check: running `{command}` (from README.md, verbatim)");
    let started = Instant::now();
    let status = Command::new("sh")
        .current_dir(root)
        .args(["-c", command])
        .status()
        .with_context(|| format!("running `{command}`"))?;
    if !status.success() {
        bail!("README's command `{command}` failed ({status})");
    }
    println!(
        "readme-check: `{command}` ok ({:.0} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The API tour on the embedded database: `serve` answers and creates a tenant, then
/// `connections` and `templates --tenant $T` run against the same database.
fn tour_on_sqlite(dir: &Path, shown: &[String]) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut env: BTreeMap<String, String> = TOUR_ENV
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    // No test touches the internet: Meta's API is a closed port on loopback here.
    env.insert("WA_GRAPH_BASE_URL".into(), "http://127.0.0.1:9".into());
    if shown.iter().any(|c| c == SERVE) {
        let tenant = serve_and_create_tenant(dir, &env)?;
        env.insert("T".into(), tenant);
    }
    if shown.iter().any(|c| c == CONNECTIONS) {
        run_shown(dir, &env, CONNECTIONS)?;
    }
    if shown.iter().any(|c| c == TEMPLATES) {
        if !env.contains_key("T") {
            bail!("README shows `{TEMPLATES}` but no `{SERVE}` to create the tenant it names");
        }
        run_shown(dir, &env, TEMPLATES)?;
    }
    Ok(())
}

/// README's PostgreSQL section on a scratch database of the test server.
fn postgres_section(root: &Path, dir: &Path, shown: &[String]) -> Result<()> {
    let wants = |command: &str| shown.iter().any(|c| c == command);
    if !(wants(KEYGEN) || wants(MIGRATE) || wants(XTASK_MIGRATE)) {
        return Ok(());
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let database = scratch_postgres(SCRATCH_DATABASE)?;
    let mut env: BTreeMap<String, String> = TOUR_ENV
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    env.insert("WA_GRAPH_BASE_URL".into(), "http://127.0.0.1:9".into());
    env.insert("WA_DATABASE_URL".into(), database.clone());
    if wants(KEYGEN) {
        let key = run_shown(dir, &env, KEYGEN)?;
        let key = key.trim().to_owned();
        if !key.starts_with("k1:") || key.len() < 40 {
            bail!("`{KEYGEN}` printed `{key}`, not a key entry `k1:<base64>`");
        }
        env.insert("WA_VAULT_KEYS".into(), key);
    }
    if wants(MIGRATE) {
        let report = run_shown(dir, &env, MIGRATE)?;
        if !report.contains("applied") {
            bail!("`{MIGRATE}` did not report applied migrations: {report}");
        }
    }
    if wants(SERVE) {
        serve_and_create_tenant(dir, &env)?;
    }
    if wants(XTASK_MIGRATE) {
        let mut env = env.clone();
        env.insert("DATABASE_URL".into(), database);
        let command = format!("{XTASK_MIGRATE} status");
        let report = run_shown(root, &env, &command)?;
        if report.contains("Pending") || !report.contains("Applied") {
            bail!("`{command}` after `{MIGRATE}` should find nothing pending: {report}");
        }
    }
    Ok(())
}

/// Runs a README command through `sh -c` with `env`; answers its standard output.
fn run_shown(dir: &Path, env: &BTreeMap<String, String>, command: &str) -> Result<String> {
    println!("readme-check: `{command}`");
    let output = Command::new("sh")
        .current_dir(dir)
        .envs(env)
        .env_remove("RUST_LOG")
        .args(["-c", command])
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running `{command}`"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!("README's `{command}` failed ({}): {stdout}", output.status);
    }
    Ok(stdout)
}

/// Starts README's `serve` in the background on a free port, waits for `/healthz`, creates a
/// tenant with the admin token as the tour does, and stops the service. Answers the tenant id.
fn serve_and_create_tenant(dir: &Path, env: &BTreeMap<String, String>) -> Result<String> {
    let port = free_port()?;
    println!("readme-check: `{SERVE}` (in the background, on 127.0.0.1:{port})");
    let child = Command::new("sh")
        .current_dir(dir)
        .envs(env)
        .env("WA_LISTEN", format!("127.0.0.1:{port}"))
        .args(["-c", &format!("exec {SERVE}")])
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting `{SERVE}`"))?;
    let mut service = Stopped(child);
    // The first run may build the binary.
    wait_healthy(port, &mut service.0, Duration::from_secs(900))?;
    let token = env
        .get("WA_ADMIN_TOKEN")
        .map_or("admin-secret", String::as_str);
    let (status, body) = http(
        port,
        "POST",
        "/v1/tenants",
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("content-type", "application/json"),
        ],
        r#"{"name":"Cafe Aviv"}"#,
    )?;
    if status != 201 {
        bail!("POST /v1/tenants answered {status}: {body}");
    }
    let created: serde_json::Value =
        serde_json::from_str(&body).context("POST /v1/tenants answered no JSON")?;
    let tenant = created["tenant"]["id"]
        .as_str()
        .or_else(|| created["id"].as_str())
        .with_context(|| format!("POST /v1/tenants answered no tenant id: {body}"))?
        .to_owned();
    if created["api_key"].as_str().is_none() {
        bail!("POST /v1/tenants answered no api_key: {body}");
    }
    match service.stop(Duration::from_secs(30)) {
        Some(status) if status.success() => {}
        Some(status) => bail!("`{SERVE}` exited with {status} on SIGTERM"),
        None => bail!("`{SERVE}` did not stop within 30 s of SIGTERM"),
    }
    println!("readme-check: `{SERVE}` ok (healthy, created tenant {tenant}, stopped on SIGTERM)");
    Ok(tenant)
}

fn wait_healthy(port: u16, child: &mut Child, limit: Duration) -> Result<()> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            bail!("`{SERVE}` exited before it answered /healthz ({status})");
        }
        if let Ok((200, _)) = http(port, "GET", "/healthz", &[], "") {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(250));
    }
    bail!("`{SERVE}` did not answer /healthz within {limit:?}")
}

/// A minimal HTTP/1.1 exchange (xtask keeps its dependencies few); answers status and body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .context("no HTTP status line")?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// README's fenced `sh` blocks with the `##` section each sits in.
fn sh_blocks(readme: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut section = String::new();
    let mut current: Option<Vec<String>> = None;
    for line in readme.lines() {
        match current.as_mut() {
            Some(lines) if line.trim_start().starts_with("```") => {
                blocks.push(Block {
                    section: section.clone(),
                    lines: std::mem::take(lines),
                });
                current = None;
            }
            Some(lines) => lines.push(line.to_owned()),
            None if line.trim_start().starts_with("```sh") => current = Some(Vec::new()),
            None => {
                if let Some(title) = line.strip_prefix("## ") {
                    title.trim().clone_into(&mut section);
                }
            }
        }
    }
    blocks
}

/// The two one-line commands of the "Two commands" section.
fn two_commands(blocks: &[Block]) -> Result<[String; 2]> {
    let commands: Vec<String> = blocks
        .iter()
        .filter(|block| block.section == TWO_COMMANDS)
        .map(|block| {
            let lines: Vec<&String> = block
                .lines
                .iter()
                .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .collect();
            match lines.as_slice() {
                [line] => Ok(line.trim().to_owned()),
                _ => bail!("each block under \"## {TWO_COMMANDS}\" must hold one command"),
            }
        })
        .collect::<Result<_>>()?;
    match <[String; 2]>::try_from(commands) {
        Ok(two) => Ok(two),
        Err(found) => bail!(
            "README's \"## {TWO_COMMANDS}\" must hold exactly two `sh` blocks, found {}",
            found.len()
        ),
    }
}

/// Every `cargo …` command shown for copying outside "Two commands": at the start of a line of a
/// `sh` block, inside `$(…)`, and `cargo xtask migrate` where prose names it. Comments, a
/// trailing `&` and repeated commands are dropped.
fn copied_commands(readme: &str, blocks: &[Block]) -> Vec<String> {
    let mut found = Vec::new();
    for block in blocks.iter().filter(|b| b.section != TWO_COMMANDS) {
        for line in &block.lines {
            let code = line.split(" #").next().unwrap_or_default().trim();
            if code.starts_with('#') {
                continue;
            }
            if code.starts_with("cargo ") {
                found.push(code.trim_end_matches('&').trim().to_owned());
            }
            let mut rest = code;
            while let Some(start) = rest.find("$(cargo ") {
                let inner = &rest[start + 2..];
                let end = inner.find(')').unwrap_or(inner.len());
                found.push(inner[..end].trim().to_owned());
                rest = &inner[end..];
            }
        }
    }
    if readme.contains(&format!("`{XTASK_MIGRATE} ")) {
        found.push(XTASK_MIGRATE.to_owned());
    }
    let mut unique = Vec::new();
    for command in found {
        if !unique.contains(&command) {
            unique.push(command);
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::{copied_commands, sh_blocks, two_commands};

    const README: &str = "# wa\n\n## Two commands\n\nRun it:\n\n```sh\ncargo run -p wa-app -- demo\n```\n\n\
        Test it:\n\n```sh\ncargo xtask test\n```\n\n## Tour\n\n```sh\nexport A=b\n\
        cargo run -p wa-app -- serve &\ncurl -s localhost:8080/healthz\n\
        cargo run -p wa-app -- connections                 # every connection\n\
        export WA_VAULT_KEYS=$(cargo run -q -p wa-app -- vault keygen k1)\n\
        # cargo run -p commented-out\ncargo run -p wa-app -- serve\n```\n\n\
        `cargo xtask migrate [up|down]` does the same.\n";

    #[test]
    fn reads_the_two_commands_verbatim() {
        let blocks = sh_blocks(README);
        let two = two_commands(&blocks).expect("two commands");
        assert_eq!(two, ["cargo run -p wa-app -- demo", "cargo xtask test"]);
    }

    #[test]
    fn a_third_command_under_two_commands_is_an_error() {
        let readme = README.replace("## Tour", "```sh\ncargo build\n```\n\n## Tour");
        assert!(two_commands(&sh_blocks(&readme)).is_err());
    }

    #[test]
    fn finds_every_command_to_copy_once() {
        let blocks = sh_blocks(README);
        assert_eq!(
            copied_commands(README, &blocks),
            [
                "cargo run -p wa-app -- serve",
                "cargo run -p wa-app -- connections",
                "cargo run -q -p wa-app -- vault keygen k1",
                "cargo xtask migrate",
            ]
        );
    }
}
