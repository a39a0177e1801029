//! Signatures: a known vector, one `v1` per secret, fresh secrets.

use secrecy::{ExposeSecret, SecretString};

use super::{SECRET_PREFIX, generate_secret, header, sign};

#[test]
fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
    // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
    let secret = SecretString::from("whsec_test");
    let signature = sign(&secret, 1_700_000_000, br#"{"a":1}"#);
    assert_eq!(signature.len(), 64);
    assert_eq!(
        signature,
        "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
    );
}

#[test]
fn the_header_carries_one_v1_per_secret() {
    let new = SecretString::from("whsec_new");
    let old = SecretString::from("whsec_old");
    let value = header(&[new.clone(), old.clone()], 42, b"{}");
    assert_eq!(
        value,
        format!(
            "t=42,v1={},v1={}",
            sign(&new, 42, b"{}"),
            sign(&old, 42, b"{}")
        )
    );
    assert_ne!(sign(&new, 42, b"{}"), sign(&old, 42, b"{}"));
    assert_ne!(sign(&new, 42, b"{}"), sign(&new, 43, b"{}"));
}

#[test]
fn secrets_are_fresh_and_prefixed() {
    let a = generate_secret();
    let b = generate_secret();
    assert!(a.expose_secret().starts_with(SECRET_PREFIX));
    assert_eq!(a.expose_secret().len(), SECRET_PREFIX.len() + 64);
    assert_ne!(a.expose_secret(), b.expose_secret());
    assert!(!format!("{a:?}").contains(a.expose_secret()));
}
