//! The vault: seals on store, opens on get, keeps a short cache of opened secrets, and
//! implements the domain's [`CredentialVault`] port.
//!
//! # The cache
//! Opening a record costs a storage read and an AES-GCM decryption; a busy number sends many
//! messages a second with the same token. Opened secrets are therefore kept for a short time
//! (30 s by default) in a bounded `moka` cache (the sync one: nothing is held across an await) keyed by (tenant, kind), as `SecretString`s
//! (zeroed when evicted). This process invalidates an entry when it stores, replaces or revokes
//! the secret, and on rotation. Other processes do not hear about it: after a revocation they
//! may hand out the old secret until their entry expires, which is what the TTL bounds.
//!
//! A read that races with an invalidation must not put the old secret back into the cache. A
//! generation counter, bumped after every write and before its invalidation, tells a reader
//! that a write happened while it was reading; it then removes what it inserted.

use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use moka::sync::Cache;
use secrecy::SecretString;
use time::OffsetDateTime;
use wa_domain::{
    credential::{CredentialKind, CredentialMetadata},
    ids::TenantId,
    ports::{
        Clock, CredentialVault, SealedCredential, SealedCredentialStore, SealingFailed,
        SecretSealer, StoreError, VaultError,
    },
};

use crate::keyring::Keyring;

/// How long and how many opened secrets are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// How long an opened secret is reused; also how long another process may keep handing
    /// out a secret this process revoked.
    pub ttl: Duration,
    /// How many (tenant, kind) entries at most.
    pub max_entries: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(30),
            max_entries: 10_000,
        }
    }
}

type CacheKey = (TenantId, CredentialKind);

/// Tenants' credentials, sealed with a [`Keyring`] into a [`SealedCredentialStore`].
pub struct Vault {
    pub(crate) keyring: Keyring,
    pub(crate) store: Arc<dyn SealedCredentialStore>,
    pub(crate) clock: Arc<dyn Clock>,
    cache: Option<Cache<CacheKey, SecretString>>,
    /// Bumped after every write that invalidates; see the module documentation.
    generation: AtomicU64,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("keyring", &self.keyring)
            .field(
                "cached_entries",
                &self.cache.as_ref().map(Cache::entry_count),
            )
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// A vault with the default cache ([`CacheConfig::default`]).
    pub fn new(
        keyring: Keyring,
        store: Arc<dyn SealedCredentialStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            keyring,
            store,
            clock,
            cache: None,
            generation: AtomicU64::new(0),
        }
        .with_cache(CacheConfig::default())
    }

    /// Replaces the cache settings.
    pub fn with_cache(mut self, config: CacheConfig) -> Self {
        self.cache = Some(
            Cache::builder()
                .max_capacity(config.max_entries)
                .time_to_live(config.ttl)
                .build(),
        );
        self
    }

    /// Turns the cache off: every `get` reads and decrypts.
    pub fn without_cache(mut self) -> Self {
        self.cache = None;
        self
    }

    /// The keys in use.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Drops one cached secret after a write. The generation is bumped first, so a reader that
    /// started before the write notices it (see the module documentation).
    pub(crate) fn invalidate(&self, tenant: TenantId, kind: CredentialKind) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(cache) = &self.cache {
            cache.invalidate(&(tenant, kind));
        }
    }

    /// Reads and opens, bypassing the cache; revoked counts as absent.
    async fn open_stored(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
    ) -> Result<SecretString, VaultError> {
        let row = self
            .store
            .get(tenant, kind)
            .await
            .map_err(VaultError::Storage)?
            .filter(|row| !row.revoked)
            .ok_or(VaultError::NotFound(kind))?;
        self.keyring
            .open(tenant, kind, &row.ciphertext)
            .map_err(|error| {
                // The port's error cannot say why; the operator needs to know (a removed key
                // and a tampered row call for different fixes). Nothing here is secret.
                tracing::warn!(
                    tenant.id = %tenant,
                    credential.kind = %kind,
                    error = %error,
                    "stored credential cannot be opened"
                );
                VaultError::Undecryptable(kind)
            })
    }
}

/// A sealing failure has no variant of its own in the port; it is reported as storage trouble
/// that a retry may fix (the random generator failing is transient if it happens at all).
pub(crate) fn seal_failure(error: crate::record::SealError) -> VaultError {
    VaultError::Storage(StoreError::Unavailable(Box::new(error)))
}

#[async_trait]
impl CredentialVault for Vault {
    async fn store(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        secret: SecretString,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<(), VaultError> {
        let ciphertext = self
            .keyring
            .seal(tenant, kind, &secret)
            .map_err(seal_failure)?;
        let now = self.clock.now();
        let row = SealedCredential {
            tenant,
            kind,
            ciphertext,
            key_id: self.keyring.newest_id().as_str().to_owned(),
            created_at: now,
            rotated_at: None,
            expires_at,
            last_verified_at: None,
            revoked: false,
            updated_at: now,
        };
        let stored = self.store.put(&row).await.map_err(VaultError::Storage);
        // Invalidate even if the write failed: it may have landed before the error surfaced.
        self.invalidate(tenant, kind);
        stored
    }

    async fn get(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
    ) -> Result<SecretString, VaultError> {
        let Some(cache) = &self.cache else {
            return self.open_stored(tenant, kind).await;
        };
        let key = (tenant, kind);
        if let Some(secret) = cache.get(&key) {
            return Ok(secret);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let secret = self.open_stored(tenant, kind).await?;
        cache.insert(key, secret.clone());
        if self.generation.load(Ordering::SeqCst) != generation {
            // A write happened while we read: what we inserted may be stale.
            cache.invalidate(&key);
        }
        Ok(secret)
    }

    async fn metadata(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
    ) -> Result<CredentialMetadata, VaultError> {
        let row = self
            .store
            .get(tenant, kind)
            .await
            .map_err(VaultError::Storage)?
            .ok_or(VaultError::NotFound(kind))?;
        Ok(CredentialMetadata {
            kind: row.kind,
            key_id: row.key_id,
            created_at: row.created_at,
            rotated_at: row.rotated_at,
            expires_at: row.expires_at,
            last_verified_at: row.last_verified_at,
            revoked: row.revoked,
        })
    }

    async fn mark_verified(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        at: OffsetDateTime,
    ) -> Result<(), VaultError> {
        match self.store.mark_verified(tenant, kind, at).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(VaultError::NotFound(kind)),
            Err(error) => Err(VaultError::Storage(error)),
        }
    }

    async fn revoke(&self, tenant: TenantId, kind: CredentialKind) -> Result<(), VaultError> {
        let revoked = self.store.revoke(tenant, kind, self.clock.now()).await;
        self.invalidate(tenant, kind);
        match revoked {
            Ok(true) => Ok(()),
            Ok(false) => Err(VaultError::NotFound(kind)),
            Err(error) => Err(VaultError::Storage(error)),
        }
    }
}

impl SecretSealer for Vault {
    fn seal(
        &self,
        tenant: TenantId,
        purpose: &str,
        secret: &SecretString,
    ) -> Result<Vec<u8>, SealingFailed> {
        self.keyring
            .seal_for(tenant, purpose, secret)
            .map_err(|_| SealingFailed)
    }

    fn open(
        &self,
        tenant: TenantId,
        purpose: &str,
        record: &[u8],
    ) -> Result<SecretString, SealingFailed> {
        self.keyring
            .open_for(tenant, purpose, record)
            .map_err(|_| SealingFailed)
    }
}
