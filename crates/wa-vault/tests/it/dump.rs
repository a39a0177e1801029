//! A stolen database reveals no token: the raw `tenant_credentials` columns, read with plain SQL,
//! and on SQLite the database files themselves, hold neither the token's bytes nor its base64
//! or hex spelling, while the vault still reads every token back. And a record copied onto
//! another tenant's row in the database does not open there.

use std::collections::HashMap;

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use sea_orm::ConnectionTrait;
use secrecy::ExposeSecret;
use time::macros::datetime;
use wa_domain::{credential::CredentialKind, ports::CredentialVault};
use wa_vault::Vault;

use crate::{
    sql::{Backend, Database},
    support::{TestClock, keys_k1, keys_k2_k1, secret, tenant, token},
};

const TOKEN: CredentialKind = CredentialKind::AccessToken;
const PIN: CredentialKind = CredentialKind::RegistrationPin;
const TENANTS: u128 = 12;
/// A PIN long enough that its windows are distinctive.
const PIN_VALUE: &str = "73915482066431";

/// Every spelling of `secret` a careless store might have written: the bytes themselves, base64
/// (standard at each of the three alignments, and URL-safe) and hex in both cases.
fn spellings(secret: &str) -> Vec<Vec<u8>> {
    let bytes = secret.as_bytes();
    let mut all = vec![bytes.to_vec()];
    for skip in 0..3 {
        all.push(STANDARD.encode(&bytes[skip..]).into_bytes());
        all.push(URL_SAFE_NO_PAD.encode(&bytes[skip..]).into_bytes());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    all.push(hex.to_uppercase().into_bytes());
    all.push(hex.into_bytes());
    all
}

/// Which spelling of which secret shows in `haystack`: any 10-byte window of a spelling counts.
/// One pass over the haystack against a set of every window (the database files are large).
fn found_in(haystack: &[u8], secrets: &[String]) -> Option<String> {
    let mut windows = HashMap::new();
    for secret in secrets {
        for spelling in spellings(secret) {
            for window in spelling.windows(10) {
                windows.insert(window.to_vec(), secret.clone());
            }
        }
    }
    haystack.windows(10).find_map(|candidate| {
        windows.get(candidate).map(|secret| {
            format!(
                "{:?} (a spelling of {secret:?})",
                String::from_utf8_lossy(candidate)
            )
        })
    })
}

fn all_secrets() -> Vec<String> {
    let mut secrets: Vec<String> = (1..=TENANTS).map(token).collect();
    secrets.push(PIN_VALUE.to_owned());
    secrets
}

#[test]
fn the_detector_finds_every_spelling() {
    let secrets = vec![token(3)];
    let raw = token(3);
    assert!(found_in(format!("..{raw}..").as_bytes(), &secrets).is_some());
    assert!(found_in(STANDARD.encode(&raw[1..]).as_bytes(), &secrets).is_some());
    assert!(found_in(URL_SAFE_NO_PAD.encode(&raw).as_bytes(), &secrets).is_some());
    let hex: String = raw.bytes().map(|b| format!("{b:02X}")).collect();
    assert!(found_in(hex.as_bytes(), &secrets).is_some());
    assert!(found_in(b"nothing to see here, nothing at all", &secrets).is_none());
}

async fn nothing_in_the_raw_column(backend: Backend) {
    let database = Database::fresh(backend).await;
    database.create_tenants(TENANTS).await;
    let vault = Vault::new(keys_k1(), database.credentials(), TestClock::new());
    let expires = datetime!(2026-09-01 00:00 UTC);
    for n in 1..=TENANTS {
        vault
            .store(tenant(n), TOKEN, secret(&token(n)), Some(expires))
            .await
            .unwrap();
    }
    vault
        .store(tenant(1), PIN, secret(PIN_VALUE), None)
        .await
        .unwrap();
    // Replaced once and rotated once, so the table has seen every kind of write.
    vault
        .store(tenant(2), TOKEN, secret(&token(2)), Some(expires))
        .await
        .unwrap();
    let rotating = Vault::new(keys_k2_k1(), database.credentials(), TestClock::new());
    assert!(rotating.rotate(5).await.unwrap().is_complete());

    let rows = database.raw_rows().await;
    assert_eq!(rows.len(), usize::try_from(TENANTS).unwrap() + 1);
    let secrets = all_secrets();
    for row in &rows {
        // A sealed record: version 1, the key id in clear, nonce, ciphertext and tag.
        assert_eq!(row.ciphertext[0], 1);
        assert_eq!(row.key_id, "k2");
        assert!(row.ciphertext.len() >= 2 + 2 + 12 + 16);
        assert_eq!(
            found_in(&row.ciphertext, &secrets),
            None,
            "ciphertext column"
        );
        assert_eq!(
            found_in(row.text.as_bytes(), &secrets),
            None,
            "clear columns {}",
            row.text
        );
    }
    if backend == Backend::Sqlite {
        let files = database.sqlite_files().await;
        // The files do hold the data: the tenants' names are there in clear.
        assert!(files.windows(9).any(|w| w == b"tenant 12"));
        assert_eq!(found_in(&files, &secrets), None, "database files");
    }

    // And yet every secret reads back, from a vault with the new key alone.
    let reader = Vault::new(
        crate::support::keys_k2(),
        database.credentials(),
        TestClock::new(),
    )
    .without_cache();
    for n in 1..=TENANTS {
        let got = reader.get(tenant(n), TOKEN).await.unwrap();
        assert_eq!(got.expose_secret(), token(n));
    }
    let pin = reader.get(tenant(1), PIN).await.unwrap();
    assert_eq!(pin.expose_secret(), PIN_VALUE);
    database.remove().await;
}

#[tokio::test]
async fn the_raw_column_and_files_hold_no_token_on_sqlite() {
    nothing_in_the_raw_column(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_raw_column_holds_no_token_on_postgres() {
    nothing_in_the_raw_column(Backend::Postgres).await;
}

async fn a_record_moved_to_another_tenants_row_does_not_open(backend: Backend) {
    let database = Database::fresh(backend).await;
    database.create_tenants(2).await;
    let vault = Vault::new(keys_k1(), database.credentials(), TestClock::new()).without_cache();
    for n in 1..=2 {
        vault
            .store(tenant(n), TOKEN, secret(&token(n)), None)
            .await
            .unwrap();
    }
    // Someone with write access to the database copies tenant 1's record onto tenant 2's row.
    let db = database.store.connection();
    let copy = "UPDATE tenant_credentials SET ciphertext = (SELECT c.ciphertext \
                FROM tenant_credentials c WHERE c.tenant_id = $1 AND c.kind = 'access_token') \
                WHERE tenant_id = $2 AND kind = 'access_token'";
    let moved = db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            copy,
            [tenant(1).as_uuid().into(), tenant(2).as_uuid().into()],
        ))
        .await
        .unwrap();
    assert_eq!(moved.rows_affected(), 1);
    let rows = database.raw_rows().await;
    assert_eq!(
        rows[0].ciphertext, rows[1].ciphertext,
        "the record was copied"
    );

    assert!(matches!(
        vault.get(tenant(2), TOKEN).await,
        Err(wa_domain::ports::VaultError::Undecryptable(TOKEN))
    ));
    let own = vault.get(tenant(1), TOKEN).await.unwrap();
    assert_eq!(own.expose_secret(), token(1));
    database.remove().await;
}

#[tokio::test]
async fn a_record_moved_to_another_tenants_row_does_not_open_on_sqlite() {
    a_record_moved_to_another_tenants_row_does_not_open(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_record_moved_to_another_tenants_row_does_not_open_on_postgres() {
    a_record_moved_to_another_tenants_row_does_not_open(Backend::Postgres).await;
}
