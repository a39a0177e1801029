//! Meta's account webhooks, applied: template status changes, account updates and number
//! quality updates, routed to their tenant by the WABA id (`entry[].id`).
//!
//! An account update concerns every number of the tenant in that WABA; a quality update, the
//! number it names by its display form (or, naming none of them, every number of the WABA).
//! A webhook for a WABA no tenant uses is logged and dropped. A failing re-verification (Meta
//! unreachable) is logged: the periodic health check will run it again.

use wa_domain::{
    connection::names_number,
    ports::StoreError,
    template_catalog::TemplateStatusChange,
    usecase::{
        Ports,
        connect::ConnectError,
        health::{apply_account_update, apply_quality_update},
        templates::apply_template_status,
    },
};
use wa_graph::webhook::event::{AccountEvent, AccountEventKind};

/// Applies the account events of one webhook body.
///
/// # Errors
/// Only store failures (the body is then retried).
pub async fn apply(ports: &Ports, events: &[AccountEvent]) -> Result<(), StoreError> {
    for event in events {
        let Some(waba_id) = &event.waba_id else {
            tracing::warn!(field = %event.field, "account webhook without a WABA id; dropped");
            continue;
        };
        let Some(tenant) = ports.directory.tenant_for_waba(waba_id).await? else {
            tracing::warn!(waba.id = %waba_id.as_str(), field = %event.field, "account webhook for a WABA no tenant uses; dropped");
            continue;
        };
        let outcome = match &event.kind {
            AccountEventKind::TemplateStatus {
                event: status,
                template_id,
                name,
                language,
                ..
            } => {
                let Some(status) = status.clone() else {
                    continue;
                };
                let change = TemplateStatusChange {
                    meta_id: template_id.clone(),
                    name: name.clone(),
                    language: language.clone(),
                    status,
                };
                let matched = apply_template_status(ports, tenant, &change).await?;
                tracing::info!(tenant.id = %tenant, template = ?change.name, status = %change.status, matched,
                    "template status updated");
                Ok(())
            }
            AccountEventKind::AccountUpdate { event: update, .. } => {
                apply_account_update(ports, tenant, waba_id, update.as_deref())
                    .await
                    .map(|numbers| {
                        for connection in numbers {
                            tracing::info!(tenant.id = %tenant, event = ?update,
                                phone_number.id = %connection.phone_number_id.as_str(),
                                health = connection.health.as_str(), "account update applied");
                        }
                    })
            }
            AccountEventKind::QualityUpdate {
                event: update,
                display_phone_number,
                ..
            } => {
                // The webhook names the number by its display form; without it (or when it
                // matches none), every number of the WABA is re-read.
                let numbers: Vec<_> = ports
                    .connections
                    .list(tenant)
                    .await?
                    .into_iter()
                    .filter(|connection| &connection.waba_id == waba_id)
                    .collect();
                let named: Vec<_> = numbers
                    .iter()
                    .filter(|connection| {
                        display_phone_number
                            .as_deref()
                            .is_some_and(|display| names_number(connection, display))
                    })
                    .cloned()
                    .collect();
                let targets = if named.is_empty() { numbers } else { named };
                let mut outcome = Ok(());
                for target in targets {
                    match apply_quality_update(ports, tenant, &target.phone_number_id).await {
                        Ok(connection) => {
                            tracing::info!(tenant.id = %tenant, event = ?update,
                                phone_number.id = %connection.phone_number_id.as_str(),
                                health = connection.health.as_str(),
                                quality = ?connection.quality_rating,
                                throughput = connection.throughput_mps, "quality update applied");
                        }
                        Err(error) => outcome = Err(error),
                    }
                }
                outcome
            }
            // A field wa does not read typed: nothing to apply.
            AccountEventKind::Other => Ok(()),
        };
        match outcome {
            Ok(()) => {}
            Err(ConnectError::Store(store)) => return Err(store),
            Err(other) => {
                tracing::warn!(tenant.id = %tenant, field = %event.field, error = %other,
                    "account webhook not applied");
            }
        }
    }
    Ok(())
}
