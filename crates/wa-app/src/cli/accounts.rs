//! `wa connections` and `wa templates`: each connected number's health (why it is unhealthy,
//! since when; a tenant may have several numbers) and a tenant's synced templates.

use anyhow::Result;
use wa_domain::usecase::templates::list_templates;

use crate::{compose, config::Config};

/// Prints every connected number, tenant by tenant, with its health, reason and since-when; a
/// tenant's default number is marked `*`.
pub(super) async fn connections(config: Config) -> Result<()> {
    let adapters = compose::Adapters::build(&config).await?;
    let ports = &adapters.ports;
    println!(
        "{:<38} {:<18} {:<18} {:<1} {:<12} {:<7} {:<8} {:<10} {:<27} reason",
        "tenant", "phone_number_id", "display", "*", "health", "quality", "mps", "limit", "since"
    );
    let mut after = None;
    loop {
        let page = ports
            .directory
            .connected_numbers(after.clone(), 500)
            .await?;
        let full = page.len() == 500;
        after = page.last().map(|(_, number)| number.clone());
        for (tenant, number) in page {
            let Some(connection) = ports.connections.get_number(tenant, &number).await? else {
                continue;
            };
            let since = connection
                .health_changed_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            println!(
                "{:<38} {:<18} {:<18} {:<1} {:<12} {:<7} {:<8} {:<10} {:<27} {}",
                tenant,
                connection.phone_number_id,
                connection.display_phone_number,
                if connection.is_default { "*" } else { "" },
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
