//! Child processes for the tasks that start programs (`api-fuzz`, `bench e2e`, `readme-check`,
//! `fuzz`): running a command to success, free ports, waiting for a server to listen, stopping a
//! server when done, and scratch PostgreSQL databases.

use std::{
    net::{TcpListener, TcpStream},
    process::{Child, Command, ExitStatus},
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail, ensure};

use crate::test_suite;

/// Runs `command` to its end; fails unless it exits 0.
pub(crate) fn run_status(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("running {what}"))?;
    ensure!(status.success(), "{what} failed ({status})");
    Ok(())
}

/// A port on 127.0.0.1 that nothing listens on now.
pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Waits (up to 60 s) until something accepts connections on 127.0.0.1:`port`.
pub(crate) fn wait_listening(port: u16, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(50));
    }
    bail!("{what} did not listen on 127.0.0.1:{port} within 60 s")
}

/// A started child process, stopped when done or dropped: SIGTERM, then SIGKILL after a grace.
pub(crate) struct Stopped(pub(crate) Child);

impl Stopped {
    /// Sends SIGTERM and waits up to `grace` for the process to exit; answers how it exited, or
    /// `None` when it had to be killed.
    pub(crate) fn stop(&mut self, grace: Duration) -> Option<ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.0.try_wait() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
        None
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            self.stop(Duration::from_secs(20));
        }
    }
}

/// Drops and creates the database `name` on the test PostgreSQL server (`psql`); answers its URL.
pub(crate) fn scratch_postgres(name: &str) -> Result<String> {
    let url = test_suite::postgres_url()?;
    let (server, _) = url
        .rsplit_once('/')
        .context("WA_TEST_POSTGRES_URL has no database name")?;
    for statement in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        let output = Command::new("psql")
            .args(["-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-c", &statement])
            .output()
            .context("running psql (PostgreSQL's client) to make a scratch database")?;
        ensure!(
            output.status.success(),
            "psql `{statement}` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(format!("{server}/{name}"))
}
