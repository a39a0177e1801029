//! The `CredentialVault` contract, through the port trait.

use std::sync::Arc;

use secrecy::ExposeSecret;
use time::{Duration, macros::datetime};
use wa_domain::{
    credential::CredentialKind,
    ports::{CredentialVault, VaultError},
};
use wa_vault::MemoryStore;

use crate::support::{T0, cached_with_store, keys_k1, secret, tenant, token, uncached};

const TOKEN: CredentialKind = CredentialKind::AccessToken;
const PIN: CredentialKind = CredentialKind::RegistrationPin;

#[tokio::test]
async fn round_trip_with_metadata_in_clear() {
    let (vault, _, _) = cached_with_store(keys_k1());
    let expires = datetime!(2026-06-01 00:00 UTC);
    vault
        .store(tenant(1), TOKEN, secret(&token(1)), Some(expires))
        .await
        .unwrap();

    let got = vault.get(tenant(1), TOKEN).await.unwrap();
    assert_eq!(got.expose_secret(), token(1));

    let metadata = vault.metadata(tenant(1), TOKEN).await.unwrap();
    assert_eq!(metadata.kind, TOKEN);
    assert_eq!(metadata.key_id, "k1");
    assert_eq!(metadata.created_at, T0);
    assert_eq!(metadata.rotated_at, None);
    assert_eq!(metadata.expires_at, Some(expires));
    assert_eq!(metadata.last_verified_at, None);
    assert!(!metadata.revoked);
}

#[tokio::test]
async fn absent_credentials_are_not_found_everywhere() {
    let vault = uncached(keys_k1(), Arc::new(MemoryStore::new()));
    assert!(matches!(
        vault.get(tenant(1), TOKEN).await,
        Err(VaultError::NotFound(TOKEN))
    ));
    assert!(matches!(
        vault.metadata(tenant(1), PIN).await,
        Err(VaultError::NotFound(PIN))
    ));
    assert!(matches!(
        vault.mark_verified(tenant(1), TOKEN, T0).await,
        Err(VaultError::NotFound(TOKEN))
    ));
    assert!(matches!(
        vault.revoke(tenant(1), TOKEN).await,
        Err(VaultError::NotFound(TOKEN))
    ));
}

#[tokio::test]
async fn tenants_and_kinds_are_kept_apart() {
    let (vault, _, _) = cached_with_store(keys_k1());
    vault
        .store(tenant(1), TOKEN, secret(&token(1)), None)
        .await
        .unwrap();
    vault
        .store(tenant(2), TOKEN, secret(&token(2)), None)
        .await
        .unwrap();
    vault
        .store(tenant(1), PIN, secret("123456"), None)
        .await
        .unwrap();

    assert_eq!(
        vault.get(tenant(1), TOKEN).await.unwrap().expose_secret(),
        token(1)
    );
    assert_eq!(
        vault.get(tenant(2), TOKEN).await.unwrap().expose_secret(),
        token(2)
    );
    assert_eq!(
        vault.get(tenant(1), PIN).await.unwrap().expose_secret(),
        "123456"
    );
    assert!(matches!(
        vault.get(tenant(2), PIN).await,
        Err(VaultError::NotFound(PIN))
    ));
}

#[tokio::test]
async fn replacing_serves_the_new_secret_and_resets_the_record() {
    let (vault, _, clock) = cached_with_store(keys_k1());
    vault
        .store(tenant(1), TOKEN, secret(&token(1)), None)
        .await
        .unwrap();
    vault.mark_verified(tenant(1), TOKEN, T0).await.unwrap();
    // Cached now.
    assert_eq!(
        vault.get(tenant(1), TOKEN).await.unwrap().expose_secret(),
        token(1)
    );

    let later = T0 + Duration::hours(1);
    clock.set(later);
    vault
        .store(tenant(1), TOKEN, secret(&token(99)), None)
        .await
        .unwrap();

    assert_eq!(
        vault.get(tenant(1), TOKEN).await.unwrap().expose_secret(),
        token(99)
    );
    let metadata = vault.metadata(tenant(1), TOKEN).await.unwrap();
    assert_eq!(metadata.created_at, later);
    assert_eq!(metadata.last_verified_at, None);
}

#[tokio::test]
async fn revoked_credentials_are_kept_but_never_handed_out() {
    let (vault, store, _) = cached_with_store(keys_k1());
    vault
        .store(tenant(1), TOKEN, secret(&token(1)), None)
        .await
        .unwrap();
    // Cached now: revocation must still win at once.
    vault.get(tenant(1), TOKEN).await.unwrap();

    vault.revoke(tenant(1), TOKEN).await.unwrap();

    assert!(matches!(
        vault.get(tenant(1), TOKEN).await,
        Err(VaultError::NotFound(TOKEN))
    ));
    assert!(vault.metadata(tenant(1), TOKEN).await.unwrap().revoked);
    assert_eq!(store.rows().len(), 1, "kept for audit");

    // Storing a new secret un-revokes the slot.
    vault
        .store(tenant(1), TOKEN, secret(&token(2)), None)
        .await
        .unwrap();
    assert_eq!(
        vault.get(tenant(1), TOKEN).await.unwrap().expose_secret(),
        token(2)
    );
    assert!(!vault.metadata(tenant(1), TOKEN).await.unwrap().revoked);
}

#[tokio::test]
async fn verification_time_is_recorded() {
    let (vault, _, _) = cached_with_store(keys_k1());
    vault
        .store(tenant(1), TOKEN, secret(&token(1)), None)
        .await
        .unwrap();
    let verified = T0 + Duration::minutes(5);
    vault
        .mark_verified(tenant(1), TOKEN, verified)
        .await
        .unwrap();
    assert_eq!(
        vault
            .metadata(tenant(1), TOKEN)
            .await
            .unwrap()
            .last_verified_at,
        Some(verified)
    );
}
