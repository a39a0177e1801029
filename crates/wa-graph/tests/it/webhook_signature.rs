//! `X-Hub-Signature-256`: HMAC-SHA256 over the exact bytes, any of several secrets.

use wa_graph::{
    SignatureVerifier, WebhookError,
    webhook::{SignatureError, verify_and_parse},
};

use crate::support::fixture;

/// A fixed body whose signature was computed outside Rust (Python's `hmac`), so the check is
/// not tested against itself.
const SECRET: &str = "test-app-secret";
const BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[]}"#;
const SIGNATURE: &str = "sha256=c84a394cc475525991e78ff16e430b02e47f953877d2af0ade26956ce6f384dc";

#[test]
fn a_known_signature_verifies() {
    let verifier = SignatureVerifier::new([SECRET]).unwrap();
    assert_eq!(verifier.sign(BODY), SIGNATURE);
    assert_eq!(verifier.verify(BODY, Some(SIGNATURE)), Ok(()));
    // Hex digits in upper case and surrounding spaces are accepted.
    let upper = format!(" sha256={} ", SIGNATURE[7..].to_uppercase());
    assert_eq!(verifier.verify(BODY, Some(&upper)), Ok(()));
}

#[test]
fn any_configured_secret_is_accepted_during_rotation() {
    let old = SignatureVerifier::new(["old-secret"]).unwrap();
    let rotating = SignatureVerifier::new(["new-secret", "old-secret"]).unwrap();
    let signed_with_old = old.sign(BODY);
    assert_eq!(rotating.verify(BODY, Some(&signed_with_old)), Ok(()));
    let new_only = SignatureVerifier::new(["new-secret"]).unwrap();
    assert_eq!(
        new_only.verify(BODY, Some(&signed_with_old)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn wrong_missing_and_malformed_signatures_are_refused() {
    let verifier = SignatureVerifier::new([SECRET]).unwrap();
    assert_eq!(verifier.verify(BODY, None), Err(SignatureError::Missing));
    for header in ["", "sha256=", "sha1=abcd", "sha256=zz", &SIGNATURE[..70]] {
        assert_eq!(
            verifier.verify(BODY, Some(header)),
            Err(SignatureError::Malformed),
            "{header}"
        );
    }
    let mut flipped = SIGNATURE.to_owned();
    flipped.replace_range(70..71, if &SIGNATURE[70..71] == "0" { "1" } else { "0" });
    assert_eq!(
        verifier.verify(BODY, Some(&flipped)),
        Err(SignatureError::Mismatch)
    );
    // One byte more in the body is a different body.
    let mut longer = BODY.to_vec();
    longer.push(b' ');
    assert_eq!(
        verifier.verify(&longer, Some(SIGNATURE)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn the_exact_escaped_bytes_are_signed_not_a_re_serialisation() {
    let verifier = SignatureVerifier::new([SECRET]).unwrap();
    let body = fixture("hebrew-4096.json");
    let signature = verifier.sign(&body);
    assert!(verify_and_parse(&verifier, &body, Some(&signature)).is_ok());
    // The same JSON with the Unicode unescaped is another byte string: it must not verify.
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let reserialised = serde_json::to_vec(&value).unwrap();
    assert_ne!(reserialised, body);
    assert!(matches!(
        verify_and_parse(&verifier, &reserialised, Some(&signature)),
        Err(WebhookError::Signature(SignatureError::Mismatch))
    ));
}

#[test]
fn a_verifier_needs_a_secret() {
    assert!(SignatureVerifier::new(Vec::<&str>::new()).is_err());
    assert!(SignatureVerifier::new([""]).is_err());
    let debug = format!("{:?}", SignatureVerifier::new([SECRET]).unwrap());
    assert!(!debug.contains(SECRET));
}

#[test]
fn size_is_checked_before_the_signature() {
    let verifier = SignatureVerifier::new([SECRET]).unwrap();
    let big = vec![b'x'; wa_graph::webhook::MAX_BODY_BYTES + 1];
    assert!(matches!(
        verify_and_parse(&verifier, &big, None),
        Err(WebhookError::TooLarge { .. })
    ));
}
