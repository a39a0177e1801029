//! The vault's own storage: one sealed record per (tenant, kind), with clear metadata.
//!
//! The records are opaque bytes here; only `wa-vault` seals and opens them. The use cases never
//! see this port: they ask [`CredentialVault`](crate::ports::CredentialVault), which `wa-vault`
//! implements over it.

use std::fmt;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{credential::CredentialKind, ids::TenantId, ports::StoreError};

/// One stored credential: the sealed record and what is known about it in clear.
///
/// Mirrors the `tenant_credentials` table. `Debug` gives the record's length rather than its
/// bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedCredential {
    /// Whose.
    pub tenant: TenantId,
    /// Which secret.
    pub kind: CredentialKind,
    /// The sealed record (the vault's record layout). Never the secret itself.
    pub ciphertext: Vec<u8>,
    /// The id of the key that sealed it; the same id as inside the record, kept in clear so
    /// rotation can find what is not under the newest key without decrypting.
    pub key_id: String,
    /// When it was stored (reset when replaced).
    pub created_at: OffsetDateTime,
    /// When it was last re-sealed by rotation.
    pub rotated_at: Option<OffsetDateTime>,
    /// When Meta said it expires.
    pub expires_at: Option<OffsetDateTime>,
    /// When a Graph call last succeeded with it.
    pub last_verified_at: Option<OffsetDateTime>,
    /// Revoked: kept for audit, never handed out.
    pub revoked: bool,
    /// Last write of any kind.
    pub updated_at: OffsetDateTime,
}

impl fmt::Debug for SealedCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedCredential")
            .field("tenant", &self.tenant)
            .field("kind", &self.kind)
            .field(
                "ciphertext",
                &format_args!("<{} sealed bytes>", self.ciphertext.len()),
            )
            .field("key_id", &self.key_id)
            .field("created_at", &self.created_at)
            .field("rotated_at", &self.rotated_at)
            .field("expires_at", &self.expires_at)
            .field("last_verified_at", &self.last_verified_at)
            .field("revoked", &self.revoked)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// Where rotation stands: the last (tenant, kind) it looked at; the next batch starts after it.
pub type RotationCursor = (TenantId, CredentialKind);

/// Storage for sealed credentials, one row per (tenant, kind).
///
/// Every method is scoped to one tenant except [`SealedCredentialStore::list_for_rotation`], which is
/// the operator's walk over all rows.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SealedCredentialStore: Send + Sync + 'static {
    /// The row, revoked or not; `None` when absent.
    ///
    /// # Errors
    /// Only storage failures.
    async fn get(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
    ) -> Result<Option<SealedCredential>, StoreError>;

    /// Inserts the row, or replaces every column of the existing (tenant, kind) row.
    ///
    /// # Errors
    /// Only storage failures.
    async fn put(&self, credential: &SealedCredential) -> Result<(), StoreError>;

    /// Compare-and-swap for rotation: when the row's ciphertext still equals `expected`, sets
    /// `ciphertext`, `key_id`, `rotated_at = at` and `updated_at = at`, and returns `true`.
    /// Returns `false`, changing nothing, when the row is gone or its ciphertext differs (it was
    /// replaced meanwhile, and the replacement must win). Other columns are never touched.
    ///
    /// # Errors
    /// Only storage failures.
    async fn reseal(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        expected: &[u8],
        ciphertext: Vec<u8>,
        key_id: String,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Up to `limit` rows whose `key_id` differs from `newest_key_id` (revoked ones included),
    /// ordered by (tenant id, kind name) in the store's own order, strictly after `after` in
    /// that order. The same order must be used for the filter and the sort.
    ///
    /// # Errors
    /// Only storage failures.
    async fn list_for_rotation(
        &self,
        newest_key_id: &str,
        after: Option<RotationCursor>,
        limit: usize,
    ) -> Result<Vec<SealedCredential>, StoreError>;

    /// Sets `last_verified_at = at` and `updated_at = at`; `false` when the row is absent.
    ///
    /// # Errors
    /// Only storage failures.
    async fn mark_verified(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Sets `revoked = true` and `updated_at = at`; `false` when the row is absent.
    ///
    /// # Errors
    /// Only storage failures.
    async fn revoke(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}
