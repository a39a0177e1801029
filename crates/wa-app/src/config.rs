//! Configuration: environment variables, optionally layered over a file of `KEY=VALUE` lines.
//!
//! Every setting has one name, the environment variable (`WA_DATABASE_URL`, ...). A file given with
//! `--config FILE` (or `WA_CONFIG_FILE`) holds the same names, one `KEY=VALUE` per line, `#`
//! comments allowed; the environment wins over the file. Values are checked when the process
//! starts, and a bad value fails with a message naming the variable; secrets are never echoed.
//!
//! The variables are declared once, as the fields of `Declared` (clap's derive: name, default,
//! check), and the name list, the file's accepted keys and the parse all come from that. clap
//! rather than figment: it is already a dependency, its derive holds a default and a check beside
//! each name, and a check's own words become the message; its `env` support is not used, because
//! the layering (environment over file) and the empty-means-unset rule are ours, and the checks
//! must also run on values given in code (`from_values`, used by the demo and the tests).

use std::{collections::BTreeMap, fmt, net::SocketAddr, path::Path};

use secrecy::SecretString;

/// Meta's Graph API.
pub const META_GRAPH_URL: &str = "https://graph.facebook.com";
/// The Graph API version we pin (Meta supports it until 2028-07-29).
pub const DEFAULT_GRAPH_API_VERSION: &str = "v25.0";
/// The embedded default database.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/wa.db?mode=rwc";
/// Where the tenant API listens by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// A configuration value that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration: {name} {problem}")]
pub struct ConfigError {
    /// The variable's name.
    pub name: String,
    /// What is wrong with it (never its value when it is a secret).
    pub problem: String,
}

impl ConfigError {
    fn new(name: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            problem: problem.into(),
        }
    }
}

/// Everything `wa` reads from its environment.
#[derive(Clone)]
pub struct Config {
    /// `WA_DATABASE_URL`: `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// `WA_LISTEN`: the tenant API's address.
    pub listen: SocketAddr,
    /// `WA_WEBHOOK_LISTEN`: a separate address for Meta's webhooks, so the API need not face the internet.
    pub webhook_listen: Option<SocketAddr>,
    /// `WA_GRAPH_BASE_URL`.
    pub graph_base_url: String,
    /// `WA_GRAPH_API_VERSION`, like `v25.0`.
    pub graph_api_version: String,
    /// `WA_META_APP_ID`.
    pub meta_app_id: Option<String>,
    /// `WA_META_APP_SECRET`: one or more secrets, comma-separated, newest first, so the app
    /// secret can be rotated without rejecting webhooks signed with the old one.
    pub meta_app_secrets: Vec<SecretString>,
    /// `WA_WEBHOOK_VERIFY_TOKEN`: answers Meta's subscription handshake.
    pub webhook_verify_token: Option<SecretString>,
    /// `WA_VAULT_KEYS`: the vault keyring (see `wa_vault::Keyring`), kept even when empty: an
    /// empty value is an error at start, never a reason to fall back to a development key.
    pub vault_keys: Option<SecretString>,
    /// `WA_VAULT_KEYS_FILE`: a file holding the keyring instead (for secret mounts).
    pub vault_keys_file: Option<std::path::PathBuf>,
    /// `WA_ADMIN_TOKEN`: manages tenants.
    pub admin_token: Option<SecretString>,
    /// Where a generated development vault key is kept when `WA_VAULT_KEYS` is not set and the
    /// database is the embedded SQLite default (`data/` unless the demo says otherwise).
    pub dev_key_dir: Option<std::path::PathBuf>,
    /// How the outbox is worked: `WA_OUTBOX_CONCURRENCY`, `WA_OUTBOX_LEASE_SECONDS`,
    /// `WA_OUTBOX_MAX_ATTEMPTS`, `WA_OUTBOX_MAX_AGE_HOURS`, `WA_OUTBOX_IN_DOUBT_SECONDS`.
    pub delivery: crate::workers::delivery::DeliverySettings,
    /// `WA_INBOX_WORKERS`: webhook bodies processed in parallel (default 4).
    pub inbox_workers: usize,
    /// `WA_INBOX_LEASE_SECONDS`: how long a claimed webhook body is reserved (default 30); a
    /// crashed process's bodies are processed again after it. Shorter than the in-doubt grace,
    /// so the status webhooks a crashed process had stored settle its lapsed sends first.
    pub inbox_lease: time::Duration,
    /// `WA_INBOX_MAX_ATTEMPTS`: failed attempts before a webhook body is parked for an operator
    /// (default 10, about 17 minutes of backing off).
    pub inbox_max_attempts: u32,
    /// The HTTP edge's bounds: `WA_HTTP_HEADER_TIMEOUT_SECONDS`, `WA_HTTP_BODY_TIMEOUT_SECONDS`,
    /// `WA_HTTP_REQUEST_TIMEOUT_SECONDS`,
    /// `WA_WEBHOOK_REQUEST_TIMEOUT_SECONDS`, `WA_WEBHOOK_CONCURRENCY`.
    pub http: crate::http::limits::HttpLimits,
    /// `WA_HEALTH_CHECK_INTERVAL_SECONDS`: how often every connection is checked against Meta
    /// (default 300), the checks spread evenly over the interval.
    pub health_check_interval: std::time::Duration,
    /// `WA_SIGNUP_SDK_URL`: where the signup page loads Meta's JavaScript SDK from.
    pub signup_sdk_url: String,
    /// `WA_SIGNUP_CONFIG_ID`: the Embedded Signup configuration id (Facebook Login for Business).
    pub signup_config_id: Option<String>,
    /// `WA_SIGNUP_PRODUCT_NAME`, `WA_SIGNUP_LOGO_URL`, `WA_SIGNUP_ACCENT_COLOR`: how the SaaS
    /// presents itself on the signup page.
    pub signup_branding: crate::http::signup_page::SignupBranding,
    /// Outbound event delivery: `WA_EVENT_DELIVERY_MAX_AGE_HOURS`, `WA_EVENT_ALLOWED_NETS`,
    /// `WA_EVENT_ALLOW_HTTP`, `WA_EVENT_DELIVERY_CONCURRENCY`.
    pub event_delivery: crate::events::EventDeliverySettings,
    /// `WA_EVENTS_RETENTION_HOURS`: how long events are kept before they are pruned (default
    /// 168, seven days).
    pub events_retention: time::Duration,
    /// `WA_WINDOW_CLOSING_LEAD_MINUTES`: how long before a window closes `window.closing` is
    /// written (default 60).
    pub window_closing_lead: time::Duration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |present: bool| if present { "[set]" } else { "[unset]" };
        f.debug_struct("Config")
            .field("database_url", &redact_url_password(&self.database_url))
            .field("listen", &self.listen)
            .field("webhook_listen", &self.webhook_listen)
            .field("graph_base_url", &self.graph_base_url)
            .field("graph_api_version", &self.graph_api_version)
            .field("meta_app_id", &self.meta_app_id)
            .field(
                "meta_app_secrets",
                &format!("[{} set]", self.meta_app_secrets.len()),
            )
            .field(
                "webhook_verify_token",
                &set(self.webhook_verify_token.is_some()),
            )
            .field("vault_keys", &set(self.vault_keys.is_some()))
            .field("vault_keys_file", &self.vault_keys_file)
            .field("admin_token", &set(self.admin_token.is_some()))
            .field("delivery", &self.delivery)
            .field("inbox_workers", &self.inbox_workers)
            .field("inbox_lease", &self.inbox_lease)
            .field("inbox_max_attempts", &self.inbox_max_attempts)
            .field("http", &self.http)
            .field("health_check_interval", &self.health_check_interval)
            .field("signup_sdk_url", &self.signup_sdk_url)
            .field("signup_config_id", &self.signup_config_id)
            .field("signup_branding", &self.signup_branding)
            .field("event_delivery", &self.event_delivery)
            .field("events_retention", &self.events_retention)
            .field("window_closing_lead", &self.window_closing_lead)
            .finish()
    }
}

/// Where Meta serves its JavaScript SDK (the signup page's default).
pub const META_SDK_URL: &str = "https://connect.facebook.net/en_US/sdk.js";

/// Every variable, declared once: its name (the long option clap parses it from), its default and
/// its check. Values arrive as `--NAME=VALUE` arguments built from the gathered name → value pairs
/// (see [`Config::from_values`]), so the layering of file and environment stays ours and clap
/// never reads the process environment itself. A value that is empty after trimming counts as
/// unset. Adding a setting is one field here (plus where [`Config`] keeps it).
#[derive(Debug, clap::Parser)]
#[command(
    no_binary_name = true,
    disable_help_flag = true,
    disable_version_flag = true
)]
struct Declared {
    #[arg(long = "WA_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, value_parser = database_url)]
    database_url: String,
    #[arg(long = "WA_LISTEN", default_value = DEFAULT_LISTEN, value_parser = address)]
    listen: SocketAddr,
    #[arg(long = "WA_WEBHOOK_LISTEN", value_parser = address)]
    webhook_listen: Option<SocketAddr>,
    #[arg(long = "WA_GRAPH_BASE_URL", default_value = META_GRAPH_URL, value_parser = http_url)]
    graph_base_url: String,
    #[arg(long = "WA_GRAPH_API_VERSION", default_value = DEFAULT_GRAPH_API_VERSION, value_parser = api_version)]
    graph_api_version: String,
    #[arg(long = "WA_META_APP_ID", value_parser = app_id)]
    meta_app_id: Option<String>,
    /// Secret: parsed without a check that could echo it.
    #[arg(long = "WA_META_APP_SECRET")]
    meta_app_secret: Option<String>,
    #[arg(long = "WA_WEBHOOK_VERIFY_TOKEN")]
    webhook_verify_token: Option<String>,
    /// Kept even when empty (an empty keyring is an error at start, never a fallback).
    #[arg(long = "WA_VAULT_KEYS")]
    vault_keys: Option<String>,
    /// Kept even when empty, like `WA_VAULT_KEYS`.
    #[arg(long = "WA_VAULT_KEYS_FILE")]
    vault_keys_file: Option<std::path::PathBuf>,
    #[arg(long = "WA_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// Default: `DeliverySettings::default()` (256), as the following four.
    #[arg(long = "WA_OUTBOX_CONCURRENCY", value_parser = count(1, 100_000))]
    outbox_concurrency: Option<u32>,
    #[arg(long = "WA_OUTBOX_LEASE_SECONDS", value_parser = count(1, 86_400))]
    outbox_lease_seconds: Option<u32>,
    #[arg(long = "WA_OUTBOX_MAX_ATTEMPTS", value_parser = count(1, 1_000))]
    outbox_max_attempts: Option<u32>,
    #[arg(long = "WA_OUTBOX_MAX_AGE_HOURS", value_parser = count(1, 720))]
    outbox_max_age_hours: Option<u32>,
    #[arg(long = "WA_OUTBOX_IN_DOUBT_SECONDS", value_parser = count(1, 86_400))]
    outbox_in_doubt_seconds: Option<u32>,
    #[arg(long = "WA_INBOX_WORKERS", default_value_t = 4, value_parser = count(1, 64))]
    inbox_workers: u32,
    #[arg(long = "WA_INBOX_LEASE_SECONDS", default_value_t = 30, value_parser = count(1, 3_600))]
    inbox_lease_seconds: u32,
    #[arg(long = "WA_INBOX_MAX_ATTEMPTS", default_value_t = 10, value_parser = count(1, 100))]
    inbox_max_attempts: u32,
    #[arg(long = "WA_HTTP_HEADER_TIMEOUT_SECONDS", default_value_t = 10, value_parser = count(1, 600))]
    http_header_timeout_seconds: u32,
    #[arg(long = "WA_HTTP_BODY_TIMEOUT_SECONDS", default_value_t = 5, value_parser = count(1, 600))]
    http_body_timeout_seconds: u32,
    #[arg(long = "WA_HTTP_REQUEST_TIMEOUT_SECONDS", default_value_t = 30, value_parser = count(1, 3_600))]
    http_request_timeout_seconds: u32,
    #[arg(long = "WA_WEBHOOK_REQUEST_TIMEOUT_SECONDS", default_value_t = 10, value_parser = count(1, 600))]
    webhook_request_timeout_seconds: u32,
    #[arg(long = "WA_WEBHOOK_CONCURRENCY", default_value_t = 16, value_parser = count(1, 1_024))]
    webhook_concurrency: u32,
    #[arg(long = "WA_HEALTH_CHECK_INTERVAL_SECONDS", default_value_t = 300, value_parser = count(1, 86_400))]
    health_check_interval_seconds: u32,
    #[arg(long = "WA_SIGNUP_SDK_URL", default_value = META_SDK_URL, value_parser = http_url)]
    signup_sdk_url: String,
    #[arg(long = "WA_SIGNUP_CONFIG_ID", value_parser = signup_config_id)]
    signup_config_id: Option<String>,
    /// Default: `SignupBranding::default()`, as the following two.
    #[arg(long = "WA_SIGNUP_PRODUCT_NAME", value_parser = product_name)]
    signup_product_name: Option<String>,
    #[arg(long = "WA_SIGNUP_LOGO_URL", value_parser = logo_url)]
    signup_logo_url: Option<String>,
    #[arg(long = "WA_SIGNUP_ACCENT_COLOR", value_parser = accent_colour)]
    signup_accent_color: Option<String>,
    /// Default: `EventDeliverySettings::default()`, as the following three.
    #[arg(long = "WA_EVENT_DELIVERY_MAX_AGE_HOURS", value_parser = count(1, 720))]
    event_delivery_max_age_hours: Option<u32>,
    #[arg(long = "WA_EVENT_ALLOWED_NETS", value_parser = allowed_nets)]
    event_allowed_nets: Option<String>,
    #[arg(long = "WA_EVENT_ALLOW_HTTP", value_parser = yes_or_no)]
    event_allow_http: Option<bool>,
    #[arg(long = "WA_EVENT_DELIVERY_CONCURRENCY", value_parser = count(1, 10_000))]
    event_delivery_concurrency: Option<u32>,
    #[arg(long = "WA_EVENTS_RETENTION_HOURS", default_value_t = 168, value_parser = count(1, 24 * 3650))]
    events_retention_hours: u32,
    #[arg(long = "WA_WINDOW_CLOSING_LEAD_MINUTES", default_value_t = 60, value_parser = count(1, 24 * 60 - 1))]
    window_closing_lead_minutes: u32,
}

/// The names of every variable, in declaration order (for the file parser and the docs).
pub fn variables() -> Vec<String> {
    use clap::CommandFactory;
    Declared::command()
        .get_arguments()
        .filter_map(|argument| argument.get_long())
        .map(str::to_owned)
        .collect()
}

impl Config {
    /// Reads the process environment, over the file when one is given.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first bad variable (or the file).
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut values = BTreeMap::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError::new(
                    "WA_CONFIG_FILE",
                    format!("cannot be read ({}): {e}", path.display()),
                )
            })?;
            values = parse_file(&text)?;
        }
        for name in variables() {
            if let Ok(value) = std::env::var(&name) {
                values.insert(name, value);
            }
        }
        Self::from_values(&values)
    }

    /// Builds the configuration from name → value pairs (what `load` gathers).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first bad variable.
    pub fn from_values(values: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        use clap::Parser;
        let names = variables();
        let mut arguments = Vec::new();
        for (name, value) in values {
            if !names.contains(name) {
                continue;
            }
            // The vault's keyring is kept even when empty; any other empty value is unset.
            let kept = if matches!(name.as_str(), "WA_VAULT_KEYS" | "WA_VAULT_KEYS_FILE") {
                value.clone()
            } else {
                let trimmed = value.trim();
                if trimmed.is_empty() {
                    continue;
                }
                trimmed.to_owned()
            };
            arguments.push(format!("--{name}={kept}"));
        }
        let declared = Declared::try_parse_from(arguments).map_err(|error| clap_problem(&error))?;
        declared.into_config()
    }
    /// What `wa serve` cannot run without.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the missing variable.
    pub fn require_for_serving(&self) -> Result<(), ConfigError> {
        if self.admin_token.is_none() {
            return Err(ConfigError::new(
                "WA_ADMIN_TOKEN",
                "is required: it authorises tenant management",
            ));
        }
        if self.meta_app_secrets.is_empty() {
            return Err(ConfigError::new(
                "WA_META_APP_SECRET",
                "is required: webhooks are verified with it",
            ));
        }
        if self.webhook_verify_token.is_none() {
            return Err(ConfigError::new(
                "WA_WEBHOOK_VERIFY_TOKEN",
                "is required: Meta's webhook handshake checks it",
            ));
        }
        Ok(())
    }

    /// Whether the database is the embedded SQLite default (where a dev vault key may be generated).
    pub fn uses_embedded_database(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

/// Parses `KEY=VALUE` lines; unknown keys are an error so typos do not pass silently.
fn parse_file(text: &str) -> Result<BTreeMap<String, String>, ConfigError> {
    let names = variables();
    let mut values = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(ConfigError::new(
                "WA_CONFIG_FILE",
                format!("line {} is not KEY=VALUE", index + 1),
            ));
        };
        let key = key.trim();
        if !names.iter().any(|name| name == key) {
            return Err(ConfigError::new(
                "WA_CONFIG_FILE",
                format!("line {}: unknown setting `{key}`", index + 1),
            ));
        }
        let value = value.trim().trim_matches('"');
        values.insert(key.to_owned(), value.to_owned());
    }
    Ok(values)
}

/// `postgres://user:password@host/db` → `postgres://user:***@host/db`.
pub fn redact_url_password(url: &str) -> String {
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
mod tests;

impl Declared {
    /// The checked values in the shapes the rest of the app uses, and the checks that involve
    /// more than one variable.
    fn into_config(self) -> Result<Config, ConfigError> {
        let meta_app_secrets = match &self.meta_app_secret {
            Some(list) => {
                let secrets: Vec<SecretString> = list
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| SecretString::from(s.to_owned()))
                    .collect();
                if secrets.is_empty() {
                    return Err(ConfigError::new("WA_META_APP_SECRET", "holds no secret"));
                }
                secrets
            }
            None => Vec::new(),
        };
        let seconds = |value: u32| std::time::Duration::from_secs(u64::from(value));
        let mut delivery = crate::workers::delivery::DeliverySettings::default();
        if let Some(value) = self.outbox_concurrency {
            delivery.concurrency = value as usize;
        }
        if let Some(value) = self.outbox_lease_seconds {
            delivery.lease = seconds(value);
        }
        if let Some(value) = self.outbox_max_attempts {
            delivery.retry.max_attempts = value;
        }
        if let Some(value) = self.outbox_max_age_hours {
            delivery.retry.max_age = time::Duration::hours(i64::from(value));
        }
        if let Some(value) = self.outbox_in_doubt_seconds {
            delivery.retry.in_doubt_grace = time::Duration::seconds(i64::from(value));
        }
        let inbox_lease = time::Duration::seconds(i64::from(self.inbox_lease_seconds));
        if delivery.retry.in_doubt_grace <= inbox_lease {
            // A crashed process's lapsed sends would go again before the status webhooks it had
            // stored were processed: duplicates where none need be.
            return Err(ConfigError::new(
                "WA_OUTBOX_IN_DOUBT_SECONDS",
                format!(
                    "must be longer than WA_INBOX_LEASE_SECONDS ({} s), so the status webhooks \
                     a crashed process stored are applied before its unfinished sends go again",
                    inbox_lease.whole_seconds()
                ),
            ));
        }
        let branding_defaults = crate::http::signup_page::SignupBranding::default();
        let signup_branding = crate::http::signup_page::SignupBranding {
            product_name: self
                .signup_product_name
                .unwrap_or(branding_defaults.product_name),
            logo_url: self.signup_logo_url,
            accent_color: self
                .signup_accent_color
                .unwrap_or(branding_defaults.accent_color),
        };
        let mut event_delivery = crate::events::EventDeliverySettings::default();
        if let Some(value) = self.event_delivery_max_age_hours {
            event_delivery.max_age = time::Duration::hours(i64::from(value));
        }
        if let Some(value) = &self.event_allowed_nets {
            event_delivery.policy.allowed_nets = crate::events::settings::parse_allowed_nets(value)
                .map_err(|problem| ConfigError::new("WA_EVENT_ALLOWED_NETS", problem))?;
        }
        if let Some(value) = self.event_allow_http {
            event_delivery.policy.allow_http = value;
        }
        if let Some(value) = self.event_delivery_concurrency {
            event_delivery.concurrency = value as usize;
        }
        Ok(Config {
            database_url: self.database_url,
            listen: self.listen,
            webhook_listen: self.webhook_listen,
            graph_base_url: self.graph_base_url.trim_end_matches('/').to_owned(),
            graph_api_version: self.graph_api_version,
            meta_app_id: self.meta_app_id,
            meta_app_secrets,
            webhook_verify_token: self.webhook_verify_token.map(SecretString::from),
            vault_keys: self.vault_keys.map(SecretString::from),
            vault_keys_file: self.vault_keys_file,
            admin_token: self.admin_token.map(SecretString::from),
            dev_key_dir: None,
            delivery,
            inbox_workers: self.inbox_workers as usize,
            inbox_lease,
            inbox_max_attempts: self.inbox_max_attempts,
            http: crate::http::limits::HttpLimits {
                header_timeout: seconds(self.http_header_timeout_seconds),
                body_timeout: seconds(self.http_body_timeout_seconds),
                request_timeout: seconds(self.http_request_timeout_seconds),
                webhook_request_timeout: seconds(self.webhook_request_timeout_seconds),
                webhook_concurrency: self.webhook_concurrency as usize,
            },
            health_check_interval: seconds(self.health_check_interval_seconds),
            signup_sdk_url: self.signup_sdk_url,
            signup_config_id: self.signup_config_id,
            signup_branding,
            event_delivery,
            events_retention: time::Duration::hours(i64::from(self.events_retention_hours)),
            window_closing_lead: time::Duration::minutes(i64::from(
                self.window_closing_lead_minutes,
            )),
        })
    }
}

/// clap's refusal as a [`ConfigError`]: the variable it names and our check's own words (never
/// clap's rendering, which quotes the value and so could echo a secret).
fn clap_problem(error: &clap::Error) -> ConfigError {
    use clap::error::{ContextKind, ContextValue};
    let name = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(argument)) => argument
            .trim_start_matches('-')
            .split(['=', ' '])
            .next()
            .unwrap_or_default()
            .to_owned(),
        _ => "configuration".to_owned(),
    };
    let problem = std::error::Error::source(error)
        .map(ToString::to_string)
        .unwrap_or_else(|| format!("is not valid ({})", error.kind()));
    ConfigError::new(name, problem)
}

// The checks, each a clap value parser whose error is the problem shown after the variable's name.

fn database_url(value: &str) -> Result<String, String> {
    if value.starts_with("sqlite:")
        || value.starts_with("postgres://")
        || value.starts_with("postgresql://")
    {
        Ok(value.to_owned())
    } else {
        Err("must start with sqlite:, postgres:// or postgresql://".to_owned())
    }
}

fn address(value: &str) -> Result<SocketAddr, String> {
    value
        .parse()
        .map_err(|_| "must be an address like 127.0.0.1:8080".to_owned())
}

fn http_url(value: &str) -> Result<String, String> {
    if value.starts_with("https://") || value.starts_with("http://") {
        Ok(value.to_owned())
    } else {
        Err("must be an http:// or https:// URL".to_owned())
    }
}

fn api_version(value: &str) -> Result<String, String> {
    let valid = value
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| {
            !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()) && minor == "0"
        });
    if valid {
        Ok(value.to_owned())
    } else {
        Err("must look like v25.0".to_owned())
    }
}

fn app_id(value: &str) -> Result<String, String> {
    if value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err("must be the numeric app id".to_owned())
    }
}

fn signup_config_id(value: &str) -> Result<String, String> {
    if value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Ok(value.to_owned())
    } else {
        Err("must be the configuration id (letters, digits, - and _)".to_owned())
    }
}

fn product_name(value: &str) -> Result<String, String> {
    if value.chars().count() > 60 || value.chars().any(char::is_control) {
        Err("must be at most 60 characters, without control characters".to_owned())
    } else {
        Ok(value.to_owned())
    }
}

fn logo_url(value: &str) -> Result<String, String> {
    if url::Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "https" | "http")) {
        Ok(value.to_owned())
    } else {
        Err("must be an https:// (or http:// for development) URL of an image".to_owned())
    }
}

fn accent_colour(value: &str) -> Result<String, String> {
    if crate::http::signup_page::is_hex_colour(value) {
        Ok(value.to_owned())
    } else {
        Err("must be a colour as #rrggbb, e.g. #0b6e5f".to_owned())
    }
}

fn allowed_nets(value: &str) -> Result<String, String> {
    crate::events::settings::parse_allowed_nets(value).map(|_| value.to_owned())
}

fn yes_or_no(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err("must be true or false".to_owned()),
    }
}

/// A check for a whole number in `min..=max`.
fn count(
    min: u32,
    max: u32,
) -> impl Fn(&str) -> Result<u32, String> + Clone + Send + Sync + 'static {
    move |value: &str| {
        value
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| format!("must be a whole number from {min} to {max}"))
    }
}
