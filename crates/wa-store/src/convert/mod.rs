//! Hand-written conversions between rows (`crate::entity`) and domain types, and the encoding of
//! values the two databases must store identically (times).

pub(crate) mod connection;
pub(crate) mod conversation;
pub(crate) mod message;
pub(crate) mod tenant;
pub(crate) mod timestamp;
