//! Shared fixtures for use-case tests: a `Ports` made of mockall mocks, a fixed clock, and
//! builders for the values most tests need.

use std::sync::Arc;

use time::{OffsetDateTime, macros::datetime};

use crate::{
    connection::{Connection, ConnectionHealth},
    content::{OutboundContent, Text},
    conversation::{Conversation, ConversationId},
    customer::CustomerIdentity,
    ids::{PhoneNumber, PhoneNumberId, Recipient, TenantId, WabaId},
    message::OutboundMessage,
    ports::{
        Clock, MockAccountGateway, MockConnectionDirectory, MockConnectionRepository,
        MockConversationRepository, MockCredentialVault, MockGraphGateway, MockMessageRepository,
        MockSignupRepository, MockTemplateRepository, MockTenantRepository,
    },
    tenant::Tenant,
    window::Window,
};

use super::Ports;

/// The time every use-case test runs at.
pub(crate) const NOW: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);

/// A clock stopped at one instant.
pub(crate) struct FixedClock(pub(crate) OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

/// One mock per port. A mock without expectations panics when called, so every test states
/// exactly which ports it expects to be used.
#[derive(Default)]
pub(crate) struct Mocks {
    pub(crate) tenants: MockTenantRepository,
    pub(crate) connections: MockConnectionRepository,
    pub(crate) messages: MockMessageRepository,
    pub(crate) conversations: MockConversationRepository,
    pub(crate) vault: MockCredentialVault,
    pub(crate) graph: MockGraphGateway,
    pub(crate) account: MockAccountGateway,
    pub(crate) signups: MockSignupRepository,
    pub(crate) templates: MockTemplateRepository,
    pub(crate) directory: MockConnectionDirectory,
}

impl Mocks {
    pub(crate) fn into_ports(self) -> Ports {
        Ports {
            tenants: Arc::new(self.tenants),
            connections: Arc::new(self.connections),
            messages: Arc::new(self.messages),
            conversations: Arc::new(self.conversations),
            vault: Arc::new(self.vault),
            graph: Arc::new(self.graph),
            clock: Arc::new(FixedClock(NOW)),
            account: Arc::new(self.account),
            signups: Arc::new(self.signups),
            templates: Arc::new(self.templates),
            directory: Arc::new(self.directory),
        }
    }

    /// The tenant exists with the given `enabled` flag.
    pub(crate) fn with_tenant(mut self, tenant_id: TenantId, enabled: bool) -> Self {
        self.tenants.expect_get().returning(move |id| {
            assert_eq!(id, tenant_id, "queried another tenant");
            let mut tenant = Tenant::new(tenant_id, "Acme", NOW).unwrap();
            tenant.enabled = enabled;
            Ok(Some(tenant))
        });
        self
    }

    /// The tenant's one number exists with the given health (as its default, by its id and in
    /// the list of its numbers).
    pub(crate) fn with_connection(mut self, tenant_id: TenantId, health: ConnectionHealth) -> Self {
        self.connections.expect_get().returning(move |id| {
            assert_eq!(id, tenant_id, "queried another tenant");
            Ok(Some(connection(tenant_id, health)))
        });
        self.connections
            .expect_get_number()
            .returning(move |id, number| {
                assert_eq!(id, tenant_id, "queried another tenant");
                let connection = connection(tenant_id, health);
                Ok((&connection.phone_number_id == number).then_some(connection))
            });
        self.connections.expect_list().returning(move |id| {
            assert_eq!(id, tenant_id, "queried another tenant");
            Ok(vec![connection(tenant_id, health)])
        });
        self
    }

    /// The customer's conversation with the tenant's number has the given window (or none).
    pub(crate) fn with_window(mut self, tenant_id: TenantId, window: Option<Window>) -> Self {
        self.conversations
            .expect_find()
            .returning(move |id, number, customer| {
                assert_eq!(id, tenant_id, "queried another tenant");
                assert_eq!(number, &business_number(), "read another number's window");
                Ok(Some(Conversation {
                    id: ConversationId::generate(),
                    tenant_id,
                    phone_number_id: number.clone(),
                    customer: customer.clone(),
                    profile_name: None,
                    window,
                    last_message_at: None,
                    message_count: 1,
                }))
            });
        self
    }
}

/// The tenant's (default) business number in these tests.
pub(crate) fn business_number() -> PhoneNumberId {
    PhoneNumberId::parse("106540352242922").unwrap()
}

pub(crate) fn connection(tenant_id: TenantId, health: ConnectionHealth) -> Connection {
    Connection {
        tenant_id,
        is_default: true,
        waba_id: WabaId::parse("102290129340398").unwrap(),
        phone_number_id: business_number(),
        display_phone_number: "+1 555-078-3881".to_owned(),
        business_name: "Acme".to_owned(),
        health,
        health_reason: None,
        health_changed_at: NOW,
        verified_at: None,
        throughput_mps: 80,
        quality_rating: None,
        messaging_limit: None,
    }
}

pub(crate) fn customer_phone() -> PhoneNumber {
    PhoneNumber::parse("+972 54 123 4567").unwrap()
}

pub(crate) fn customer() -> CustomerIdentity {
    CustomerIdentity::from_phone(customer_phone())
}

pub(crate) fn text_message(body: &str) -> OutboundMessage {
    OutboundMessage {
        recipient: Recipient::Phone(customer_phone()),
        content: OutboundContent::Text(Text::new(body, false).unwrap()),
        reply_to: None,
    }
}

/// A window the customer opened an hour ago.
pub(crate) fn open_window() -> Window {
    Window::opened_by(NOW - time::Duration::hours(1))
}

/// A window that closed a day ago.
pub(crate) fn closed_window() -> Window {
    Window::opened_by(NOW - time::Duration::hours(48))
}
