//! The cache: served without the store, forgotten on every write, never re-filled with a
//! secret that a concurrent write replaced.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use secrecy::ExposeSecret;
use time::OffsetDateTime;
use tokio::sync::{Mutex as AsyncMutex, oneshot};
use wa_domain::ports::{RotationCursor, SealedCredential, SealedCredentialStore};
use wa_domain::{
    credential::CredentialKind,
    ids::TenantId,
    ports::{CredentialVault, StoreError, VaultError},
};
use wa_vault::{CacheConfig, MemoryStore, Vault};

use crate::support::{TestClock, cached_with_store, keys_k1, keys_k2_k1, secret, tenant, token};

const TOKEN: CredentialKind = CredentialKind::AccessToken;

/// Garbage in the ciphertext column: a read that reaches the store fails.
fn break_row(store: &MemoryStore) {
    assert!(store.overwrite_ciphertext(tenant(1), TOKEN, vec![1, 2, 3]));
}

#[tokio::test]
async fn a_cached_secret_is_served_without_reading_the_store() {
    let (vault, store, _) = cached_with_store(keys_k1());
    vault
        .store(tenant(1), TOKEN, secret(&token(1)), None)
        .await
        .unwrap();
    vault.get(tenant(1), TOKEN).await.unwrap();
    break_row(&store);
    assert_eq!(
        vault.get(tenant(1), TOKEN).await.unwrap().expose_secret(),
        token(1)
    );
}

#[tokio::test]
async fn without_the_cache_every_read_reaches_the_store() {
    let (vault, store, _) = cached_with_store(keys_k1());
    let vault = vault.without_cache();
    vault
        .store(tenant(1), TOKEN, secret(&token(1)), None)
        .await
        .unwrap();
    vault.get(tenant(1), TOKEN).await.unwrap();
    break_row(&store);
    assert!(matches!(
        vault.get(tenant(1), TOKEN).await,
        Err(VaultError::Undecryptable(TOKEN))
    ));
}

#[tokio::test]
async fn entries_expire_after_the_ttl() {
    let (vault, store, _) = cached_with_store(keys_k1());
    let vault = vault.with_cache(CacheConfig {
        ttl: Duration::from_millis(20),
        max_entries: 10,
    });
    vault
        .store(tenant(1), TOKEN, secret(&token(1)), None)
        .await
        .unwrap();
    vault.get(tenant(1), TOKEN).await.unwrap();
    break_row(&store);
    // Well past the TTL: the entry must be gone, so the read reaches the broken row.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(matches!(
        vault.get(tenant(1), TOKEN).await,
        Err(VaultError::Undecryptable(TOKEN))
    ));
}

#[tokio::test]
async fn rotation_clears_the_entries_it_reseals() {
    let (vault, store, _) = cached_with_store(keys_k1());
    vault
        .store(tenant(1), TOKEN, secret(&token(1)), None)
        .await
        .unwrap();
    let rotating = Vault::new(keys_k2_k1(), store.clone(), TestClock::new());
    rotating.get(tenant(1), TOKEN).await.unwrap();
    rotating.rotate(10).await.unwrap();
    // Had the entry survived, this read would not reach the broken row.
    break_row(&store);
    assert!(matches!(
        rotating.get(tenant(1), TOKEN).await,
        Err(VaultError::Undecryptable(TOKEN))
    ));
}

/// A store whose next `get` reads the row, tells the test, then waits for its go-ahead before
/// returning: a read held open while a write happens.
struct GatedStore {
    inner: Arc<MemoryStore>,
    gate: AsyncMutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>,
}

#[async_trait]
impl SealedCredentialStore for GatedStore {
    async fn get(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
    ) -> Result<Option<SealedCredential>, StoreError> {
        let row = self.inner.get(tenant, kind).await?;
        let gate = self.gate.lock().await.take();
        if let Some((reached, go)) = gate {
            reached.send(()).unwrap();
            go.await.unwrap();
        }
        Ok(row)
    }

    async fn put(&self, credential: &SealedCredential) -> Result<(), StoreError> {
        self.inner.put(credential).await
    }

    async fn reseal(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        expected: &[u8],
        ciphertext: Vec<u8>,
        key_id: String,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.inner
            .reseal(tenant, kind, expected, ciphertext, key_id, at)
            .await
    }

    async fn list_for_rotation(
        &self,
        newest_key_id: &str,
        after: Option<RotationCursor>,
        limit: usize,
    ) -> Result<Vec<SealedCredential>, StoreError> {
        self.inner
            .list_for_rotation(newest_key_id, after, limit)
            .await
    }

    async fn mark_verified(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.inner.mark_verified(tenant, kind, at).await
    }

    async fn revoke(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.inner.revoke(tenant, kind, at).await
    }
}

#[tokio::test]
async fn a_read_racing_a_replacement_does_not_cache_the_old_secret() {
    let inner = Arc::new(MemoryStore::new());
    let gated = Arc::new(GatedStore {
        inner: inner.clone(),
        gate: AsyncMutex::new(None),
    });
    let vault = Arc::new(Vault::new(keys_k1(), gated.clone(), TestClock::new()));
    vault
        .store(tenant(1), TOKEN, secret("old"), None)
        .await
        .unwrap();

    let (reached_tx, reached_rx) = oneshot::channel();
    let (go_tx, go_rx) = oneshot::channel();
    *gated.gate.lock().await = Some((reached_tx, go_rx));

    // A reader fetches the old row and is held before it can cache it...
    let reader = {
        let vault = vault.clone();
        tokio::spawn(async move { vault.get(tenant(1), TOKEN).await })
    };
    reached_rx.await.unwrap();
    // ...while the secret is replaced (which clears the cache)...
    vault
        .store(tenant(1), TOKEN, secret("new"), None)
        .await
        .unwrap();
    // ...then it finishes with the old value it read before the write.
    go_tx.send(()).unwrap();
    let raced = reader.await.unwrap().unwrap();
    assert_eq!(raced.expose_secret(), "old");

    // The old value must not have stayed in the cache.
    assert_eq!(
        vault.get(tenant(1), TOKEN).await.unwrap().expose_secret(),
        "new"
    );
}
