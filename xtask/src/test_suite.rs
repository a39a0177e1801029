//! `cargo xtask test`: the whole test suite, on SQLite and PostgreSQL.
//!
//! Makes sure the local PostgreSQL server is up (starting the cluster when it is installed but
//! stopped), points `WA_TEST_POSTGRES_URL` at it unless the caller already did, and runs every
//! test of the workspace. Tests that need PostgreSQL read that variable and fail loudly when it is
//! missing, so running plain `cargo test` without it is an error, never a silent skip. The
//! headless browser the signup page test needs is installed the same way when it is missing.

use std::{
    net::{SocketAddr, TcpStream},
    path::Path,
    process::Command,
    thread,
    time::Duration,
};

use anyhow::{Context, Result, bail};

/// The server these machines run, with trust authentication.
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const POSTGRES_ADDR: ([u8; 4], u16) = ([127, 0, 0, 1], 5432);

/// `cargo test` for the whole suite. Other tasks that need the binaries (`api-fuzz`) build them
/// with these arguments and `--no-run`, so after the suite they are already built.
pub(crate) const TEST_ARGS: &[&str] = &[
    "test",
    "--workspace",
    "--all-targets",
    // xtask's own migrate tests; see xtask's Cargo.toml.
    "--features",
    "xtask/migrate",
];

pub(crate) fn run(root: &Path, extra_args: &[String]) -> Result<()> {
    ensure_browser();
    cargo_with_postgres(
        root,
        "test",
        &[TEST_ARGS, &["--no-fail-fast"]].concat(),
        extra_args,
    )
}

/// `cargo xtask bench [cargo bench args]`: every criterion benchmark (or those named, e.g.
/// `-p wa-store`), with the same PostgreSQL the tests use, so the database benchmarks run on
/// both databases in one run.
pub(crate) fn bench(root: &Path, extra_args: &[String]) -> Result<()> {
    let workspace = ["bench", "--workspace"];
    let named = ["bench"];
    let picks_packages = extra_args
        .iter()
        .any(|a| a == "-p" || a.starts_with("--package"));
    cargo_with_postgres(
        root,
        "bench",
        if picks_packages { &named } else { &workspace },
        extra_args,
    )
}

/// `cargo xtask screenshots`: runs the browser tests of the pages wa serves with
/// `WA_SCREENSHOT_DIR=docs/screenshots`, so each page's screenshot there is made anew.
pub(crate) fn screenshots(root: &Path) -> Result<()> {
    ensure_browser();
    let dir = root.join("docs").join("screenshots");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let url = postgres_url()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(root)
        .env("WA_TEST_POSTGRES_URL", &url)
        .env("WA_SCREENSHOT_DIR", &dir)
        .args([
            "test",
            "--workspace",
            "--features",
            "xtask/migrate",
            "--test",
            "it",
            "signup_page",
        ])
        .status()
        .context("running the page tests")?;
    if !status.success() {
        bail!("the page tests failed ({status}); screenshots may be incomplete");
    }
    println!("xtask screenshots: saved in {}", dir.display());
    Ok(())
}

/// `WA_TEST_POSTGRES_URL`, or the local cluster (started when it is down) at its default URL.
pub(crate) fn postgres_url() -> Result<String> {
    match std::env::var("WA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Ok(url),
        _ => {
            ensure_local_postgres()?;
            Ok(DEFAULT_POSTGRES_URL.to_owned())
        }
    }
}

fn cargo_with_postgres(
    root: &Path,
    task: &str,
    args: &[&str],
    extra_args: &[String],
) -> Result<()> {
    let url = postgres_url()?;
    println!(
        "xtask {task}: PostgreSQL runs use WA_TEST_POSTGRES_URL={}",
        redact_password(&url)
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(root)
        .env("WA_TEST_POSTGRES_URL", &url)
        .args(args)
        .args(extra_args)
        .status()
        .with_context(|| format!("running cargo {task}"))?;
    if !status.success() {
        bail!("cargo {task} failed ({status})");
    }
    Ok(())
}

/// The signup page test drives Debian's Chromium through chromedriver. Where they are missing
/// and we may install packages (root with apt-get, as on a fresh machine of this project), they
/// are installed; otherwise that test fails and names the command.
fn ensure_browser() {
    const BINARIES: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/chromedriver"];
    if BINARIES.iter().all(|path| Path::new(path).exists()) {
        return;
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    if !is_root || !Path::new("/usr/bin/apt-get").exists() {
        println!(
            "xtask test: Chromium is missing; the signup page test will fail \
             (apt-get install -y chromium chromium-driver)"
        );
        return;
    }
    println!("xtask test: installing Chromium and chromedriver for the signup page test");
    let installed = Command::new("apt-get")
        .args(["install", "-y", "-q", "chromium", "chromium-driver"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .is_ok_and(|status| status.success());
    if !installed {
        println!("xtask test: installing Chromium failed; the signup page test will say why");
    }
}

fn postgres_is_listening() -> bool {
    let addr = SocketAddr::from(POSTGRES_ADDR);
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
}

fn ensure_local_postgres() -> Result<()> {
    if postgres_is_listening() {
        return Ok(());
    }
    println!(
        "xtask test: PostgreSQL is not listening on 127.0.0.1:5432; starting the local cluster"
    );
    let versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
        .context("PostgreSQL is not running and /etc/postgresql does not exist: install PostgreSQL or set WA_TEST_POSTGRES_URL")?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    for version in versions {
        let _ = Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &version, "main", "start"])
            .status();
    }
    for _ in 0..30 {
        if postgres_is_listening() {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(500));
    }
    bail!("PostgreSQL did not come up on 127.0.0.1:5432; start it or set WA_TEST_POSTGRES_URL")
}

/// Hides the password of a `scheme://user:password@host/...` URL.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_password;

    #[test]
    fn hides_passwords_only() {
        assert_eq!(
            redact_password("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_password("sqlite://x.db"), "sqlite://x.db");
    }
}
