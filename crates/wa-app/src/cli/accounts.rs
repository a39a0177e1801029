//! `wa connections` and `wa templates`: each connection's health (why it is unhealthy, since
//! when) and a tenant's synced templates.

use anyhow::Result;
use wa_domain::usecase::templates::list_templates;

use crate::{compose, config::Config};

/// Prints every connection with its health, reason and since-when.
pub(super) async fn connections(config: Config) -> Result<()> {
    let adapters = compose::Adapters::build(&config).await?;
    let ports = &adapters.ports;
    println!(
        "{:<38} {:<18} {:<12} {:<7} {:<8} {:<10} {:<27} reason",
        "tenant", "phone_number_id", "health", "quality", "mps", "limit", "since"
    );
    let mut after = None;
    loop {
        let page = ports.directory.connected_tenants(after, 500).await?;
        let full = page.len() == 500;
        after = page.last().copied();
        for tenant in page {
            let Some(connection) = ports.connections.get(tenant).await? else {
                continue;
            };
            let since = connection
                .health_changed_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            println!(
                "{:<38} {:<18} {:<12} {:<7} {:<8} {:<10} {:<27} {}",
                tenant,
                connection.phone_number_id,
                connection.health.as_str(),
                connection.quality_rating.as_deref().unwrap_or("-"),
                connection.throughput_mps,
                connection.messaging_limit.as_deref().unwrap_or("-"),
                since,
                connection.health_reason.as_deref().unwrap_or("-"),
            );
        }
        if !full {
            return Ok(());
        }
    }
}

/// Prints a tenant's synced templates.
pub(super) async fn templates(config: Config, tenant: &str) -> Result<()> {
    let adapters = compose::Adapters::build(&config).await?;
    let tenant = super::parse_tenant(tenant)?;
    let templates = list_templates(&adapters.ports, tenant).await?;
    println!(
        "{:<32} {:<8} {:<14} {:<10} {:<6} parameters",
        "name", "language", "category", "status", "body"
    );
    for template in templates {
        let buttons = template
            .spec
            .buttons
            .iter()
            .filter(|b| b.requires_parameter)
            .count();
        println!(
            "{:<32} {:<8} {:<14} {:<10} {:<6} header:{} buttons:{} names:{}",
            template.name,
            template.language,
            template.category.as_deref().unwrap_or("-"),
            template.status,
            template.spec.body.count,
            template.spec.header.as_ref().map_or(0, |h| usize::from(
                h.format != wa_domain::template_catalog::HeaderFormat::Text
            ) + h.variables.count),
            buttons,
            if template.spec.body.names.is_empty() {
                "-".to_owned()
            } else {
                template.spec.body.names.join(",")
            },
        );
    }
    Ok(())
}
