//! Fuzz target: outbound message content as the API receives it (`wa-domain`'s validated
//! content, built by deserialising JSON through every check Meta's limits impose).
//!
//! Properties, for any bytes: nothing panics; content that was accepted serialises (as the store
//! keeps it) and reads back to the same value, so nothing accepted can fail later in the queue;
//! a text body that was accepted is within Meta's limit and not blank.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_domain::content::{MAX_TEXT_BODY, OutboundContent};

fuzz_target!(|data: &[u8]| {
    let Ok(content) = serde_json::from_slice::<OutboundContent>(data) else {
        return;
    };
    let stored = serde_json::to_string(&content).expect("accepted content serialises");
    let read_back: OutboundContent = serde_json::from_str(&stored)
        .unwrap_or_else(|error| panic!("stored content does not read back: {error}: {stored}"));
    assert_eq!(read_back, content, "stored content reads back unchanged");
    assert_eq!(read_back.kind(), content.kind());
    if let OutboundContent::Text(text) = &content {
        assert!(!text.body().trim().is_empty(), "blank text accepted");
        assert!(
            text.body().chars().count() <= MAX_TEXT_BODY,
            "text over the limit accepted"
        );
    }
});
