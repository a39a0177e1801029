//! Fuzz target: a webhook body through the signature check and the parse (`wa-graph`'s webhook
//! module), as the receiver and the inbox worker call them.
//!
//! Properties, for any bytes: nothing panics; with the right signature, `verify_and_parse`
//! answers exactly what `parse` answers; with a wrong signature or a header made of the input,
//! it refuses before parsing (a signature error, or the size limit, which is checked first);
//! parsing is deterministic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_graph::webhook::{MAX_BODY_BYTES, SignatureVerifier, WebhookError, parse, verify_and_parse};

/// The current secret and one being rotated out, as a receiver configured for rotation holds.
const SECRETS: [&[u8]; 2] = [b"fuzz-app-secret-current", b"fuzz-app-secret-previous"];

fuzz_target!(|body: &[u8]| {
    let verifier = SignatureVerifier::new(SECRETS).expect("two non-empty secrets");
    let parsed = parse(body);
    assert_eq!(parsed, parse(body), "parse is deterministic");

    // Signed with the current secret: the parse's answer, whatever it is.
    let signed = verifier.sign(body);
    assert_eq!(verify_and_parse(&verifier, body, Some(&signed)), parsed);

    // Signed with the previous secret: accepted too.
    let previous = SignatureVerifier::new([SECRETS[1]]).expect("a non-empty secret");
    assert_eq!(
        verify_and_parse(&verifier, body, Some(&previous.sign(body))),
        parsed
    );

    // One digit of the signature changed: refused, unless the size limit refused it first.
    let mut tampered = signed.into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).expect("sha256=<hex> is ASCII");
    refused(body, verify_and_parse(&verifier, body, Some(&tampered)));

    // A header made of the input itself, and no header at all.
    let header = String::from_utf8_lossy(body);
    refused(body, verify_and_parse(&verifier, body, Some(&header)));
    refused(body, verify_and_parse(&verifier, body, None));
});

/// A body that was not signed with one of the secrets is refused for its signature, or for its
/// size (checked first).
fn refused<T: std::fmt::Debug>(body: &[u8], result: Result<T, WebhookError>) {
    match result {
        Err(error) if error.is_signature() => {}
        Err(WebhookError::TooLarge { .. }) if body.len() > MAX_BODY_BYTES => {}
        other => panic!("an unsigned body got through: {other:?}"),
    }
}
