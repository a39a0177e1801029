//! Nothing shows a secret: not the stored bytes, not `Debug` or `Display` of any public type or
//! error, not the log output of the vault at work.

use std::{
    io,
    sync::{Arc, Mutex},
};

use secrecy::ExposeSecret;
use wa_domain::{
    credential::CredentialKind,
    ports::{CredentialVault, StoreError, VaultError},
};
use wa_vault::{
    CacheConfig, KeyId, KeySourceError, Keyring, KeyringError, MemoryStore, OpenError, SealError,
    Vault, generate_key_entry,
};

use crate::support::{
    KEY_1, KEY_2, KEY_3, TestClock, keyring, keys_k1, keys_k2_k1, secret, shares_a_window, tenant,
    token, uncached,
};

const TOKEN: CredentialKind = CredentialKind::AccessToken;
const PIN: CredentialKind = CredentialKind::RegistrationPin;

/// Everything that must never be shown: tokens, PINs, key material in any usual spelling.
fn forbidden() -> Vec<String> {
    let mut list: Vec<String> = (1..=10).map(token).collect();
    list.push("739154".to_owned()); // the PIN
    for key in [KEY_1, KEY_2, KEY_3] {
        list.push(key.to_owned());
        list.push(key[..16].to_owned());
    }
    // Raw key bytes as `Debug` of a byte slice, and as hex.
    list.push("0, 1, 2, 3, 4, 5, 6".to_owned());
    list.push("255, 255, 255, 255".to_owned());
    list.push("17, 17, 17, 17".to_owned());
    list.push("000102030405".to_owned());
    list.push("ffffffffffff".to_owned());
    list.push("111111111111".to_owned());
    list
}

fn assert_clean(what: &str, shown: &str) {
    for needle in forbidden() {
        assert!(!shown.contains(&needle), "{what} shows {needle:?}: {shown}");
    }
}

async fn filled_vault() -> (Vault, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    let vault = Vault::new(keys_k1(), store.clone(), TestClock::new());
    for n in 1..=10 {
        vault
            .store(tenant(n), TOKEN, secret(&token(n)), None)
            .await
            .unwrap();
    }
    vault
        .store(tenant(1), PIN, secret("739154"), None)
        .await
        .unwrap();
    (vault, store)
}

#[tokio::test]
async fn the_stored_bytes_hold_no_secret() {
    let (_, store) = filled_vault().await;
    let rows = store.rows();
    assert_eq!(rows.len(), 11);
    for row in &rows {
        for n in 1..=10 {
            assert!(
                !shares_a_window(&row.ciphertext, token(n).as_bytes()),
                "row of {} holds token bytes",
                row.tenant
            );
        }
        assert!(!row.ciphertext.windows(6).any(|w| w == b"739154"));
        assert!(!shares_a_window(
            &row.ciphertext,
            &(0u8..32).collect::<Vec<_>>()
        ));
        assert_clean("stored row", &format!("{row:?}"));
        // Every other column is metadata: the key id in clear, no secret.
        assert_eq!(row.key_id, "k1");
    }
    assert_clean("store", &format!("{store:?}"));
}

#[tokio::test]
async fn debug_and_display_of_public_types_and_errors_show_no_secret() {
    let (vault, store) = filled_vault().await;
    // Warm the cache so its entries exist while the vault is shown.
    for n in 1..=10 {
        vault.get(tenant(n), TOKEN).await.unwrap();
    }
    let secret_value = vault.get(tenant(1), TOKEN).await.unwrap();
    assert_eq!(secret_value.expose_secret(), token(1));

    let keys = keyring(&format!("k3:{KEY_3},k2:{KEY_2},k1:{KEY_1}"));
    let report = uncached(keys_k2_k1(), store.clone())
        .rotate(3)
        .await
        .unwrap();
    let rotating = uncached(keys_k2_k1(), store.clone());
    let rotation = rotating.start_rotation();

    let mut shown = vec![
        ("secret", format!("{secret_value:?}")),
        ("vault", format!("{vault:?}")),
        ("keyring", format!("{keys:?}")),
        ("store", format!("{store:?}")),
        ("rows", format!("{:?}", store.rows())),
        ("report", format!("{report} {report:?}")),
        ("rotation", format!("{rotation:?}")),
        ("cache config", format!("{:?}", CacheConfig::default())),
        ("key id", format!("{0} {0:?}", KeyId::parse("k1").unwrap())),
    ];

    let vault_errors = [
        VaultError::NotFound(TOKEN),
        VaultError::Undecryptable(TOKEN),
        VaultError::Storage(StoreError::Unavailable(Box::new(SealError::Random))),
    ];
    for error in vault_errors {
        shown.push(("vault error", format!("{error} {error:?}")));
    }
    let open_errors = [
        OpenError::Malformed,
        OpenError::Rejected,
        OpenError::UnsupportedVersion(7),
        OpenError::UnknownKey(KeyId::parse("k0").unwrap()),
    ];
    for error in open_errors {
        shown.push(("open error", format!("{error} {error:?}")));
    }
    for error in [SealError::Random, SealError::TooLong] {
        shown.push(("seal error", format!("{error} {error:?}")));
    }
    // Every keyring error, provoked with real key material in the input.
    let bad_specs = [
        String::new(),
        KEY_1.to_owned(),
        format!("bad id:{KEY_1}"),
        format!("k1:{}$", &KEY_1[1..]),
        format!("k1:{}", &KEY_1[..24]),
        format!("k1:{KEY_1},k1:{KEY_2}"),
    ];
    for spec in bad_specs {
        let error: KeyringError = Keyring::parse(&spec).unwrap_err();
        shown.push(("keyring error", format!("{error} {error:?}")));
        let error: KeySourceError = Keyring::from_sources(Some(&spec), None).unwrap_err();
        shown.push(("key source error", format!("{error} {error:?}")));
    }
    let io_error =
        Keyring::from_file(std::path::Path::new("/nonexistent/wa-vault-keys")).unwrap_err();
    shown.push(("keyring io error", format!("{io_error} {io_error:?}")));
    let entry = generate_key_entry(&KeyId::parse("k5").unwrap()).unwrap();
    shown.push(("generated entry", format!("{entry:?}")));

    for (what, text) in &shown {
        assert_clean(what, text);
    }
    assert!(
        !shown
            .iter()
            .any(|(_, text)| text.contains(&entry.expose_secret()[3..]))
    );
}

/// A writer into a shared buffer, for the log subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn log_output_of_the_vault_at_work_shows_no_secret() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer({
            let captured = captured.clone();
            move || captured.clone()
        })
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let _dev = Keyring::generate_dev().unwrap();
    let (vault, store) = filled_vault().await;
    vault.get(tenant(2), TOKEN).await.unwrap();
    vault.get(tenant(2), TOKEN).await.unwrap();
    vault
        .mark_verified(tenant(2), TOKEN, crate::support::T0)
        .await
        .unwrap();
    vault.revoke(tenant(3), TOKEN).await.unwrap();
    // An undecryptable row: logged with its reason.
    let record = store.rows()[0].ciphertext.clone();
    assert!(store.overwrite_ciphertext(tenant(4), TOKEN, record));
    assert!(vault.get(tenant(4), TOKEN).await.is_err());
    // A rotation that meets it.
    let report = uncached(keys_k2_k1(), store.clone())
        .rotate(4)
        .await
        .unwrap();
    assert_eq!(report.undecryptable.len(), 1);
    let _ = Keyring::parse(&format!("k1:{}", &KEY_1[..24]));

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("DEVELOPMENT VAULT KEY"), "{logs}");
    assert!(logs.contains("cannot be opened"), "{logs}");
    assert!(logs.contains("rotation finished"), "{logs}");
    assert_clean("logs", &logs);
}
