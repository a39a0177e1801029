//! Meta's JSON, and nothing else: request bodies, responses, the error envelope and webhook
//! payloads, as serde types that borrow from the bytes they were read from.
//!
//! These types are private to the crate. They describe Meta's format faithfully (every field
//! optional unless Meta guarantees it, lenient about strings versus numbers); deciding what a
//! value means for wa happens in [`crate::convert`].

pub(crate) mod error;
pub(crate) mod json;
pub(crate) mod response;
pub(crate) mod send;
pub(crate) mod template;
pub(crate) mod webhook;
