//! The API's JSON shapes, kept apart from domain types (the API is a contract; the domain may change).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;
use wa_domain::{
    connection::Connection,
    conversation::Conversation,
    message::{MessageBody, StoredMessage},
    status::MessageStatus,
    tenant::Tenant,
    usecase::window::WindowState,
};

/// `POST /v1/tenants`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTenant {
    /// A name for people, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

/// A tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantView {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Disabled tenants cannot send.
    pub enabled: bool,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Tenant> for TenantView {
    fn from(tenant: Tenant) -> Self {
        Self {
            id: tenant.id.as_uuid(),
            name: tenant.name,
            enabled: tenant.enabled,
            created_at: tenant.created_at,
        }
    }
}

/// A tenant just created, with its first API key (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTenant {
    /// The tenant.
    #[serde(flatten)]
    pub tenant: TenantView,
    /// An API key for this tenant. It is not stored and cannot be shown again.
    pub api_key: String,
}

/// A new API key (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key. It is not stored and cannot be shown again.
    pub api_key: String,
    /// Its first characters, to recognise it later.
    pub prefix: String,
}

/// A page of tenants.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantList {
    /// The tenants.
    pub items: Vec<TenantView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<Uuid>,
}

/// `PUT /v1/tenants/{id}/connection`.
#[derive(Deserialize, ToSchema)]
pub struct ConnectBody {
    /// The WhatsApp Business Account id.
    pub waba_id: String,
    /// The business number's id.
    pub phone_number_id: String,
    /// The number as people read it.
    pub display_phone_number: String,
    /// The business name.
    pub business_name: String,
    /// The business integration system user's access token; stored encrypted, never returned.
    pub access_token: String,
}

/// A tenant's WhatsApp connection.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionView {
    /// The WhatsApp Business Account id.
    pub waba_id: String,
    /// The business number's id.
    pub phone_number_id: String,
    /// Whether sends that name no `from` go from this number (one per tenant).
    pub is_default: bool,
    /// The number as people read it.
    pub display_phone_number: String,
    /// The business name.
    pub business_name: String,
    /// `pending`, `active`, `disconnected` or `invalid`.
    pub health: String,
    /// Why it is not active.
    pub health_reason: Option<String>,
    /// Since when it has this health.
    #[serde(with = "time::serde::rfc3339")]
    pub health_changed_at: OffsetDateTime,
    /// When Meta last confirmed it works.
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
    /// Messages per second Meta allows the number.
    pub throughput_mps: u32,
    /// Meta's quality rating.
    pub quality_rating: Option<String>,
    /// Meta's messaging limit tier.
    pub messaging_limit: Option<String>,
}

impl From<Connection> for ConnectionView {
    fn from(c: Connection) -> Self {
        Self {
            waba_id: c.waba_id.to_string(),
            phone_number_id: c.phone_number_id.to_string(),
            is_default: c.is_default,
            display_phone_number: c.display_phone_number,
            business_name: c.business_name,
            health: c.health.as_str().to_owned(),
            health_reason: c.health_reason,
            health_changed_at: c.health_changed_at,
            verified_at: c.verified_at,
            throughput_mps: c.throughput_mps,
            quality_rating: c.quality_rating,
            messaging_limit: c.messaging_limit,
        }
    }
}

/// `POST /v1/tenants/{id}/messages`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SendBody {
    /// The customer: a phone number with country code (`+972 54-123-4567`) or a BSUID (`US.123…`).
    pub to: String,
    /// The content, tagged by `type`: `text`, `image`, `video`, `audio`, `document`, `sticker`,
    /// `location`, `contacts`, `reaction`, `template`, and `interactive` with a `kind`
    /// (`button`, `list`, `cta_url`, `flow`, `location_request`,
    /// `call_permission_request`). Each is checked against Meta's
    /// limits and a refusal names the field (`interactive.action.parameters.flow_cta`).
    /// `{"type": "raw", "kind": "interactive" | "template", "object": {...}}` is the passthrough:
    /// Meta's object as is, which wa CANNOT validate (only its size, ≤ 64 KiB, the recipient and
    /// the window are checked; Meta judges the rest). The shapes are in `docs/messages.md`.
    #[schema(value_type = Object, example = json!({"type": "interactive", "kind": "flow",
        "body": "Pick a time that suits you.", "flow_id": "1234567890", "flow_cta": "Book",
        "flow_token": "booking-42", "screen": "WELCOME", "data": {"party_size": 2}}))]
    pub content: serde_json::Value,
    /// The wamid of a message to quote.
    pub reply_to: Option<String>,
    /// The business number to send from: its `phone_number_id` or its display number (digits
    /// are compared, so `+1 555-010-0002` and `15550100002` are the same). Without it, the
    /// tenant's default number. Another tenant's number is refused with 422 `unknown_number`,
    /// a number that cannot send with 409 `connection_not_active`.
    pub from: Option<String>,
}

/// The customer of a message or conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    /// The phone number (digits, with country code), when known.
    pub phone: Option<String>,
    /// The business-scoped user id, when known.
    pub user_id: Option<String>,
}

/// Why a message failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailureView {
    /// `retryable`, `rate_limited`, `auth_invalid`, `window_closed` or `permanent`.
    pub class: String,
    /// Meta's error code.
    pub code: Option<i64>,
    /// Meta's title or our description.
    pub title: String,
    /// Meta's details.
    pub details: Option<String>,
    /// Meta's trace id, for Meta's support.
    pub fbtrace_id: Option<String>,
}

/// When a message reached each state.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimestampsView {
    #[serde(with = "time::serde::rfc3339::option")]
    accepted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    sent_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    delivered_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    read_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    played_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    failed_at: Option<OffsetDateTime>,
}

/// What Meta charges.
#[derive(Debug, Serialize, ToSchema)]
pub struct PricingView {
    /// Whether it is billed.
    pub billable: Option<bool>,
    /// `PMP`.
    pub pricing_model: Option<String>,
    /// `marketing`, `utility`, `authentication`, `service`, ...
    pub category: Option<String>,
    /// `regular`, `free_customer_service`, `free_entry_point`.
    #[serde(rename = "type")]
    pub pricing_type: Option<String>,
}

/// A message, in or out.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// Our id.
    pub id: Uuid,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// The message type.
    #[serde(rename = "type")]
    pub kind: String,
    /// `pending`, `accepted`, `sent`, `delivered`, `read`, `played` or `failed`.
    pub status: String,
    /// Meta's id, once known.
    pub wamid: Option<String>,
    /// The tenant's business number it was sent from (outbound) or reached (inbound).
    pub phone_number_id: String,
    /// The customer.
    pub customer: CustomerView,
    /// The content.
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    /// The quoted message.
    pub reply_to: Option<String>,
    /// True when the content is the passthrough (`"type": "raw"`): Meta's object as the tenant
    /// gave it, which wa forwarded without validating.
    pub raw: bool,
    /// When it reached each state.
    pub timestamps: TimestampsView,
    /// Why it failed.
    pub error: Option<FailureView>,
    /// What Meta charges for it.
    pub pricing: Option<PricingView>,
    /// Send attempts so far.
    pub attempts: u32,
    /// When it was stored.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<StoredMessage> for MessageView {
    fn from(m: StoredMessage) -> Self {
        let raw = matches!(&m.body, MessageBody::Outbound(content) if content.is_raw());
        let content = match &m.body {
            MessageBody::Outbound(content) => serde_json::to_value(content),
            MessageBody::Inbound(content) => serde_json::to_value(content),
        }
        .unwrap_or(serde_json::Value::Null);
        let t = m.lifecycle.timestamps;
        Self {
            id: m.id.as_uuid(),
            direction: match m.body.direction() {
                wa_domain::message::Direction::Inbound => "inbound",
                wa_domain::message::Direction::Outbound => "outbound",
            }
            .to_owned(),
            kind: m.body.kind().as_str().to_owned(),
            status: status_name(m.lifecycle.status),
            wamid: m.wamid.map(String::from),
            phone_number_id: m.phone_number_id.to_string(),
            customer: CustomerView {
                phone: m.customer.phone().map(ToString::to_string),
                user_id: m.customer.bsuid().map(ToString::to_string),
            },
            content,
            reply_to: m.reply_to.map(String::from),
            raw,
            timestamps: TimestampsView {
                accepted_at: t.accepted_at,
                sent_at: t.sent_at,
                delivered_at: t.delivered_at,
                read_at: t.read_at,
                played_at: t.played_at,
                failed_at: t.failed_at,
            },
            error: m.failure.map(|f| FailureView {
                class: f.class.as_str().to_owned(),
                code: f.code,
                title: f.title,
                details: f.details,
                fbtrace_id: f.fbtrace_id,
            }),
            pricing: m.pricing.map(|p| PricingView {
                billable: p.billable,
                pricing_model: p.pricing_model,
                category: p.category,
                pricing_type: p.pricing_type,
            }),
            attempts: m.attempts,
            created_at: m.created_at,
        }
    }
}

fn status_name(status: MessageStatus) -> String {
    status.as_str().to_owned()
}

/// A page of messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    /// Newest first.
    pub items: Vec<MessageView>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<Uuid>,
}

/// A customer's customer-service window.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowView {
    /// The tenant's business number: Meta keeps a window per number and customer.
    pub phone_number_id: String,
    /// The customer.
    pub customer: CustomerView,
    /// Whether free-form messages may be sent now.
    pub open: bool,
    /// When the customer last wrote.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_inbound_at: Option<OffsetDateTime>,
    /// When the window closes (or closed).
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

impl WindowView {
    /// From a read window.
    pub fn from_state(
        number: &wa_domain::ids::PhoneNumberId,
        customer: &wa_domain::customer::CustomerIdentity,
        state: WindowState,
    ) -> Self {
        Self {
            phone_number_id: number.to_string(),
            customer: CustomerView {
                phone: customer.phone().map(ToString::to_string),
                user_id: customer.bsuid().map(ToString::to_string),
            },
            open: state.open,
            last_inbound_at: state.last_inbound_at,
            expires_at: state.expires_at,
        }
    }

    /// From a conversation, evaluated at `now`.
    pub fn from_conversation(conversation: &Conversation, now: OffsetDateTime) -> Self {
        let window = conversation.window;
        Self {
            phone_number_id: conversation.phone_number_id.to_string(),
            customer: CustomerView {
                phone: conversation.customer.phone().map(ToString::to_string),
                user_id: conversation.customer.bsuid().map(ToString::to_string),
            },
            open: window.is_some_and(|w| w.is_open(now)),
            last_inbound_at: window.map(|w| w.last_inbound_at),
            expires_at: window.map(|w| w.expires_at),
        }
    }
}

/// A page of open windows.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowList {
    /// Soonest to close first.
    pub items: Vec<WindowView>,
    /// Pass as `after` for the next page.
    pub next: Option<Uuid>,
}
