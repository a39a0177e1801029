//! Rotation: everything ends under the newest key, readable, and the old key can go.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use secrecy::ExposeSecret;
use time::OffsetDateTime;
use wa_domain::ports::{RotationCursor, SealedCredential, SealedCredentialStore};
use wa_domain::{
    credential::CredentialKind,
    ids::TenantId,
    ports::{CredentialVault, StoreError, VaultError},
};
use wa_vault::{Keyring, MemoryStore, Vault, record::record_key_id};

use crate::support::{
    KEY_3, TestClock, keyring, keys_k1, keys_k2, keys_k2_k1, secret, tenant, token, uncached,
};

const TOKEN: CredentialKind = CredentialKind::AccessToken;
const PIN: CredentialKind = CredentialKind::RegistrationPin;

/// Fills a store with `tenants` tenants' tokens and every other tenant's PIN, under `k1`.
/// Returns the expected secrets.
async fn fill(store: &Arc<MemoryStore>, tenants: u128) -> Vec<(TenantId, CredentialKind, String)> {
    let vault = uncached(keys_k1(), store.clone());
    let mut expected = Vec::new();
    for n in 1..=tenants {
        vault
            .store(tenant(n), TOKEN, secret(&token(n)), None)
            .await
            .unwrap();
        expected.push((tenant(n), TOKEN, token(n)));
        if n % 2 == 0 {
            let pin = format!("{:06}", n * 7);
            vault
                .store(tenant(n), PIN, secret(&pin), None)
                .await
                .unwrap();
            expected.push((tenant(n), PIN, pin));
        }
    }
    expected
}

async fn assert_all_readable(vault: &Vault, expected: &[(TenantId, CredentialKind, String)]) {
    for (tenant, kind, value) in expected {
        let got = vault.get(*tenant, *kind).await;
        assert_eq!(
            got.as_ref().map(|s| s.expose_secret()).ok(),
            Some(value.as_str()),
            "{tenant} {kind}: {got:?}"
        );
    }
}

fn keys_in_store(store: &MemoryStore) -> Vec<String> {
    store.rows().into_iter().map(|row| row.key_id).collect()
}

#[tokio::test]
async fn rotation_reseals_everything_and_the_old_key_can_be_removed() {
    let store = Arc::new(MemoryStore::new());
    let expected = fill(&store, 20).await; // 20 tokens + 10 PINs
    let clock = TestClock::new();
    let rotated_at = crate::support::T0 + time::Duration::days(1);
    clock.set(rotated_at);
    let vault = Vault::new(keys_k2_k1(), store.clone(), clock);

    // Reads work before, with both keys configured.
    assert_all_readable(&vault, &expected).await;

    let report = vault.rotate(7).await.unwrap();
    assert_eq!(report.target_key.as_str(), "k2");
    assert_eq!(report.examined, 30);
    assert_eq!(report.resealed, 30);
    assert_eq!(report.batches, 5); // 7 + 7 + 7 + 7 + 2
    assert_eq!(report.replaced_concurrently, 0);
    assert!(report.is_complete(), "{report}");

    for row in store.rows() {
        assert_eq!(row.key_id, "k2");
        assert_eq!(record_key_id(&row.ciphertext), Ok("k2"));
        assert_eq!(row.rotated_at, Some(rotated_at));
        assert_eq!(row.created_at, crate::support::T0, "created_at is kept");
    }
    let metadata = vault.metadata(tenant(3), TOKEN).await.unwrap();
    assert_eq!(metadata.key_id, "k2");
    assert_eq!(metadata.rotated_at, Some(rotated_at));

    assert_all_readable(&vault, &expected).await;
    // The old key removed: everything still opens.
    assert_all_readable(&uncached(keys_k2(), store.clone()), &expected).await;

    // A second run finds nothing to do.
    let again = vault.rotate(7).await.unwrap();
    assert_eq!((again.batches, again.examined, again.resealed), (0, 0, 0));
}

#[tokio::test]
async fn removing_the_old_key_before_rotating_makes_old_records_unreadable() {
    let store = Arc::new(MemoryStore::new());
    fill(&store, 2).await;
    let vault = uncached(keys_k2(), store);
    assert!(matches!(
        vault.get(tenant(1), TOKEN).await,
        Err(VaultError::Undecryptable(TOKEN))
    ));
}

#[tokio::test]
async fn revoked_credentials_are_rotated_and_stay_revoked() {
    let store = Arc::new(MemoryStore::new());
    fill(&store, 1).await;
    uncached(keys_k1(), store.clone())
        .revoke(tenant(1), TOKEN)
        .await
        .unwrap();
    let vault = uncached(keys_k2_k1(), store.clone());
    let report = vault.rotate(10).await.unwrap();
    assert_eq!(report.resealed, 1);
    let row = store.rows().remove(0);
    assert!(row.revoked);
    assert_eq!(row.key_id, "k2");
    assert!(matches!(
        vault.get(tenant(1), TOKEN).await,
        Err(VaultError::NotFound(TOKEN))
    ));
    // The audit copy still opens with the new key alone.
    let opened = keys_k2().open(tenant(1), TOKEN, &row.ciphertext).unwrap();
    assert_eq!(opened.expose_secret(), token(1));
}

#[tokio::test]
async fn an_interrupted_rotation_resumes_where_it_stopped() {
    let store = Arc::new(MemoryStore::new());
    let expected = fill(&store, 16).await; // 24 rows
    let vault = uncached(keys_k2_k1(), store.clone());

    // Two batches of 5, then the process "crashes": the rotation is dropped midway.
    {
        let mut rotation = vault.start_rotation();
        assert!(rotation.step(5).await.unwrap());
        assert!(rotation.step(5).await.unwrap());
        assert_eq!(rotation.report().resealed, 10);
    }
    let under_k2 = keys_in_store(&store).iter().filter(|k| *k == "k2").count();
    assert_eq!(under_k2, 10);
    // Midway, every credential reads, whichever key it is under.
    assert_all_readable(&vault, &expected).await;

    // A new process runs it again: only the rest is done.
    let restarted = uncached(keys_k2_k1(), store.clone());
    let report = restarted.rotate(5).await.unwrap();
    assert_eq!(report.examined, 14);
    assert_eq!(report.resealed, 14);
    assert!(report.is_complete());
    assert!(keys_in_store(&store).iter().all(|k| k == "k2"));
    assert_all_readable(&uncached(keys_k2(), store), &expected).await;
}

#[tokio::test]
async fn undecryptable_records_are_reported_and_the_rest_is_rotated() {
    let store = Arc::new(MemoryStore::new());
    let expected = fill(&store, 3).await; // 4 rows under k1
    // One more row, sealed by a key nobody configured any more.
    let lost = uncached(keyring(&format!("k0:{KEY_3}")), store.clone());
    lost.store(tenant(50), TOKEN, secret(&token(50)), None)
        .await
        .unwrap();

    let report = uncached(keys_k2_k1(), store.clone())
        .rotate(2)
        .await
        .unwrap();
    assert_eq!(report.examined, 5);
    assert_eq!(report.resealed, 4);
    assert_eq!(report.undecryptable, vec![(tenant(50), TOKEN)]);
    assert!(!report.is_complete());
    assert_all_readable(&uncached(keys_k2(), store.clone()), &expected).await;
    // Left exactly as it was.
    let row = store
        .rows()
        .into_iter()
        .find(|row| row.tenant == tenant(50))
        .unwrap();
    assert_eq!(row.key_id, "k0");
}

/// A store that, the first time rotation lists a batch, lets a concurrent writer replace one
/// listed row before rotation gets to re-seal it.
struct RacingStore {
    inner: Arc<MemoryStore>,
    /// The writer: a vault over the same inner store, and what it writes. Taken on first use.
    race: Mutex<Option<(Vault, TenantId, String)>>,
}

#[async_trait]
impl SealedCredentialStore for RacingStore {
    async fn get(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
    ) -> Result<Option<SealedCredential>, StoreError> {
        self.inner.get(tenant, kind).await
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
        let batch = self
            .inner
            .list_for_rotation(newest_key_id, after, limit)
            .await?;
        let race = self.race.lock().unwrap().take();
        if let Some((writer, tenant, value)) = race {
            assert!(batch.iter().any(|row| row.tenant == tenant));
            writer
                .store(tenant, TOKEN, secret(&value), None)
                .await
                .unwrap();
        }
        Ok(batch)
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

/// Rotates a filled store while a writer with `writer_keys` replaces tenant 2's token.
async fn rotate_while_replacing(
    writer_keys: Keyring,
) -> (Arc<MemoryStore>, wa_vault::RotationReport) {
    let inner = Arc::new(MemoryStore::new());
    fill(&inner, 4).await; // 6 rows
    let writer = uncached(writer_keys, inner.clone());
    let racing = Arc::new(RacingStore {
        inner: inner.clone(),
        race: Mutex::new(Some((
            writer,
            tenant(2),
            "replaced-during-rotation".to_owned(),
        ))),
    });
    let rotator = uncached(keys_k2_k1(), racing);
    let report = rotator.rotate(10).await.unwrap();
    (inner, report)
}

#[tokio::test]
async fn a_secret_replaced_during_rotation_is_not_overwritten() {
    // The writer already has the new keyring: its write is under k2 and must simply win.
    let (store, report) = rotate_while_replacing(keys_k2_k1()).await;
    assert_eq!(report.examined, 6);
    assert_eq!(report.resealed, 5);
    assert_eq!(report.replaced_concurrently, 1);
    assert!(report.is_complete());
    let vault = uncached(keys_k2(), store.clone());
    assert_eq!(
        vault.get(tenant(2), TOKEN).await.unwrap().expose_secret(),
        "replaced-during-rotation"
    );
    assert!(keys_in_store(&store).iter().all(|k| k == "k2"));
}

#[tokio::test]
async fn a_secret_replaced_under_the_old_key_during_rotation_is_resealed_not_lost() {
    // The writer is a process still on the old keyring: its new secret is under k1. Rotation
    // loses the compare-and-swap, re-reads, and re-seals the *new* secret.
    let (store, report) = rotate_while_replacing(keys_k1()).await;
    assert_eq!(report.resealed, 6);
    assert_eq!(report.replaced_concurrently, 0);
    assert!(report.is_complete());
    let vault = uncached(keys_k2(), store.clone());
    assert_eq!(
        vault.get(tenant(2), TOKEN).await.unwrap().expose_secret(),
        "replaced-during-rotation"
    );
    assert!(keys_in_store(&store).iter().all(|k| k == "k2"));
}

#[tokio::test]
async fn a_zero_batch_size_still_makes_progress() {
    let store = Arc::new(MemoryStore::new());
    fill(&store, 2).await;
    let report = uncached(keys_k2_k1(), store).rotate(0).await.unwrap();
    assert_eq!((report.resealed, report.batches), (3, 3));
}
