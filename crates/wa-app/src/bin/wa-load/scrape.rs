//! What is read off the server: its Prometheus counters and its resident memory.

use anyhow::Context;

/// The sum of every series of `name` in the server's `/metrics` whose labels contain `labels`
/// (e.g. `outcome="accepted"`; empty for all).
pub(crate) async fn counter(
    http: &reqwest::Client,
    api: &str,
    name: &str,
    labels: &str,
) -> anyhow::Result<f64> {
    let text = http
        .get(format!("{api}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let mut total = 0.0;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let (series, value) = match rest.rsplit_once(' ') {
            Some(split) => split,
            None => continue,
        };
        let labelled = series.starts_with('{');
        if !(series.is_empty() || labelled) || !series.contains(labels) {
            continue;
        }
        total += value.parse::<f64>().unwrap_or(0.0);
    }
    Ok(total)
}

/// `VmRSS` of a process, in KiB.
pub(crate) fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS line")
}
