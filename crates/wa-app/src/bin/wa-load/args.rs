//! Command-line arguments of `wa-load`.

use anyhow::{Context, bail};

/// What to run against which server.
pub(crate) struct Args {
    /// The API base URL (`http://127.0.0.1:8080`).
    pub(crate) api: String,
    /// The base URL Meta's webhooks are posted to (the API's when one listener serves both).
    pub(crate) webhooks: String,
    /// `WA_ADMIN_TOKEN` of the server.
    pub(crate) admin_token: String,
    /// `WA_META_APP_SECRET` of the server: webhooks are signed with it.
    pub(crate) app_secret: String,
    /// The server's process id, for its resident memory.
    pub(crate) server_pid: u32,
    /// A label for the report (`sqlite`, `postgres`).
    pub(crate) database: String,
    pub(crate) tenants: usize,
    pub(crate) load_tenants: usize,
    pub(crate) messages: usize,
    pub(crate) concurrency: usize,
    pub(crate) status_rate: usize,
    pub(crate) batch: usize,
    pub(crate) settle_secs: u64,
}

impl Args {
    pub(crate) fn parse() -> anyhow::Result<Self> {
        let mut parsed = Self {
            api: String::new(),
            webhooks: String::new(),
            admin_token: String::new(),
            app_secret: String::new(),
            server_pid: 0,
            database: "unknown".to_owned(),
            tenants: 10_000,
            load_tenants: 50,
            messages: 20_000,
            concurrency: 64,
            status_rate: 2_000,
            batch: 50,
            settle_secs: 5,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--api" => parsed.api = value()?,
                "--webhooks" => parsed.webhooks = value()?,
                "--admin-token" => parsed.admin_token = value()?,
                "--app-secret" => parsed.app_secret = value()?,
                "--server-pid" => parsed.server_pid = value()?.parse().context("--server-pid")?,
                "--database" => parsed.database = value()?,
                "--tenants" => parsed.tenants = value()?.parse().context("--tenants")?,
                "--load-tenants" => {
                    parsed.load_tenants = value()?.parse().context("--load-tenants")?;
                }
                "--messages" => parsed.messages = value()?.parse().context("--messages")?,
                "--concurrency" => {
                    parsed.concurrency = value()?.parse().context("--concurrency")?
                }
                "--status-rate" => {
                    parsed.status_rate = value()?.parse().context("--status-rate")?
                }
                "--batch" => parsed.batch = value()?.parse().context("--batch")?,
                "--settle-secs" => {
                    parsed.settle_secs = value()?.parse().context("--settle-secs")?
                }
                other => bail!("unknown argument {other}"),
            }
        }
        if parsed.api.is_empty() || parsed.admin_token.is_empty() || parsed.app_secret.is_empty() {
            bail!("--api, --admin-token and --app-secret are required");
        }
        if parsed.server_pid == 0 {
            bail!("--server-pid is required (the server's resident memory is measured)");
        }
        if parsed.webhooks.is_empty() {
            parsed.webhooks.clone_from(&parsed.api);
        }
        if parsed.load_tenants == 0 || parsed.load_tenants > parsed.tenants {
            bail!("--load-tenants must be between 1 and --tenants");
        }
        if parsed.concurrency == 0 || parsed.status_rate == 0 || parsed.batch == 0 {
            bail!("--concurrency, --status-rate and --batch must be > 0");
        }
        Ok(parsed)
    }
}
