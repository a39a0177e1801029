//! Tenants' event endpoints: creation (URL checked by the SSRF policy, secret generated and
//! sealed), secret rotation with a grace period, deletion, and dead letters.
//!
//! Signing secrets are sealed by the vault's keyring (the [`SecretSealer`] port), bound to the tenant and the endpoint
//! (`event_endpoint/<id>`), so a sealed secret copied onto another endpoint's row does not open.
//! The clear secret is returned once, when it is made, and never stored, logged or printed.

use std::sync::Arc;

use secrecy::SecretString;
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::ports::{DeadLetter, EventEndpoint, EventEndpointRepository, SecretSealer};
use wa_domain::{
    ids::TenantId,
    ports::{EventLog, StoreError},
};

use super::{settings::EventDeliverySettings, signature, ssrf::Refused};

/// Why an endpoint operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The URL is refused (scheme, form, or a forbidden address).
    #[error("url: {0}")]
    Url(#[from] Refused),
    /// An event type wa does not emit.
    #[error("event_types: `{0}` is not an event type")]
    EventType(String),
    /// No such endpoint for this tenant.
    #[error("no such event endpoint")]
    NotFound,
    /// The keyring could not seal or open a secret.
    #[error("the signing secret could not be sealed or opened")]
    Sealing,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a new endpoint should be.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    /// Where to post.
    pub url: String,
    /// The event types wanted; `None` for all.
    pub event_types: Option<Vec<String>>,
    /// Whether to post at all.
    pub enabled: bool,
}

/// Endpoints and their secrets.
#[derive(Clone)]
pub struct Endpoints {
    rows: Arc<dyn EventEndpointRepository>,
    sealer: Arc<dyn SecretSealer>,
    log: Arc<dyn EventLog>,
    settings: Arc<EventDeliverySettings>,
}

/// The purpose a secret is sealed for: binds it to its endpoint.
fn purpose(endpoint: Uuid) -> String {
    format!("event_endpoint/{endpoint}")
}

impl Endpoints {
    /// Over the given rows, keyring, log and settings.
    pub fn new(
        rows: Arc<dyn EventEndpointRepository>,
        sealer: Arc<dyn SecretSealer>,
        log: Arc<dyn EventLog>,
        settings: Arc<EventDeliverySettings>,
    ) -> Self {
        Self {
            rows,
            sealer,
            log,
            settings,
        }
    }

    /// The rows (for the worker).
    pub fn rows(&self) -> &dyn EventEndpointRepository {
        self.rows.as_ref()
    }

    /// The delivery settings.
    pub fn settings(&self) -> &EventDeliverySettings {
        &self.settings
    }

    /// Creates an endpoint; it receives the events recorded from now on. Returns it and its
    /// signing secret (shown once).
    ///
    /// # Errors
    /// A refused URL or unknown event type, an unknown tenant, storage or sealing failures.
    pub async fn create(
        &self,
        tenant: TenantId,
        new: NewEndpoint,
        now: OffsetDateTime,
    ) -> Result<(EventEndpoint, SecretString), EndpointError> {
        let parsed = self.settings.policy.check_url(&new.url)?;
        self.settings.policy.check_name(&parsed).await?;
        let url = parsed.to_string();
        let event_types = match new.event_types {
            Some(types) => {
                for kind in &types {
                    if wa_domain::event::EventKind::from_name(kind).is_none() {
                        return Err(EndpointError::EventType(kind.clone()));
                    }
                }
                let mut types = types;
                types.sort();
                types.dedup();
                Some(types)
            }
            None => None,
        };
        let id = Uuid::now_v7();
        let secret = signature::generate_secret();
        let sealed = self
            .sealer
            .seal(tenant, &purpose(id), &secret)
            .map_err(|_| EndpointError::Sealing)?;
        let row = EventEndpoint {
            id,
            tenant_id: tenant,
            url,
            event_types,
            enabled: new.enabled,
            secret: sealed,
            previous_secret: None,
            previous_secret_until: None,
            cursor_seq: self.log.head(tenant).await?,
            created_at: now,
            updated_at: now,
        };
        self.rows.insert(&row).await?;
        tracing::info!(tenant.id = %tenant, endpoint.id = %id, "event endpoint created");
        Ok((row, secret))
    }

    /// The tenant's endpoints.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn list(&self, tenant: TenantId) -> Result<Vec<EventEndpoint>, EndpointError> {
        Ok(self.rows.list(tenant).await?)
    }

    /// One endpoint.
    ///
    /// # Errors
    /// [`EndpointError::NotFound`]; storage failures.
    pub async fn get(&self, tenant: TenantId, id: Uuid) -> Result<EventEndpoint, EndpointError> {
        self.rows
            .get(tenant, id)
            .await?
            .ok_or(EndpointError::NotFound)
    }

    /// Deletes an endpoint and its dead letters.
    ///
    /// # Errors
    /// [`EndpointError::NotFound`]; storage failures.
    pub async fn delete(&self, tenant: TenantId, id: Uuid) -> Result<(), EndpointError> {
        if self.rows.delete(tenant, id).await? {
            tracing::info!(tenant.id = %tenant, endpoint.id = %id, "event endpoint deleted");
            Ok(())
        } else {
            Err(EndpointError::NotFound)
        }
    }

    /// A new signing secret (shown once); the old one keeps signing beside it for the grace
    /// period, so receivers can switch without rejecting anything.
    ///
    /// # Errors
    /// [`EndpointError::NotFound`]; storage or sealing failures.
    pub async fn rotate_secret(
        &self,
        tenant: TenantId,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<(SecretString, OffsetDateTime), EndpointError> {
        let secret = signature::generate_secret();
        let sealed = self
            .sealer
            .seal(tenant, &purpose(id), &secret)
            .map_err(|_| EndpointError::Sealing)?;
        let until = now + self.settings.rotation_grace;
        if !self
            .rows
            .rotate_secret(tenant, id, sealed, until, now)
            .await?
        {
            return Err(EndpointError::NotFound);
        }
        tracing::info!(tenant.id = %tenant, endpoint.id = %id, "event endpoint secret rotated");
        Ok((secret, until))
    }

    /// The secrets that sign now: the current one, and the previous one during its grace.
    ///
    /// # Errors
    /// [`EndpointError::Sealing`] when the keyring cannot open the current secret.
    pub fn signing_secrets(
        &self,
        row: &EventEndpoint,
        now: OffsetDateTime,
    ) -> Result<Vec<SecretString>, EndpointError> {
        let sealer = &self.sealer;
        let purpose = purpose(row.id);
        let mut secrets = vec![
            sealer
                .open(row.tenant_id, &purpose, &row.secret)
                .map_err(|_| EndpointError::Sealing)?,
        ];
        if let (Some(previous), Some(until)) = (&row.previous_secret, row.previous_secret_until)
            && until > now
        {
            // A previous secret that no longer opens only costs its signature, not delivery.
            if let Ok(secret) = sealer.open(row.tenant_id, &purpose, previous) {
                secrets.push(secret);
            }
        }
        Ok(secrets)
    }

    /// The endpoint's dead letters not redelivered yet.
    ///
    /// # Errors
    /// [`EndpointError::NotFound`]; storage failures.
    pub async fn dead_letters(
        &self,
        tenant: TenantId,
        id: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<DeadLetter>, EndpointError> {
        self.get(tenant, id).await?;
        Ok(self.rows.dead_letters(tenant, id, after, limit).await?)
    }

    /// Asks the worker to redeliver dead letters (all, or those of `ids`); returns how many.
    ///
    /// # Errors
    /// [`EndpointError::NotFound`]; storage failures.
    pub async fn redeliver(
        &self,
        tenant: TenantId,
        id: Uuid,
        ids: Option<&[Uuid]>,
        now: OffsetDateTime,
    ) -> Result<u64, EndpointError> {
        self.get(tenant, id).await?;
        Ok(self
            .rows
            .request_redelivery(tenant, id, ids.map(<[Uuid]>::to_vec), now)
            .await?)
    }
}
