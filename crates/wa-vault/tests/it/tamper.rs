//! Wrong keys, altered records, and records moved between rows: all fail to open.

use std::sync::Arc;

use secrecy::ExposeSecret;
use wa_domain::{
    credential::CredentialKind,
    ports::{CredentialVault, VaultError},
};
use wa_vault::{MemoryStore, record::record_key_id};

use crate::support::{KEY_2, KEY_3, keyring, keys_k1, secret, tenant, token, uncached};

const TOKEN: CredentialKind = CredentialKind::AccessToken;
const PIN: CredentialKind = CredentialKind::RegistrationPin;

/// A store holding tenant 1's token sealed under `k1`, and the record's bytes.
async fn stored() -> (Arc<MemoryStore>, Vec<u8>) {
    let store = Arc::new(MemoryStore::new());
    let vault = uncached(keys_k1(), store.clone());
    vault
        .store(tenant(1), TOKEN, secret(&token(1)), None)
        .await
        .unwrap();
    let record = store.rows()[0].ciphertext.clone();
    (store, record)
}

async fn assert_undecryptable(store: &Arc<MemoryStore>, tenant_n: u128, kind: CredentialKind) {
    let vault = uncached(keys_k1(), store.clone());
    let result = vault.get(tenant(tenant_n), kind).await;
    assert!(
        matches!(result, Err(VaultError::Undecryptable(found)) if found == kind),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_vault_with_other_keys_cannot_open_it() {
    let (store, _) = stored().await;
    // Same id, other material.
    let impostor = uncached(keyring(&format!("k1:{KEY_3}")), store.clone());
    assert!(matches!(
        impostor.get(tenant(1), TOKEN).await,
        Err(VaultError::Undecryptable(TOKEN))
    ));
    // The sealing key missing from the ring.
    let without = uncached(keyring(&format!("k2:{KEY_2}")), store.clone());
    assert!(matches!(
        without.get(tenant(1), TOKEN).await,
        Err(VaultError::Undecryptable(TOKEN))
    ));
    // The right key still opens it.
    let right = uncached(keys_k1(), store);
    assert_eq!(
        right.get(tenant(1), TOKEN).await.unwrap().expose_secret(),
        token(1)
    );
}

#[tokio::test]
async fn tampered_records_are_refused() {
    let (store, record) = stored().await;
    assert_eq!(record_key_id(&record), Ok("k1"));
    let tag_at = record.len() - 16;
    // (what, byte index, xor mask)
    let cases = [
        ("version", 0, 0x03),
        ("key id length", 1, 0x01),
        ("key id", 3, 0x02),
        ("nonce", 4, 0x01),
        ("nonce end", 15, 0x80),
        ("ciphertext", 16, 0x01),
        ("ciphertext end", tag_at - 1, 0x40),
        ("tag", tag_at, 0x01),
        ("tag end", record.len() - 1, 0x80),
    ];
    for (what, index, mask) in cases {
        let mut tampered = record.clone();
        tampered[index] ^= mask;
        assert!(store.overwrite_ciphertext(tenant(1), TOKEN, tampered));
        let vault = uncached(keys_k1(), store.clone());
        let result = vault.get(tenant(1), TOKEN).await;
        assert!(
            matches!(result, Err(VaultError::Undecryptable(TOKEN))),
            "{what}: {result:?}"
        );
    }
    for (what, tampered) in [
        ("truncated", record[..record.len() - 1].to_vec()),
        ("extended", [record.as_slice(), &[0]].concat()),
        ("empty", Vec::new()),
    ] {
        assert!(store.overwrite_ciphertext(tenant(1), TOKEN, tampered));
        let vault = uncached(keys_k1(), store.clone());
        let result = vault.get(tenant(1), TOKEN).await;
        assert!(
            matches!(result, Err(VaultError::Undecryptable(TOKEN))),
            "{what}: {result:?}"
        );
    }
}

#[tokio::test]
async fn a_record_copied_onto_another_tenants_row_does_not_open() {
    let (store, record) = stored().await;
    let vault = uncached(keys_k1(), store.clone());
    vault
        .store(tenant(2), TOKEN, secret(&token(2)), None)
        .await
        .unwrap();
    assert!(store.overwrite_ciphertext(tenant(2), TOKEN, record));
    assert_undecryptable(&store, 2, TOKEN).await;
    // The original row is untouched.
    assert_eq!(
        vault.get(tenant(1), TOKEN).await.unwrap().expose_secret(),
        token(1)
    );
}

#[tokio::test]
async fn a_record_copied_under_another_kind_does_not_open() {
    let (store, record) = stored().await;
    let vault = uncached(keys_k1(), store.clone());
    vault
        .store(tenant(1), PIN, secret("123456"), None)
        .await
        .unwrap();
    assert!(store.overwrite_ciphertext(tenant(1), PIN, record));
    assert_undecryptable(&store, 1, PIN).await;
}
