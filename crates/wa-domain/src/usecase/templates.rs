//! Message templates: syncing a tenant's WABA templates from Meta, applying Meta's template
//! status webhooks, creating, editing and deleting templates at Meta (Meta's rules checked
//! here first; the synced catalogue updated with the result), and the check of a template
//! message before it is queued.
//!
//! When the tenant's templates were never synced, a template message passes the check (Meta
//! still checks it): a tenant connected before templates were synced, or whose sync has not run
//! yet, is not blocked. Once one sync succeeded, the synced copy is the reference.
//!
//! A tenant with several numbers keeps one catalog: the templates of its default number's WABA.
//! A template sent from a number of another WABA is not checked here (Meta still checks).

use crate::{
    content::{OutboundContent, Template},
    credential::CredentialKind,
    graph::GraphError,
    ids::{TenantId, WabaId},
    ports::{StoreError, VaultError},
    template_catalog::{SyncedTemplate, TemplateMismatch, TemplateStatusChange, check_message},
    template_draft::{DraftError, TemplateCategory, TemplateDraft, TemplateEdit},
};

use super::Ports;

/// Why a sync failed.
#[derive(Debug, thiserror::Error)]
pub enum TemplateSyncError {
    /// The tenant has no connection (no WABA to read).
    #[error("tenant has no WhatsApp connection")]
    NotConnected,
    /// Meta refused or could not be reached.
    #[error("reading the templates from Meta failed: {0}")]
    Graph(#[from] GraphError),
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads every template of the tenant's WABA from Meta and replaces the stored copy; returns how
/// many are stored.
///
/// # Errors
/// [`TemplateSyncError::NotConnected`], or Meta, vault and store failures (nothing changes then).
pub async fn sync_templates(
    ports: &Ports,
    tenant_id: TenantId,
) -> Result<usize, TemplateSyncError> {
    let connection = ports
        .connections
        .get(tenant_id)
        .await?
        .ok_or(TemplateSyncError::NotConnected)?;
    let token = ports
        .vault
        .get(tenant_id, CredentialKind::AccessToken)
        .await?;
    let now = ports.clock.now();
    let mut templates = ports
        .account
        .message_templates(&token, &connection.waba_id)
        .await?;
    for template in &mut templates {
        template.synced_at = now;
    }
    Ok(ports.templates.replace_all(tenant_id, &templates).await?)
}

/// Applies a `message_template_status_update` webhook; returns whether a stored template matched.
///
/// # Errors
/// Only store failures.
pub async fn apply_template_status(
    ports: &Ports,
    tenant_id: TenantId,
    change: &TemplateStatusChange,
) -> Result<bool, StoreError> {
    let now = ports.clock.now();
    // The store writes the `template.status` event in the same transaction.
    ports.templates.set_status(tenant_id, change, now).await
}

/// The tenant's synced templates.
///
/// # Errors
/// Only store failures.
pub async fn list_templates(
    ports: &Ports,
    tenant_id: TenantId,
) -> Result<Vec<SyncedTemplate>, StoreError> {
    ports.templates.list(tenant_id).await
}

/// Checks a template message sent from a number of WABA `waba` against the tenant's synced
/// templates (a non-template content passes). Passes when the tenant's templates were never
/// synced (see the module doc), and when `waba` is not the WABA of the tenant's default number,
/// whose templates are the ones synced (Meta still checks).
///
/// # Errors
/// [`TemplateCheckError::Mismatch`] naming the mismatch, or a store failure.
pub async fn check_template_message(
    ports: &Ports,
    tenant_id: TenantId,
    waba: &WabaId,
    content: &OutboundContent,
) -> Result<(), TemplateCheckError> {
    let OutboundContent::Template(template) = content else {
        return Ok(());
    };
    check_template(ports, tenant_id, waba, template).await
}

async fn check_template(
    ports: &Ports,
    tenant_id: TenantId,
    waba: &WabaId,
    template: &Template,
) -> Result<(), TemplateCheckError> {
    if ports.templates.last_synced(tenant_id).await?.is_none() {
        return Ok(());
    }
    let synced_waba = ports
        .connections
        .get(tenant_id)
        .await?
        .map(|default| default.waba_id);
    if synced_waba.as_ref().is_some_and(|synced| synced != waba) {
        return Ok(());
    }
    let same_name = ports
        .templates
        .find_by_name(tenant_id, template.name().as_str())
        .await?;
    check_message(template, &same_name)?;
    Ok(())
}

/// Why a template message was refused before it was queued.
#[derive(Debug, thiserror::Error)]
pub enum TemplateCheckError {
    /// It does not fit the synced template.
    #[error(transparent)]
    Mismatch(#[from] TemplateMismatch),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why creating, editing or deleting a template failed.
#[derive(Debug, thiserror::Error)]
pub enum TemplateAdminError {
    /// The template breaks one of Meta's rules (checked before Meta is asked).
    #[error("invalid template: {0}")]
    Invalid(#[from] DraftError),
    /// The tenant has no connection (no WABA to write to).
    #[error("tenant has no WhatsApp connection")]
    NotConnected,
    /// No such template in the tenant's catalogue.
    #[error("no template {0}")]
    UnknownTemplate(String),
    /// Meta refused or could not be reached.
    #[error("Meta refused the template change: {0}")]
    Graph(#[from] GraphError),
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn waba_and_token(
    ports: &Ports,
    tenant_id: TenantId,
) -> Result<(crate::ids::WabaId, crate::credential::SecretString), TemplateAdminError> {
    let connection = ports
        .connections
        .get(tenant_id)
        .await?
        .ok_or(TemplateAdminError::NotConnected)?;
    let token = ports
        .vault
        .get(tenant_id, CredentialKind::AccessToken)
        .await?;
    Ok((connection.waba_id, token))
}

/// Creates a template at Meta after checking Meta's rules, and adds it to the tenant's
/// catalogue as Meta answered (usually `PENDING` until Meta's review, whose webhook sets the
/// outcome and writes a `template.status` event).
///
/// # Errors
/// [`TemplateAdminError::Invalid`] before anything is sent; Meta, vault and store failures.
pub async fn create_template(
    ports: &Ports,
    tenant_id: TenantId,
    draft: &TemplateDraft,
) -> Result<SyncedTemplate, TemplateAdminError> {
    draft.validate()?;
    let (waba_id, token) = waba_and_token(ports, tenant_id).await?;
    let mut created = ports
        .account
        .create_template(&token, &waba_id, draft)
        .await?;
    created.synced_at = ports.clock.now();
    ports.templates.upsert(tenant_id, &created).await?;
    Ok(created)
}

/// The stored template with Meta's id `meta_id`.
async fn stored(
    ports: &Ports,
    tenant_id: TenantId,
    meta_id: &str,
) -> Result<SyncedTemplate, TemplateAdminError> {
    ports
        .templates
        .list(tenant_id)
        .await?
        .into_iter()
        .find(|t| t.meta_id.as_deref() == Some(meta_id))
        .ok_or_else(|| TemplateAdminError::UnknownTemplate(meta_id.to_owned()))
}

fn category_of(template: &SyncedTemplate) -> TemplateCategory {
    match template
        .category
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("MARKETING") => TemplateCategory::Marketing,
        Some("AUTHENTICATION") => TemplateCategory::Authentication,
        _ => TemplateCategory::Utility,
    }
}

/// Edits the template with Meta's id `meta_id` after checking Meta's rules; the catalogue
/// holds the new components and Meta's new status (back in review).
///
/// # Errors
/// [`TemplateAdminError::Invalid`], [`TemplateAdminError::UnknownTemplate`], or Meta, vault and
/// store failures.
pub async fn edit_template(
    ports: &Ports,
    tenant_id: TenantId,
    meta_id: &str,
    edit: &TemplateEdit,
) -> Result<SyncedTemplate, TemplateAdminError> {
    let current = stored(ports, tenant_id, meta_id).await?;
    edit.validate(category_of(&current))?;
    let (_, token) = waba_and_token(ports, tenant_id).await?;
    let mut edited = ports.account.edit_template(&token, &current, edit).await?;
    edited.synced_at = ports.clock.now();
    ports.templates.upsert(tenant_id, &edited).await?;
    Ok(edited)
}

/// Deletes the tenant's template `name` at Meta (one language when `meta_id` is given, else
/// every language) and from the catalogue; returns how many stored templates went.
///
/// # Errors
/// [`TemplateAdminError::UnknownTemplate`] when the catalogue holds none; Meta, vault and store
/// failures.
pub async fn delete_template(
    ports: &Ports,
    tenant_id: TenantId,
    name: &str,
    meta_id: Option<String>,
) -> Result<usize, TemplateAdminError> {
    let known = ports.templates.find_by_name(tenant_id, name).await?;
    if !known.iter().any(|t| {
        meta_id
            .as_ref()
            .is_none_or(|id| t.meta_id.as_ref() == Some(id))
    }) {
        return Err(TemplateAdminError::UnknownTemplate(name.to_owned()));
    }
    let (waba_id, token) = waba_and_token(ports, tenant_id).await?;
    ports
        .account
        .delete_template(&token, &waba_id, name, meta_id.clone())
        .await?;
    Ok(ports.templates.remove(tenant_id, name, meta_id).await?)
}

#[cfg(test)]
mod tests;
