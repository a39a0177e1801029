//! The `wa` command line.

#![allow(clippy::print_stdout)]

mod accounts;
mod inbox;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use secrecy::ExposeSecret;
use wa_domain::{
    content::{OutboundContent, Text},
    ids::{Recipient, TenantId},
    message::{MessageFilter, OutboundMessage, Page},
    status::MessageStatus,
    tenant::Tenant,
};

use crate::{compose, config::Config, demo, http::auth::generate_api_key, server, telemetry};

/// wa: run WhatsApp Business messaging for many businesses.
#[derive(Debug, Parser)]
#[command(
    name = "wa",
    version,
    about = "wa: run WhatsApp Business messaging (Cloud API) for many businesses",
    long_about = None,
    after_help = "Try it with no setup:  wa demo\n\
                  Run the service:       WA_ADMIN_TOKEN=... WA_META_APP_SECRET=... wa serve\n\
                  Settings come from WA_* environment variables or --config (see README.md)."
)]
pub struct Cli {
    /// A file of KEY=VALUE settings (the same names as the environment variables, which win).
    #[arg(long, global = true, env = "WA_CONFIG_FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service: the tenant API, Meta's webhook receiver and the workers.
    Serve,
    /// Apply the database migrations (the service also does this at start).
    Migrate {
        /// `up` (default), `down` (one step), `status` or `fresh` (drop everything and re-apply).
        #[arg(default_value = "up")]
        action: String,
    },
    /// Manage tenants directly in the database.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Send a text message now, bypassing the queue (for operators and scripts).
    Send(SendArgs),
    /// List a tenant's messages.
    Messages(MessagesArgs),
    /// The credential vault: make a key, re-encrypt every credential under the newest key.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Run the whole system against the built-in Cloud API simulator and show what happens.
    Demo(demo::DemoArgs),
    /// List every WhatsApp connection: health, why it is unhealthy and since when, quality,
    /// throughput and messaging limit.
    Connections,
    /// List a tenant's message templates as synced from Meta.
    Templates {
        /// The tenant id.
        #[arg(long)]
        tenant: String,
    },
    /// Meta's webhook bodies parked after failing `WA_INBOX_MAX_ATTEMPTS` times.
    #[command(subcommand)]
    Inbox(InboxCommand),
}

/// `wa inbox …`.
#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// List parked bodies with their last error.
    Parked,
    /// Queue parked bodies again (once the cause is fixed).
    Replay {
        /// The parked body's id.
        id: Option<i64>,
        /// Every parked body.
        #[arg(long)]
        all: bool,
    },
}

/// `wa tenant …`.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant and print its first API key.
    Create {
        /// Its name.
        name: String,
    },
    /// List tenants.
    List,
    /// Disable a tenant (it can no longer send).
    Disable {
        /// The tenant id.
        id: String,
    },
}

/// `wa send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The tenant id.
    #[arg(long)]
    pub tenant: String,
    /// The customer: phone number with country code, or BSUID.
    #[arg(long)]
    pub to: String,
    /// The text to send.
    #[arg(long)]
    pub text: String,
}

/// `wa messages`.
#[derive(Debug, Args)]
pub struct MessagesArgs {
    /// The tenant id.
    #[arg(long)]
    pub tenant: String,
    /// Only this state.
    #[arg(long)]
    pub status: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
}

/// `wa vault …`.
#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Print a new random vault key entry (`id:base64`) to put first in `WA_VAULT_KEYS`.
    Keygen {
        /// The new key's id (letters, digits, `-`, `_`), e.g. `k2026-11`.
        id: String,
    },
    /// Re-encrypt every credential under the newest key of `WA_VAULT_KEYS`; safe to re-run.
    Rotate {
        /// Credentials re-sealed per batch.
        #[arg(long, default_value_t = 100)]
        batch: usize,
    },
}

/// Runs a parsed command line.
///
/// # Errors
/// Whatever the command reports; the binary prints it and exits non-zero.
pub async fn run(cli: Cli) -> Result<()> {
    // The demo speaks to a person on standard output and logs to a file of its own.
    if !matches!(cli.command, Command::Demo(_)) {
        telemetry::init_logging("info");
    }
    let config = || Config::load(cli.config.as_deref()).context("reading the configuration");
    match cli.command {
        Command::Serve => server::run(config()?).await,
        Command::Migrate { action } => {
            let config = config()?;
            let applied = compose::migrate(&config.database_url, &action).await?;
            println!("{applied}");
            Ok(())
        }
        Command::Tenant(command) => tenant(config()?, command).await,
        Command::Send(args) => send(config()?, args).await,
        Command::Messages(args) => messages(config()?, args).await,
        Command::Vault(VaultCommand::Keygen { id }) => {
            let entry = compose::vault_key_entry(&id)?;
            println!("{}", entry.expose_secret());
            Ok(())
        }
        Command::Vault(VaultCommand::Rotate { batch }) => {
            let adapters = compose::Adapters::build(&config()?).await?;
            let report = adapters
                .vault
                .rotate(batch)
                .await
                .context("rotating the vault")?;
            println!("{report:?}");
            Ok(())
        }
        Command::Demo(args) => demo::run(args).await,
        Command::Connections => accounts::connections(config()?).await,
        Command::Templates { tenant } => accounts::templates(config()?, &tenant).await,
        Command::Inbox(InboxCommand::Parked) => inbox::parked(config()?).await,
        Command::Inbox(InboxCommand::Replay { id, all }) => inbox::replay(config()?, id, all).await,
    }
}

fn parse_tenant(id: &str) -> Result<TenantId> {
    TenantId::parse(id).map_err(|e| anyhow::anyhow!("{e}"))
}

async fn tenant(config: Config, command: TenantCommand) -> Result<()> {
    let adapters = compose::Adapters::build(&config).await?;
    let ports = &adapters.ports;
    match command {
        TenantCommand::Create { name } => {
            let now = ports.clock.now();
            let tenant =
                Tenant::new(TenantId::generate(), name, now).map_err(|e| anyhow::anyhow!("{e}"))?;
            ports.tenants.create(&tenant).await?;
            let key = generate_api_key();
            adapters
                .api_keys
                .insert(tenant.id, key.hash, &key.prefix, now)
                .await?;
            println!("tenant {}  {}", tenant.id, tenant.name);
            println!("api key (shown once): {}", key.key.expose_secret());
        }
        TenantCommand::List => {
            let tenants = ports
                .tenants
                .list(Page {
                    after: None,
                    limit: 200,
                })
                .await?;
            println!("{:<38} {:<8} name", "id", "enabled");
            for tenant in tenants {
                println!("{:<38} {:<8} {}", tenant.id, tenant.enabled, tenant.name);
            }
        }
        TenantCommand::Disable { id } => {
            ports.tenants.set_enabled(parse_tenant(&id)?, false).await?;
            println!("tenant {id} disabled");
        }
    }
    Ok(())
}

async fn send(config: Config, args: SendArgs) -> Result<()> {
    let adapters = compose::Adapters::build(&config).await?;
    let tenant = parse_tenant(&args.tenant)?;
    let recipient = Recipient::parse(&args.to).map_err(|e| anyhow::anyhow!("{e}"))?;
    let content =
        OutboundContent::Text(Text::new(args.text, false).map_err(|e| anyhow::anyhow!("{e}"))?);
    let message = OutboundMessage {
        recipient,
        content,
        reply_to: None,
    };
    let (enqueued, delivery) =
        wa_domain::usecase::send::send_now(&adapters.ports, tenant, message, None, None).await?;
    println!("message {}: {delivery:?}", enqueued.message.id);
    Ok(())
}

async fn messages(config: Config, args: MessagesArgs) -> Result<()> {
    let adapters = compose::Adapters::build(&config).await?;
    let tenant = parse_tenant(&args.tenant)?;
    let status = match args.status.as_deref() {
        Some(name) => Some(
            name.parse::<MessageStatus>()
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        ),
        None => None,
    };
    if args.limit == 0 || args.limit > 200 {
        bail!("--limit must be between 1 and 200");
    }
    let filter = MessageFilter {
        status,
        ..MessageFilter::default()
    };
    let messages = adapters
        .ports
        .messages
        .list(
            tenant,
            &filter,
            Page {
                after: None,
                limit: args.limit,
            },
        )
        .await?;
    println!(
        "{:<38} {:<9} {:<12} {:<10} customer",
        "id", "direction", "type", "status"
    );
    for message in messages {
        println!(
            "{:<38} {:<9} {:<12} {:<10} {}",
            message.id,
            format!("{:?}", message.body.direction()).to_lowercase(),
            message.body.kind().as_str(),
            message.lifecycle.status,
            message.customer.recipient().masked(),
        );
    }
    Ok(())
}
