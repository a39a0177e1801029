//! Rotation on the real credentials table: batches in the database's own order, a crash midway,
//! a restart that finishes the rest, while readers and a writer keep using the vault.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use secrecy::ExposeSecret;
use wa_domain::{
    credential::CredentialKind,
    ports::{CredentialVault, VaultError},
};
use wa_vault::Vault;

use crate::{
    sql::{Backend, Database},
    support::{TestClock, keys_k1, keys_k2, keys_k2_k1, secret, tenant, token},
};

const TOKEN: CredentialKind = CredentialKind::AccessToken;
const PIN: CredentialKind = CredentialKind::RegistrationPin;
const TENANTS: u128 = 30;
/// The tenant whose token is replaced while the rotation runs.
const REPLACED: u128 = 17;

fn pin(n: u128) -> String {
    format!("{:06}", n * 7)
}

/// The secret tenant `n` holds at the end.
fn final_token(n: u128) -> String {
    if n == REPLACED {
        "replaced-while-rotating".to_owned()
    } else {
        token(n)
    }
}

/// Whether a reader may see `got` for tenant `n` while everything runs: its token, or for the
/// replaced tenant either the old or the new one.
fn acceptable(n: u128, got: &str) -> bool {
    got == token(n) || got == final_token(n)
}

async fn rotation_while_serving(backend: Backend) {
    let database = Database::fresh(backend).await;
    database.create_tenants(TENANTS).await;
    let old = Vault::new(keys_k1(), database.credentials(), TestClock::new()).without_cache();
    for n in 1..=TENANTS {
        old.store(tenant(n), TOKEN, secret(&token(n)), None)
            .await
            .unwrap();
        if n % 3 == 0 {
            old.store(tenant(n), PIN, secret(&pin(n)), None)
                .await
                .unwrap();
        }
    }
    let rows = usize::try_from(TENANTS + TENANTS / 3).unwrap();

    // The serving side: a cached vault that already knows the new key, read in a loop.
    let serving = Arc::new(Vault::new(
        keys_k2_k1(),
        database.credentials(),
        TestClock::new(),
    ));
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (vault, stop, reads) = (serving.clone(), stop.clone(), reads.clone());
            tokio::spawn(async move {
                let mut failures = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    for n in 1..=TENANTS {
                        match vault.get(tenant(n), TOKEN).await {
                            Ok(got) if acceptable(n, got.expose_secret()) => {}
                            Ok(_) => failures.push(format!("tenant {n}: wrong secret")),
                            Err(error) => failures.push(format!("tenant {n}: {error}")),
                        }
                        reads.fetch_add(1, Ordering::SeqCst);
                    }
                    tokio::task::yield_now().await;
                }
                failures
            })
        })
        .collect();

    // A first rotation does two batches of 4, then its process "crashes".
    {
        let rotating = Vault::new(keys_k2_k1(), database.credentials(), TestClock::new());
        let mut rotation = rotating.start_rotation();
        assert!(rotation.step(4).await.unwrap());
        assert!(rotation.step(4).await.unwrap());
        assert_eq!(rotation.report().resealed, 8);
    }
    let under_new = database
        .raw_rows()
        .await
        .iter()
        .filter(|row| row.key_id == "k2")
        .count();
    assert_eq!(under_new, 8);

    // Meanwhile a tenant reconnects with a new token, through the serving vault.
    serving
        .store(
            tenant(REPLACED),
            TOKEN,
            secret("replaced-while-rotating"),
            None,
        )
        .await
        .unwrap();

    // A new process runs the rotation again and finishes the rest, batch by batch.
    let restarted = Vault::new(keys_k2_k1(), database.credentials(), TestClock::new());
    let report = restarted.rotate(4).await.unwrap();
    assert!(report.is_complete(), "{report}");
    // The replacement was written under k2 already: nothing left to do for it.
    assert_eq!(report.resealed, rows - 8 - 1, "{report}");

    stop.store(true, Ordering::SeqCst);
    for reader in readers {
        let failures = reader.await.unwrap();
        assert!(failures.is_empty(), "{failures:?}");
    }
    assert!(reads.load(Ordering::SeqCst) >= usize::try_from(2 * TENANTS).unwrap());
    // The serving vault's cache forgot the replaced token when it was replaced.
    let got = serving.get(tenant(REPLACED), TOKEN).await.unwrap();
    assert_eq!(got.expose_secret(), final_token(REPLACED));

    // Every row is under the new key; with the old key removed, everything still reads.
    let raw = database.raw_rows().await;
    assert_eq!(raw.len(), rows);
    assert!(raw.iter().all(|row| row.key_id == "k2"));
    assert!(raw.iter().all(|row| row.ciphertext[2..4] == *b"k2"));
    let new_only = Vault::new(keys_k2(), database.credentials(), TestClock::new()).without_cache();
    for n in 1..=TENANTS {
        let got = new_only.get(tenant(n), TOKEN).await.unwrap();
        assert_eq!(got.expose_secret(), final_token(n));
        if n % 3 == 0 {
            let got = new_only.get(tenant(n), PIN).await.unwrap();
            assert_eq!(got.expose_secret(), pin(n));
        }
    }
    // The old keyring alone no longer opens anything.
    assert!(matches!(
        old.get(tenant(1), TOKEN).await,
        Err(VaultError::Undecryptable(TOKEN))
    ));
    // Nothing left for a third run.
    let again = restarted.rotate(4).await.unwrap();
    assert_eq!((again.examined, again.resealed), (0, 0));
    database.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_resumes_after_a_crash_while_serving_on_sqlite() {
    rotation_while_serving(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_resumes_after_a_crash_while_serving_on_postgres() {
    rotation_while_serving(Backend::Postgres).await;
}
