//! Logs (tracing, JSON or text) and metrics (Prometheus).
//!
//! Logs go to standard error, so a command's own output on standard output (a key from
//! `wa vault keygen`, a report from `wa migrate`) stays clean to pipe. Colours are used only when
//! standard error is a terminal and `NO_COLOR` is unset. `wa demo` keeps its standard output for
//! its story and sends logs to a file (see [`init_demo_logging`]).

use std::{
    io::IsTerminal,
    path::Path,
    sync::{Mutex, OnceLock},
};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing::Level;
use tracing_subscriber::{EnvFilter, fmt, fmt::writer::MakeWriterExt, prelude::*};

/// Installs the log subscriber: `RUST_LOG` filters (default `default_filter`),
/// `WA_LOG_FORMAT=json` for JSON lines, all on standard error.
pub fn init_logging(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = tracing_subscriber::registry().with(filter);
    let result = if json_format() {
        registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(false)
                    .with_writer(std::io::stderr),
            )
            .try_init()
    } else {
        registry
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_ansi(colours_on_stderr())
                    .with_writer(std::io::stderr),
            )
            .try_init()
    };
    // A second initialisation (tests, the demo inside a test) keeps the first subscriber.
    let _ = result;
}

/// Logging for `wa demo`, whose standard output is a story for a person.
///
/// With `RUST_LOG` set, logs go to standard error as for every other command. Without it, they
/// go (at `info`, without colours) to the file at `path`, and only errors also reach standard
/// error. Answers whether the file is in use.
///
/// # Errors
/// The log file cannot be created.
pub fn init_demo_logging(path: &Path) -> std::io::Result<bool> {
    if std::env::var_os("RUST_LOG").is_some() {
        init_logging("info");
        return Ok(false);
    }
    let file = std::fs::File::create(path)?;
    let to_file = fmt::layer()
        .with_target(false)
        .with_ansi(false)
        .with_writer(Mutex::new(file));
    let errors_to_stderr = fmt::layer()
        .with_target(false)
        .with_ansi(colours_on_stderr())
        .with_writer(std::io::stderr.with_max_level(Level::ERROR));
    let result = tracing_subscriber::registry()
        .with(EnvFilter::new("info"))
        .with(to_file)
        .with(errors_to_stderr)
        .try_init();
    // As above: a subscriber already installed (the demo inside a test) stays.
    let _ = result;
    Ok(true)
}

fn json_format() -> bool {
    std::env::var("WA_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"))
}

/// Colours only for a person at a terminal who has not asked for none (`NO_COLOR`).
fn colours_on_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Installs the Prometheus recorder once per process and returns its handle.
pub fn init_metrics() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .clone()
}
