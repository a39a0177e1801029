//! The centre of wa: every business rule, and the ports through which the rest of the system
//! reaches the outside world. No I/O, no database, no HTTP, no Meta JSON.
//!
//! # Layout
//! - Values: [`ids`] (validated identifiers), [`content`] (outbound message content checked
//!   against Meta's limits), [`inbound`] (what customers send), [`customer`], [`tenant`],
//!   [`connection`], [`conversation`], [`message`], [`credential`], [`graph`] (Graph inputs and
//!   outcomes), [`event`] (what tenants are told), with [`validation`] errors that name the field and the limit.
//! - Rules: [`status`] (the lifecycle state machine), [`window`] (the 24-hour rule),
//!   [`error_class`] (Meta's error codes sorted into what a caller can do), [`retry`] (when a
//!   failed send is tried again).
//! - [`ports`]: async traits the adapters implement, with mockall mocks behind the `mock` feature.
//! - [`usecase`]: the operations, written against the ports only.

pub mod connection;
pub mod content;
pub mod conversation;
pub mod credential;
pub mod customer;
pub mod error_class;
pub mod event;
pub mod graph;
pub mod ids;
pub mod inbound;
pub mod message;
pub mod onboarding;
pub mod ports;
pub mod retry;
pub mod status;
pub mod template_catalog;
pub mod template_draft;
pub mod tenant;
pub mod usecase;
pub mod validation;
pub mod window;
