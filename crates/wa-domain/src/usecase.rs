//! The operations of wa, written against the ports only.
//!
//! Each use case is a plain async function taking [`Ports`], the bundle of adapters the app
//! builds at start-up. Functions rather than service objects: they share no state beyond the
//! ports, and tests build a `Ports` of mockall mocks and assert outcomes.

use std::sync::Arc;

use crate::ports::{
    AccountGateway, Clock, ConnectionDirectory, ConnectionRepository, ConversationRepository,
    CredentialVault, GraphGateway, MessageRepository, SignupRepository, TemplateRepository,
    TenantRepository,
};

pub mod connect;
pub mod health;
pub mod inbound;
pub mod send;
pub mod signup;
pub mod status;
pub mod templates;
pub mod window;

/// The adapters a use case may call.
#[derive(Clone)]
pub struct Ports {
    /// Tenants.
    pub tenants: Arc<dyn TenantRepository>,
    /// Connections.
    pub connections: Arc<dyn ConnectionRepository>,
    /// Messages.
    pub messages: Arc<dyn MessageRepository>,
    /// Conversations and windows.
    pub conversations: Arc<dyn ConversationRepository>,
    /// Credentials.
    pub vault: Arc<dyn CredentialVault>,
    /// Meta.
    pub graph: Arc<dyn GraphGateway>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Meta's account and onboarding calls.
    pub account: Arc<dyn AccountGateway>,
    /// Embedded Signup progress.
    pub signups: Arc<dyn SignupRepository>,
    /// Synced message templates.
    pub templates: Arc<dyn TemplateRepository>,
    /// Connections across tenants.
    pub directory: Arc<dyn ConnectionDirectory>,
}

#[cfg(test)]
pub(crate) mod test_support;
