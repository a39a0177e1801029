//! Connecting a tenant's business number to WhatsApp, and checking that a number still works.
//!
//! A tenant may connect several numbers; each is a connection row. Connecting stores the ids and
//! display data on the number's row, the token in the vault, and
//! then verifies both against Meta by reading the number's details. Health follows the outcome:
//! `active` when Meta answered, `invalid` when Meta rejected the credentials, `disconnected` when
//! the number is unusable (wrong id, not registered on the Cloud API), and `pending` when Meta
//! could not be reached (a transient failure never demotes a working connection).

use time::OffsetDateTime;

use crate::{
    connection::{Connection, ConnectionDetails, ConnectionHealth, DEFAULT_THROUGHPUT_MPS},
    credential::{CredentialKind, SecretString},
    error_class::ErrorClass,
    graph::Sender,
    ids::{PhoneNumberId, TenantId},
    ports::{StoreError, VaultError},
};

use super::Ports;

/// Why connecting or verifying failed (Meta's answers are not errors: they set the health).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// No such tenant.
    #[error("tenant not found")]
    TenantNotFound,
    /// The tenant is disabled.
    #[error("tenant is disabled")]
    TenantDisabled,
    /// The tenant has no connection (or not this number) to verify.
    #[error("tenant has no such WhatsApp connection")]
    NotConnected,
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a tenant provides to connect.
pub struct ConnectRequest {
    /// Ids and display data.
    pub details: ConnectionDetails,
    /// The business integration system user's access token.
    pub access_token: SecretString,
    /// When Meta said the token expires, if it does.
    pub token_expires_at: Option<OffsetDateTime>,
    /// Whether the number becomes the tenant's default (its first number always does).
    pub make_default: bool,
}

/// Adds a number to the tenant (or updates it, when the tenant has it already) and stores the
/// token (one per tenant, replacing the earlier one), then verifies them.
///
/// # Errors
/// [`ConnectError::TenantNotFound`], [`ConnectError::TenantDisabled`], or store/vault failures.
pub async fn connect_tenant(
    ports: &Ports,
    tenant_id: TenantId,
    request: ConnectRequest,
) -> Result<Connection, ConnectError> {
    let tenant = ports
        .tenants
        .get(tenant_id)
        .await?
        .ok_or(ConnectError::TenantNotFound)?;
    if !tenant.enabled {
        return Err(ConnectError::TenantDisabled);
    }
    let now = ports.clock.now();
    ports
        .vault
        .store(
            tenant_id,
            CredentialKind::AccessToken,
            request.access_token,
            request.token_expires_at,
        )
        .await?;
    let details = request.details;
    let connection = Connection {
        tenant_id,
        is_default: request.make_default,
        waba_id: details.waba_id,
        phone_number_id: details.phone_number_id,
        display_phone_number: details.display_phone_number,
        business_name: details.business_name,
        health: ConnectionHealth::Pending,
        health_reason: Some("not verified yet".to_owned()),
        health_changed_at: now,
        verified_at: None,
        throughput_mps: DEFAULT_THROUGHPUT_MPS,
        quality_rating: None,
        messaging_limit: None,
    };
    ports.connections.upsert(&connection).await?;
    verify_connection(ports, tenant_id, &connection.phone_number_id).await
}

/// Verifies one of a tenant's numbers against Meta and records its health.
///
/// # Errors
/// [`ConnectError::NotConnected`], or store/vault failures.
pub async fn verify_connection(
    ports: &Ports,
    tenant_id: TenantId,
    number: &PhoneNumberId,
) -> Result<Connection, ConnectError> {
    let connection = ports
        .connections
        .get_number(tenant_id, number)
        .await?
        .ok_or(ConnectError::NotConnected)?;
    let now = ports.clock.now();
    let token = match ports
        .vault
        .get(tenant_id, CredentialKind::AccessToken)
        .await
    {
        Ok(token) => token,
        Err(VaultError::NotFound(_) | VaultError::Undecryptable(_)) => {
            let reason = "no usable access token is stored".to_owned();
            return set_health(
                ports,
                connection,
                ConnectionHealth::Invalid,
                Some(reason),
                None,
                now,
            )
            .await;
        }
        Err(other) => return Err(other.into()),
    };
    let sender = Sender {
        phone_number_id: connection.phone_number_id.clone(),
        token,
    };
    match ports.graph.phone_number_info(&sender).await {
        Ok(info) => {
            ports
                .connections
                .update_number_info(tenant_id, number, &info)
                .await?;
            ports
                .vault
                .mark_verified(tenant_id, CredentialKind::AccessToken, now)
                .await?;
            match info.platform_type.as_deref() {
                Some(platform) if platform != "CLOUD_API" => {
                    let reason = format!(
                        "the number is not registered on the Cloud API (platform_type {platform})"
                    );
                    set_health(
                        ports,
                        connection,
                        ConnectionHealth::Disconnected,
                        Some(reason),
                        Some(now),
                        now,
                    )
                    .await
                }
                _ => {
                    set_health(
                        ports,
                        connection,
                        ConnectionHealth::Active,
                        None,
                        Some(now),
                        now,
                    )
                    .await
                }
            }
        }
        Err(error) => {
            let reason = Some(error.to_string());
            match error.class {
                ErrorClass::AuthInvalid => {
                    set_health(
                        ports,
                        connection,
                        ConnectionHealth::Invalid,
                        reason,
                        None,
                        now,
                    )
                    .await
                }
                ErrorClass::Permanent | ErrorClass::WindowClosed => {
                    set_health(
                        ports,
                        connection,
                        ConnectionHealth::Disconnected,
                        reason,
                        None,
                        now,
                    )
                    .await
                }
                ErrorClass::Retryable | ErrorClass::RateLimited { .. } => {
                    if connection.health == ConnectionHealth::Pending {
                        set_health(
                            ports,
                            connection,
                            ConnectionHealth::Pending,
                            reason,
                            None,
                            now,
                        )
                        .await
                    } else {
                        Ok(connection)
                    }
                }
            }
        }
    }
}

async fn set_health(
    ports: &Ports,
    connection: Connection,
    health: ConnectionHealth,
    reason: Option<String>,
    verified_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<Connection, ConnectError> {
    let tenant_id = connection.tenant_id;
    let number = connection.phone_number_id.clone();
    ports
        .connections
        .set_health(tenant_id, &number, health, reason, now, verified_at)
        .await?;
    Ok(ports
        .connections
        .get_number(tenant_id, &number)
        .await?
        .unwrap_or(connection))
}

#[cfg(test)]
mod tests;
