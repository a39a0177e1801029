//! Composition: configuration in, adapters wired into the domain's ports out.
//!
//! The only place that names concrete adapters. Everything downstream holds `Arc<dyn Port>`.

use std::{path::PathBuf, sync::Arc};

use anyhow::{Context, Result, bail};
use async_trait::async_trait;
use sea_orm_migration::MigratorTrait;
use secrecy::ExposeSecret;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use wa_domain::{
    ports::{ApiKeyRepository, Clock, Outbox, SystemClock, WebhookInbox, WindowDeadlines},
    usecase::Ports,
};
use wa_graph::{GraphClient, GraphConfig, webhook::SignatureVerifier};
use wa_store::Store;
use wa_vault::{Keyring, Vault};

use crate::{
    config::Config,
    event_feed::EventFeed,
    read_cache::{CachedApiKeys, CachedConnections, CachedTemplates, CachedTenants},
    state::{AppState, Readiness},
    telemetry, workers,
};

/// The adapters built from a configuration.
pub struct Adapters {
    /// The domain's ports.
    pub ports: Ports,
    /// The database.
    pub store: Store,
    /// The vault (also a port; kept concrete for rotation).
    pub vault: Arc<Vault>,
    /// API keys.
    pub api_keys: Arc<dyn ApiKeyRepository>,
    /// Raw webhooks.
    pub inbox: Arc<dyn WebhookInbox>,
    /// Queued messages.
    pub outbox: Arc<dyn Outbox>,
    /// The windows' deadline announcements.
    pub window_deadlines: Arc<dyn WindowDeadlines>,
}

impl Adapters {
    /// Connects the database (migrating it), loads the vault keys, builds the Graph client.
    ///
    /// # Errors
    /// An unreachable database, bad vault keys, a bad Graph configuration.
    pub async fn build(config: &Config) -> Result<Self> {
        let store = Store::connect(&config.database_url)
            .await
            .with_context(|| {
                format!(
                    "connecting to WA_DATABASE_URL {}",
                    crate::config::redact_url_password(&config.database_url)
                )
            })?;
        migration::Migrator::up(store.connection(), None)
            .await
            .context("migrating the database")?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let keyring = load_keyring(config)?;
        let vault = Arc::new(Vault::new(
            keyring,
            Arc::new(store.credentials()),
            clock.clone(),
        ));
        let graph = GraphClient::new(GraphConfig {
            base_url: config.graph_base_url.clone(),
            api_version: config.graph_api_version.clone(),
            app_id: config.meta_app_id.clone(),
            app_secret: config.meta_app_secrets.first().cloned(),
            ..GraphConfig::default()
        })
        .context("building the Graph API client")?;
        let graph = Arc::new(graph);
        let ports = Ports {
            tenants: Arc::new(CachedTenants::new(Arc::new(store.tenants()))),
            connections: Arc::new(CachedConnections::new(Arc::new(store.connections()))),
            messages: Arc::new(store.messages()),
            conversations: Arc::new(store.conversations()),
            vault: vault.clone(),
            graph: graph.clone(),
            clock,
            account: graph,
            signups: Arc::new(store.signups()),
            templates: Arc::new(CachedTemplates::new(Arc::new(store.templates()))),
            directory: Arc::new(store.connection_directory()),
        };
        let api_keys: Arc<dyn ApiKeyRepository> =
            Arc::new(CachedApiKeys::new(Arc::new(store.api_keys())));
        let inbox: Arc<dyn WebhookInbox> = Arc::new(store.webhook_inbox());
        let outbox: Arc<dyn Outbox> = Arc::new(store.outbox());
        let window_deadlines: Arc<dyn WindowDeadlines> = Arc::new(store.conversations());
        Ok(Self {
            ports,
            store,
            vault,
            api_keys,
            inbox,
            outbox,
            window_deadlines,
        })
    }
}

/// Builds the shared state and starts the delivery workers.
///
/// # Errors
/// When no app secret is configured for webhook signatures.
pub fn build_state(
    config: &Config,
    adapters: &Adapters,
    cancel: CancellationToken,
) -> Result<(AppState, tokio::task::JoinHandle<()>)> {
    let verifier = SignatureVerifier::new(
        config
            .meta_app_secrets
            .iter()
            .map(|s| s.expose_secret().as_bytes().to_vec()),
    )
    .map_err(|_| anyhow::anyhow!("configuration: WA_META_APP_SECRET holds no usable secret"))?;
    let events = EventFeed::new(Arc::new(adapters.store.events()), cancel.clone());
    let (delivery, delivery_task) = workers::delivery::spawn(
        adapters.ports.clone(),
        adapters.outbox.clone(),
        config.delivery.clone(),
        events.clone(),
        cancel.clone(),
    );
    let (event_endpoints, event_task) = crate::events::start(
        Arc::new(adapters.store.event_endpoints()),
        adapters.vault.clone(),
        Arc::new(adapters.store.events()),
        adapters.ports.clock.clone(),
        events.subscribe(),
        config.event_delivery.clone(),
        cancel,
    )
    .context("building the outbound event client")?;
    // One handle for both workers: the caller waits for it at shutdown.
    let delivery_task = tokio::spawn(async move {
        let _ = delivery_task.await;
        let _ = event_task.await;
    });
    let state = AppState {
        ports: adapters.ports.clone(),
        admin_token: config.admin_token.clone(),
        api_keys: adapters.api_keys.clone(),
        inbox: adapters.inbox.clone(),
        inbox_signal: Arc::new(Notify::new()),
        webhook_verifier: Arc::new(verifier),
        webhook_verify_token: config.webhook_verify_token.clone(),
        delivery,
        metrics: telemetry::init_metrics(),
        readiness: Arc::new(StoreReadiness(adapters.store.clone())),
        signup_page: Arc::new(crate::http::signup::SignupPageSettings {
            sdk_url: config.signup_sdk_url.clone(),
            app_id: config.meta_app_id.clone(),
            config_id: config.signup_config_id.clone(),
            graph_version: config.graph_api_version.clone(),
            token_key: crate::http::signup::page_token_key(config.admin_token.as_ref()),
            branding: config.signup_branding.clone(),
        }),
        event_endpoints,
        events,
        http_limits: config.http,
        webhook_bodies: Arc::new(tokio::sync::Semaphore::new(config.http.webhook_concurrency)),
    };
    Ok((state, delivery_task))
}

/// `wa migrate` and `cargo xtask migrate`'s sibling in the binary.
///
/// # Errors
/// An unknown action or a failing migration.
pub async fn migrate(database_url: &str, action: &str) -> Result<String> {
    let store = Store::connect(database_url)
        .await
        .context("connecting to the database")?;
    let db = store.connection();
    match action {
        "up" => migration::Migrator::up(db, None).await?,
        "down" => migration::Migrator::down(db, Some(1)).await?,
        "fresh" => migration::Migrator::fresh(db).await?,
        "status" => {}
        other => bail!("unknown migrate action `{other}`: use up, down, status or fresh"),
    }
    let applied = migration::Migrator::get_applied_migrations(db).await?;
    let pending = migration::Migrator::get_pending_migrations(db).await?;
    let mut report = format!(
        "{action}: {} applied, {} pending",
        applied.len(),
        pending.len()
    );
    for migration in applied {
        report.push_str(&format!("\n  applied  {}", migration.name()));
    }
    for migration in pending {
        report.push_str(&format!("\n  pending  {}", migration.name()));
    }
    Ok(report)
}

/// `wa vault keygen`: a new `WA_VAULT_KEYS` entry (`id:base64`) under the given key id.
///
/// # Errors
/// An invalid key id, or no randomness.
pub fn vault_key_entry(id: &str) -> Result<secrecy::SecretString> {
    let id = wa_vault::KeyId::parse(id).map_err(|_| anyhow::anyhow!("invalid key id `{id}`"))?;
    wa_vault::generate_key_entry(&id).context("generating a key")
}

fn load_keyring(config: &Config) -> Result<Keyring> {
    // An empty WA_VAULT_KEYS or WA_VAULT_KEYS_FILE is an error (a secret that failed to reach
    // the process), never a reason to fall back to the development key.
    let configured = Keyring::from_sources(
        config.vault_keys.as_ref().map(|keys| keys.expose_secret()),
        config.vault_keys_file.as_deref(),
    )
    .map_err(|error| anyhow::anyhow!("configuration: {error}"))?;
    if let Some(keyring) = configured {
        return Ok(keyring);
    }
    if !config.uses_embedded_database() {
        bail!(
            "configuration: WA_VAULT_KEYS (or WA_VAULT_KEYS_FILE) is required with PostgreSQL (generate a key with `wa vault keygen`)"
        );
    }
    let dir = config
        .dev_key_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("data"));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("vault-dev.key");
    // The keyring warns (once) that a development key file is in use.
    Keyring::load_or_create_dev_file(&path).context("loading the development vault key")
}

struct StoreReadiness(Store);

#[async_trait]
impl Readiness for StoreReadiness {
    async fn check(&self) -> Result<(), String> {
        self.0
            .ping()
            .await
            .map_err(|_| "database unavailable".to_owned())
    }
}
