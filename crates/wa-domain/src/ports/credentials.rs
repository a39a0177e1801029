//! Tenants' secrets: the vault as the use cases see it.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{
    credential::{CredentialKind, CredentialMetadata, SecretString},
    ids::TenantId,
    ports::VaultError,
};

/// Tenants' secrets, encrypted at rest.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CredentialVault: Send + Sync + 'static {
    /// Stores (or replaces) a tenant's secret.
    ///
    /// # Errors
    /// [`VaultError::Storage`] when it cannot be stored.
    async fn store(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        secret: SecretString,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<(), VaultError>;

    /// The tenant's secret.
    ///
    /// # Errors
    /// MUST return [`VaultError::NotFound`] when absent or revoked, [`VaultError::Undecryptable`]
    /// when no configured key opens it.
    async fn get(&self, tenant: TenantId, kind: CredentialKind)
    -> Result<SecretString, VaultError>;

    /// What is known about the secret, without decrypting it.
    ///
    /// # Errors
    /// MUST return [`VaultError::NotFound`] when absent.
    async fn metadata(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
    ) -> Result<CredentialMetadata, VaultError>;

    /// Records that a Graph call succeeded with the secret.
    ///
    /// # Errors
    /// MUST return [`VaultError::NotFound`] when absent.
    async fn mark_verified(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        at: OffsetDateTime,
    ) -> Result<(), VaultError>;

    /// Revokes the secret: kept for audit, never handed out again.
    ///
    /// # Errors
    /// MUST return [`VaultError::NotFound`] when absent.
    async fn revoke(&self, tenant: TenantId, kind: CredentialKind) -> Result<(), VaultError>;
}

/// The app's own secrets sealed at rest (an event endpoint's signing secret), bound to a tenant
/// and a purpose (`event_endpoint/<id>`): a record opens only for both.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait SecretSealer: Send + Sync + 'static {
    /// Seals `secret` under the newest key.
    ///
    /// # Errors
    /// [`SealingFailed`] when no random nonce could be drawn.
    fn seal(
        &self,
        tenant: TenantId,
        purpose: &str,
        secret: &SecretString,
    ) -> Result<Vec<u8>, SealingFailed>;

    /// Opens a record sealed by [`SecretSealer::seal`] for this tenant and purpose.
    ///
    /// # Errors
    /// [`SealingFailed`] when the record is corrupt, sealed for another tenant or purpose, or
    /// under a key no longer configured.
    fn open(
        &self,
        tenant: TenantId,
        purpose: &str,
        record: &[u8],
    ) -> Result<SecretString, SealingFailed>;
}

/// A secret could not be sealed or opened. Says nothing about the secret or the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the secret could not be sealed or opened with the configured keys")]
pub struct SealingFailed;
