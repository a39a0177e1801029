//! Tests of the sealed record: layout, round trip, and that every kind of tampering is refused.

use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;
use wa_domain::{credential::CredentialKind, ids::TenantId};

use crate::{
    keyring::{KeyId, Keyring},
    record::{OpenError, RECORD_VERSION, RecordSummary, record_key_id},
};

const KEY_1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const KEY_2: &str = "//////////////////////////////////////////8=";
const TOKEN: &str = "EAAGm0PX4ZCpsBAKZCZBtest-token-0123456789";

fn tenant(n: u128) -> TenantId {
    TenantId::from_uuid(Uuid::from_u128(n))
}

fn keyring(spec: &str) -> Keyring {
    Keyring::parse(spec).unwrap()
}

fn sealed() -> (Keyring, Vec<u8>) {
    let keys = keyring(&format!("k1:{KEY_1}"));
    let record = keys
        .seal(
            tenant(1),
            CredentialKind::AccessToken,
            &SecretString::from(TOKEN),
        )
        .unwrap();
    (keys, record)
}

/// Where the parts of a record sealed under `k1` start: 1 version + 1 length + 2 id bytes.
const NONCE_AT: usize = 4;
const CIPHERTEXT_AT: usize = NONCE_AT + 12;

#[test]
fn layout_is_version_key_id_nonce_ciphertext_tag() {
    let (_, record) = sealed();
    assert_eq!(record[0], RECORD_VERSION);
    assert_eq!(record[1], 2);
    assert_eq!(&record[2..4], b"k1");
    assert_eq!(record.len(), CIPHERTEXT_AT + TOKEN.len() + 16);
    assert_eq!(record_key_id(&record), Ok("k1"));
    assert_eq!(
        RecordSummary(&record).to_string(),
        format!("v1 record under key k1 ({} bytes)", record.len())
    );
}

#[test]
fn round_trip() {
    let (keys, record) = sealed();
    let opened = keys
        .open(tenant(1), CredentialKind::AccessToken, &record)
        .unwrap();
    assert_eq!(opened.expose_secret(), TOKEN);
}

#[test]
fn empty_secret_round_trips() {
    let keys = keyring(&format!("k1:{KEY_1}"));
    let kind = CredentialKind::RegistrationPin;
    let record = keys.seal(tenant(1), kind, &SecretString::from("")).unwrap();
    assert_eq!(
        keys.open(tenant(1), kind, &record).unwrap().expose_secret(),
        ""
    );
}

#[test]
fn every_seal_uses_a_fresh_nonce() {
    let keys = keyring(&format!("k1:{KEY_1}"));
    let secret = SecretString::from(TOKEN);
    let a = keys
        .seal(tenant(1), CredentialKind::AccessToken, &secret)
        .unwrap();
    let b = keys
        .seal(tenant(1), CredentialKind::AccessToken, &secret)
        .unwrap();
    assert_ne!(a[NONCE_AT..CIPHERTEXT_AT], b[NONCE_AT..CIPHERTEXT_AT]);
    assert_ne!(a[CIPHERTEXT_AT..], b[CIPHERTEXT_AT..]);
}

#[test]
fn record_does_not_contain_the_secret() {
    let (_, record) = sealed();
    assert!(
        !record
            .windows(8)
            .any(|w| TOKEN.as_bytes().windows(8).any(|t| t == w))
    );
}

#[test]
fn flipping_any_bit_after_the_header_is_rejected() {
    let (keys, record) = sealed();
    for index in NONCE_AT..record.len() {
        for bit in [0x01, 0x80] {
            let mut tampered = record.clone();
            tampered[index] ^= bit;
            assert_eq!(
                keys.open(tenant(1), CredentialKind::AccessToken, &tampered)
                    .unwrap_err(),
                OpenError::Rejected,
                "byte {index} bit {bit:#x}"
            );
        }
    }
}

#[test]
fn changed_version_is_refused() {
    let (keys, mut record) = sealed();
    record[0] = 2;
    assert_eq!(
        keys.open(tenant(1), CredentialKind::AccessToken, &record)
            .unwrap_err(),
        OpenError::UnsupportedVersion(2)
    );
}

#[test]
fn changed_key_id_is_refused() {
    let keys = keyring(&format!("k2:{KEY_2},k1:{KEY_1}"));
    let kind = CredentialKind::AccessToken;
    let mut record = keys
        .seal(tenant(1), kind, &SecretString::from(TOKEN))
        .unwrap();
    assert_eq!(record_key_id(&record), Ok("k2"));
    // Relabelled as sealed by the other configured key: opened with it, and rejected.
    record[3] = b'1';
    assert_eq!(
        keys.open(tenant(1), kind, &record).unwrap_err(),
        OpenError::Rejected
    );
    // Relabelled with an unknown id.
    record[3] = b'9';
    assert_eq!(
        keys.open(tenant(1), kind, &record).unwrap_err(),
        OpenError::UnknownKey(KeyId::parse("k9").unwrap())
    );
    // A key id length that runs past the record, and one of zero.
    record[1] = 200;
    assert_eq!(
        keys.open(tenant(1), kind, &record).unwrap_err(),
        OpenError::Malformed
    );
    record[1] = 0;
    assert_eq!(
        keys.open(tenant(1), kind, &record).unwrap_err(),
        OpenError::Malformed
    );
}

#[test]
fn truncated_records_are_malformed() {
    let (keys, record) = sealed();
    for len in [0, 1, 2, 4, CIPHERTEXT_AT, CIPHERTEXT_AT + 15] {
        assert_eq!(
            keys.open(tenant(1), CredentialKind::AccessToken, &record[..len])
                .unwrap_err(),
            OpenError::Malformed,
            "length {len}"
        );
    }
    // Shorter by one byte: still parses, but the tag is now wrong.
    assert_eq!(
        keys.open(
            tenant(1),
            CredentialKind::AccessToken,
            &record[..record.len() - 1]
        )
        .unwrap_err(),
        OpenError::Rejected
    );
}

#[test]
fn another_tenant_or_kind_cannot_open_it() {
    let (keys, record) = sealed();
    assert_eq!(
        keys.open(tenant(2), CredentialKind::AccessToken, &record)
            .unwrap_err(),
        OpenError::Rejected
    );
    assert_eq!(
        keys.open(tenant(1), CredentialKind::RegistrationPin, &record)
            .unwrap_err(),
        OpenError::Rejected
    );
}

#[test]
fn a_different_key_with_the_same_id_cannot_open_it() {
    let (_, record) = sealed();
    let impostor = keyring(&format!("k1:{KEY_2}"));
    assert_eq!(
        impostor
            .open(tenant(1), CredentialKind::AccessToken, &record)
            .unwrap_err(),
        OpenError::Rejected
    );
}

#[test]
fn errors_say_nothing_about_the_secret() {
    let errors = [
        OpenError::Malformed,
        OpenError::UnsupportedVersion(9),
        OpenError::UnknownKey(KeyId::parse("k9").unwrap()),
        OpenError::Rejected,
    ];
    for error in errors {
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(TOKEN) && !shown.contains(KEY_1), "{shown}");
    }
}
