//! Property tests of verify+parse on hostile input: arbitrary bytes, and valid payloads with
//! bytes changed, cut or duplicated. The parser must answer (events or an error), never panic,
//! and a signature never verifies for bytes it was not made for. The receiver's envelope check
//! and the full parse agree on every body.
//!
//! `PROPTEST_CASES` raises the number of cases for a longer run (the default keeps `cargo test`
//! quick).

use proptest::prelude::*;
use wa_graph::{SignatureVerifier, verify_and_parse};

use crate::support::fixture;

const FIXTURES: [&str; 10] = [
    "every-type.json",
    "statuses.json",
    "two-wabas.json",
    "duplicates.json",
    "hebrew-4096.json",
    "bsuid-only.json",
    "classic.json",
    "value-errors.json",
    "other-fields.json",
    "bad-items.json",
];

/// `check_envelope` (the receiver's check before storing) and `parse` (the inbox worker's read)
/// give the same verdict on a body: nothing stored is refused later, nothing refused would
/// have parsed.
fn agree(body: &[u8]) -> Result<(), TestCaseError> {
    let checked = wa_graph::webhook::check_envelope(body);
    let parsed = wa_graph::parse(body).map(|_| ());
    prop_assert_eq!(checked, parsed);
    Ok(())
}

fn mutate(mut body: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(position, kind, byte) in edits {
        if body.is_empty() {
            body.push(byte);
            continue;
        }
        let at = position % body.len();
        match kind % 5 {
            0 => body[at] = byte,
            1 => body.insert(at, byte),
            2 => {
                body.remove(at);
            }
            3 => body.truncate(at),
            _ => {
                // Duplicate a slice: repeats keys, brackets and whole items.
                let end = (at + usize::from(byte)).min(body.len());
                let copy = body[at..end].to_vec();
                body.splice(at..at, copy);
            }
        }
    }
    body
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = wa_graph::parse(&body);
    }

    #[test]
    fn json_like_bytes_never_panic(
        body in proptest::collection::vec(
            prop_oneof![
                Just(b'{'), Just(b'}'), Just(b'['), Just(b']'), Just(b'"'), Just(b':'),
                Just(b','), Just(b'\\'), Just(b'u'), Just(b'0'), Just(b'1'), Just(b'e'),
                Just(b'-'), Just(b'.'), Just(b' '), any::<u8>(),
            ],
            0..4096,
        )
    ) {
        let _ = wa_graph::parse(&body);
        agree(&body)?;
    }

    #[test]
    fn the_receipt_check_refuses_exactly_what_the_parse_refuses(
        fixture_index in 0..FIXTURES.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..8),
    ) {
        agree(&mutate(fixture(FIXTURES[fixture_index]), &edits))?;
    }

    #[test]
    fn mutated_payloads_never_panic_and_never_verify(
        fixture_index in 0..FIXTURES.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..8),
    ) {
        let original = fixture(FIXTURES[fixture_index]);
        let verifier = SignatureVerifier::new(["fuzz-secret"]).unwrap();
        let signature = verifier.sign(&original);
        let mutated = mutate(original.clone(), &edits);
        let outcome = verify_and_parse(&verifier, &mutated, Some(&signature));
        if mutated != original {
            prop_assert!(outcome.is_err(), "a changed body verified");
        }
        // Unsigned parse of the mutated body: any answer but a panic.
        if let Ok(batch) = wa_graph::parse(&mutated) {
            for problem in &batch.problems {
                prop_assert!(problem.reason.len() < 200);
            }
        }
    }
}
