//! SeaORM entities: one module per table, mirroring the schema the `migration` crate builds.
//!
//! These are row types only. They are never built into tables (tests and the app run the real
//! migrations) and never leave this crate's repositories: `crate::convert` turns them into domain
//! types. Writes that must be atomic are written as explicit statements in `crate::repo`, using
//! these entities' column names.

pub mod event;
pub mod tenant;
pub mod tenant_credential;
pub mod whatsapp_connection;
pub mod whatsapp_conversation;
pub mod whatsapp_message;
