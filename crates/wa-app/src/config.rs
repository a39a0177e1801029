//! Configuration: environment variables, optionally layered over a file of `KEY=VALUE` lines.
//!
//! Every setting has one name, the environment variable (`WA_DATABASE_URL`, ...). A file given with
//! `--config FILE` (or `WA_CONFIG_FILE`) holds the same names, one `KEY=VALUE` per line, `#`
//! comments allowed; the environment wins over the file. Values are checked when the process
//! starts, and a bad value fails with a message naming the variable; secrets are never echoed.

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
    pub name: &'static str,
    /// What is wrong with it (never its value when it is a secret).
    pub problem: String,
}

impl ConfigError {
    fn new(name: &'static str, problem: impl Into<String>) -> Self {
        Self {
            name,
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
    /// `WA_HTTP_REQUEST_TIMEOUT_SECONDS`, `WA_WEBHOOK_REQUEST_TIMEOUT_SECONDS`,
    /// `WA_WEBHOOK_CONCURRENCY`.
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

/// Names of every variable, for the file parser and the docs.
pub const VARIABLES: [&str; 33] = [
    "WA_DATABASE_URL",
    "WA_LISTEN",
    "WA_WEBHOOK_LISTEN",
    "WA_GRAPH_BASE_URL",
    "WA_GRAPH_API_VERSION",
    "WA_META_APP_ID",
    "WA_META_APP_SECRET",
    "WA_WEBHOOK_VERIFY_TOKEN",
    "WA_VAULT_KEYS",
    "WA_VAULT_KEYS_FILE",
    "WA_ADMIN_TOKEN",
    "WA_OUTBOX_CONCURRENCY",
    "WA_OUTBOX_LEASE_SECONDS",
    "WA_OUTBOX_MAX_ATTEMPTS",
    "WA_OUTBOX_MAX_AGE_HOURS",
    "WA_OUTBOX_IN_DOUBT_SECONDS",
    "WA_INBOX_WORKERS",
    "WA_INBOX_LEASE_SECONDS",
    "WA_INBOX_MAX_ATTEMPTS",
    "WA_HTTP_HEADER_TIMEOUT_SECONDS",
    "WA_HTTP_BODY_TIMEOUT_SECONDS",
    "WA_HTTP_REQUEST_TIMEOUT_SECONDS",
    "WA_WEBHOOK_REQUEST_TIMEOUT_SECONDS",
    "WA_WEBHOOK_CONCURRENCY",
    "WA_HEALTH_CHECK_INTERVAL_SECONDS",
    "WA_SIGNUP_SDK_URL",
    "WA_SIGNUP_CONFIG_ID",
    "WA_EVENT_DELIVERY_MAX_AGE_HOURS",
    "WA_EVENT_ALLOWED_NETS",
    "WA_EVENT_ALLOW_HTTP",
    "WA_EVENT_DELIVERY_CONCURRENCY",
    "WA_EVENTS_RETENTION_HOURS",
    "WA_WINDOW_CLOSING_LEAD_MINUTES",
];

/// Where Meta serves its JavaScript SDK (the signup page's default).
pub const META_SDK_URL: &str = "https://connect.facebook.net/en_US/sdk.js";

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
        for name in VARIABLES {
            if let Ok(value) = std::env::var(name) {
                values.insert(name.to_owned(), value);
            }
        }
        Self::from_values(&values)
    }

    /// Builds the configuration from name → value pairs (what `load` gathers).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first bad variable.
    pub fn from_values(values: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            values
                .get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let database_url =
            get("WA_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::new(
                "WA_DATABASE_URL",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        let listen = parse_addr(
            "WA_LISTEN",
            &get("WA_LISTEN").unwrap_or_else(|| DEFAULT_LISTEN.to_owned()),
        )?;
        let webhook_listen = get("WA_WEBHOOK_LISTEN")
            .map(|v| parse_addr("WA_WEBHOOK_LISTEN", &v))
            .transpose()?;
        let graph_base_url = get("WA_GRAPH_BASE_URL").unwrap_or_else(|| META_GRAPH_URL.to_owned());
        if !(graph_base_url.starts_with("https://") || graph_base_url.starts_with("http://")) {
            return Err(ConfigError::new(
                "WA_GRAPH_BASE_URL",
                "must be an http:// or https:// URL",
            ));
        }
        let graph_api_version =
            get("WA_GRAPH_API_VERSION").unwrap_or_else(|| DEFAULT_GRAPH_API_VERSION.to_owned());
        if !is_api_version(&graph_api_version) {
            return Err(ConfigError::new(
                "WA_GRAPH_API_VERSION",
                "must look like v25.0",
            ));
        }
        let meta_app_id = get("WA_META_APP_ID");
        if let Some(id) = &meta_app_id
            && !id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ConfigError::new(
                "WA_META_APP_ID",
                "must be the numeric app id",
            ));
        }
        let meta_app_secrets = match get("WA_META_APP_SECRET") {
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
        let mut delivery = crate::workers::delivery::DeliverySettings::default();
        if let Some(v) = get("WA_OUTBOX_CONCURRENCY") {
            delivery.concurrency = parse_count("WA_OUTBOX_CONCURRENCY", &v, 1, 100_000)? as usize;
        }
        if let Some(v) = get("WA_OUTBOX_LEASE_SECONDS") {
            delivery.lease = std::time::Duration::from_secs(u64::from(parse_count(
                "WA_OUTBOX_LEASE_SECONDS",
                &v,
                1,
                86_400,
            )?));
        }
        if let Some(v) = get("WA_OUTBOX_MAX_ATTEMPTS") {
            delivery.retry.max_attempts = parse_count("WA_OUTBOX_MAX_ATTEMPTS", &v, 1, 1_000)?;
        }
        if let Some(v) = get("WA_OUTBOX_MAX_AGE_HOURS") {
            delivery.retry.max_age = time::Duration::hours(i64::from(parse_count(
                "WA_OUTBOX_MAX_AGE_HOURS",
                &v,
                1,
                720,
            )?));
        }
        if let Some(v) = get("WA_OUTBOX_IN_DOUBT_SECONDS") {
            delivery.retry.in_doubt_grace = time::Duration::seconds(i64::from(parse_count(
                "WA_OUTBOX_IN_DOUBT_SECONDS",
                &v,
                1,
                86_400,
            )?));
        }
        let inbox_workers = match get("WA_INBOX_WORKERS") {
            Some(v) => parse_count("WA_INBOX_WORKERS", &v, 1, 64)? as usize,
            None => 4,
        };
        let inbox_lease = time::Duration::seconds(i64::from(match get("WA_INBOX_LEASE_SECONDS") {
            Some(v) => parse_count("WA_INBOX_LEASE_SECONDS", &v, 1, 3_600)?,
            None => 30,
        }));
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
        let inbox_max_attempts = match get("WA_INBOX_MAX_ATTEMPTS") {
            Some(v) => parse_count("WA_INBOX_MAX_ATTEMPTS", &v, 1, 100)?,
            None => 10,
        };
        let seconds = |name: &'static str,
                       default: u32,
                       max: u32|
         -> Result<std::time::Duration, ConfigError> {
            Ok(std::time::Duration::from_secs(u64::from(match get(name) {
                Some(v) => parse_count(name, &v, 1, max)?,
                None => default,
            })))
        };
        let http = crate::http::limits::HttpLimits {
            header_timeout: seconds("WA_HTTP_HEADER_TIMEOUT_SECONDS", 10, 600)?,
            body_timeout: seconds("WA_HTTP_BODY_TIMEOUT_SECONDS", 5, 600)?,
            request_timeout: seconds("WA_HTTP_REQUEST_TIMEOUT_SECONDS", 30, 3_600)?,
            webhook_request_timeout: seconds("WA_WEBHOOK_REQUEST_TIMEOUT_SECONDS", 10, 600)?,
            webhook_concurrency: match get("WA_WEBHOOK_CONCURRENCY") {
                Some(v) => parse_count("WA_WEBHOOK_CONCURRENCY", &v, 1, 1_024)? as usize,
                None => 16,
            },
        };
        let health_check_interval = std::time::Duration::from_secs(u64::from(
            match get("WA_HEALTH_CHECK_INTERVAL_SECONDS") {
                Some(v) => parse_count("WA_HEALTH_CHECK_INTERVAL_SECONDS", &v, 1, 86_400)?,
                None => 300,
            },
        ));
        let signup_sdk_url = get("WA_SIGNUP_SDK_URL").unwrap_or_else(|| META_SDK_URL.to_owned());
        if !(signup_sdk_url.starts_with("https://") || signup_sdk_url.starts_with("http://")) {
            return Err(ConfigError::new(
                "WA_SIGNUP_SDK_URL",
                "must be an http:// or https:// URL",
            ));
        }
        let signup_config_id = get("WA_SIGNUP_CONFIG_ID");
        if let Some(id) = &signup_config_id
            && !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(ConfigError::new(
                "WA_SIGNUP_CONFIG_ID",
                "must be the configuration id (letters, digits, - and _)",
            ));
        }
        let signup_branding = signup_branding(&get)?;
        let event_delivery = event_delivery_settings(&get)?;
        let events_retention = match get("WA_EVENTS_RETENTION_HOURS") {
            Some(v) => time::Duration::hours(i64::from(parse_count(
                "WA_EVENTS_RETENTION_HOURS",
                &v,
                1,
                24 * 3650,
            )?)),
            None => time::Duration::days(7),
        };
        let window_closing_lead = match get("WA_WINDOW_CLOSING_LEAD_MINUTES") {
            Some(v) => time::Duration::minutes(i64::from(parse_count(
                "WA_WINDOW_CLOSING_LEAD_MINUTES",
                &v,
                1,
                24 * 60 - 1,
            )?)),
            None => time::Duration::hours(1),
        };
        Ok(Self {
            health_check_interval,
            signup_sdk_url,
            signup_config_id,
            signup_branding,
            delivery,
            inbox_workers,
            inbox_lease,
            inbox_max_attempts,
            http,
            event_delivery,
            events_retention,
            window_closing_lead,
            database_url,
            listen,
            webhook_listen,
            graph_base_url: graph_base_url.trim_end_matches('/').to_owned(),
            graph_api_version,
            meta_app_id,
            meta_app_secrets,
            webhook_verify_token: get("WA_WEBHOOK_VERIFY_TOKEN").map(SecretString::from),
            vault_keys: values
                .get("WA_VAULT_KEYS")
                .map(|v| SecretString::from(v.clone())),
            vault_keys_file: values
                .get("WA_VAULT_KEYS_FILE")
                .map(std::path::PathBuf::from),
            admin_token: get("WA_ADMIN_TOKEN").map(SecretString::from),
            dev_key_dir: None,
        })
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

fn parse_addr(name: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    value
        .parse()
        .map_err(|_| ConfigError::new(name, "must be an address like 127.0.0.1:8080"))
}

fn is_api_version(value: &str) -> bool {
    let Some(rest) = value.strip_prefix('v') else {
        return false;
    };
    let Some((major, minor)) = rest.split_once('.') else {
        return false;
    };
    !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()) && minor == "0"
}

/// Parses `KEY=VALUE` lines; unknown keys are an error so typos do not pass silently.
fn parse_file(text: &str) -> Result<BTreeMap<String, String>, ConfigError> {
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
        if !VARIABLES.contains(&key) {
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

/// The signup page's branding (`WA_SIGNUP_PRODUCT_NAME`, `WA_SIGNUP_LOGO_URL`,
/// `WA_SIGNUP_ACCENT_COLOR`) over its defaults.
fn signup_branding(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<crate::http::signup_page::SignupBranding, ConfigError> {
    use crate::http::signup_page::{SignupBranding, is_hex_colour};
    let defaults = SignupBranding::default();
    let product_name = match get("WA_SIGNUP_PRODUCT_NAME") {
        Some(name) if name.chars().count() > 60 || name.chars().any(char::is_control) => {
            return Err(ConfigError::new(
                "WA_SIGNUP_PRODUCT_NAME",
                "must be at most 60 characters, without control characters",
            ));
        }
        Some(name) => name,
        None => defaults.product_name,
    };
    let logo_url = get("WA_SIGNUP_LOGO_URL");
    if let Some(url) = &logo_url
        && !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http"))
    {
        return Err(ConfigError::new(
            "WA_SIGNUP_LOGO_URL",
            "must be an https:// (or http:// for development) URL of an image",
        ));
    }
    let accent_color = match get("WA_SIGNUP_ACCENT_COLOR") {
        Some(colour) if !is_hex_colour(&colour) => {
            return Err(ConfigError::new(
                "WA_SIGNUP_ACCENT_COLOR",
                "must be a colour as #rrggbb, e.g. #0b6e5f",
            ));
        }
        Some(colour) => colour,
        None => defaults.accent_color,
    };
    Ok(SignupBranding {
        product_name,
        logo_url,
        accent_color,
    })
}

/// The `WA_EVENT_*` settings over their defaults.
fn event_delivery_settings(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<crate::events::EventDeliverySettings, ConfigError> {
    let mut settings = crate::events::EventDeliverySettings::default();
    if let Some(v) = get("WA_EVENT_DELIVERY_MAX_AGE_HOURS") {
        settings.max_age = time::Duration::hours(i64::from(parse_count(
            "WA_EVENT_DELIVERY_MAX_AGE_HOURS",
            &v,
            1,
            720,
        )?));
    }
    if let Some(v) = get("WA_EVENT_ALLOWED_NETS") {
        settings.policy.allowed_nets = crate::events::settings::parse_allowed_nets(&v)
            .map_err(|problem| ConfigError::new("WA_EVENT_ALLOWED_NETS", problem))?;
    }
    if let Some(v) = get("WA_EVENT_ALLOW_HTTP") {
        settings.policy.allow_http = match v.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => true,
            "0" | "false" | "no" => false,
            _ => {
                return Err(ConfigError::new(
                    "WA_EVENT_ALLOW_HTTP",
                    "must be true or false",
                ));
            }
        };
    }
    if let Some(v) = get("WA_EVENT_DELIVERY_CONCURRENCY") {
        settings.concurrency =
            parse_count("WA_EVENT_DELIVERY_CONCURRENCY", &v, 1, 10_000)? as usize;
    }
    Ok(settings)
}

#[cfg(test)]
mod tests;

/// A whole number in `min..=max`, or an error naming the variable.
fn parse_count(name: &'static str, value: &str, min: u32, max: u32) -> Result<u32, ConfigError> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            ConfigError::new(name, format!("must be a whole number from {min} to {max}"))
        })
}
