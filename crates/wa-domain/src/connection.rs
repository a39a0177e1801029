//! A tenant's WhatsApp connections: one per business number (a tenant may own several, across
//! one or more WABAs), which account each belongs to, and whether it can send.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{
    ids::{PhoneNumberId, TenantId, WabaId},
    validation::ValidationError,
};

/// Meta's default throughput per business number, in messages per second.
pub const DEFAULT_THROUGHPUT_MPS: u32 = 80;

/// Whether a connection can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionHealth {
    /// Stored, not verified against Meta yet (or verification could not run).
    Pending,
    /// Verified: the token works and the number answers.
    Active,
    /// Meta could not be reached, or the number is not usable right now.
    Disconnected,
    /// The credentials are expired, revoked or lack permission: sending is held until they change.
    Invalid,
}

impl ConnectionHealth {
    /// Stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Disconnected => "disconnected",
            Self::Invalid => "invalid",
        }
    }

    /// Reads a stored name back.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Active,
            Self::Disconnected,
            Self::Invalid,
        ]
        .into_iter()
        .find(|health| health.as_str() == name)
    }
}

/// One business number of a tenant (a tenant may have several; one is its default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// The owner.
    pub tenant_id: TenantId,
    /// Whether a send that names no number goes from this one (one per tenant).
    pub is_default: bool,
    /// The WhatsApp Business Account.
    pub waba_id: WabaId,
    /// The number messages are sent from.
    pub phone_number_id: PhoneNumberId,
    /// The number as people read it.
    pub display_phone_number: String,
    /// The business's (verified) name.
    pub business_name: String,
    /// Whether it can send.
    pub health: ConnectionHealth,
    /// Why it is not active, for people.
    pub health_reason: Option<String>,
    /// When the health last changed.
    pub health_changed_at: OffsetDateTime,
    /// When Meta last confirmed it works.
    pub verified_at: Option<OffsetDateTime>,
    /// The number's throughput in messages per second (80 by default, 1,000 once Meta upgrades it).
    pub throughput_mps: u32,
    /// Meta's quality rating (`GREEN`, `YELLOW`, `RED`, `UNKNOWN`).
    pub quality_rating: Option<String>,
    /// Meta's messaging limit tier.
    pub messaging_limit: Option<String>,
}

/// What a tenant provides to connect: ids and display data (the token goes to the vault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionDetails {
    /// The WhatsApp Business Account.
    pub waba_id: WabaId,
    /// The number to send from.
    pub phone_number_id: PhoneNumberId,
    /// The number as people read it.
    pub display_phone_number: String,
    /// The business name.
    pub business_name: String,
}

impl ConnectionDetails {
    /// Checks the display fields (ids are already valid by type).
    ///
    /// # Errors
    /// `display_phone_number` empty or over 32 characters, `business_name` empty or over 255.
    pub fn new(
        waba_id: WabaId,
        phone_number_id: PhoneNumberId,
        display_phone_number: impl Into<String>,
        business_name: impl Into<String>,
    ) -> Result<Self, ValidationError> {
        use crate::validation::bounded_text;
        Ok(Self {
            waba_id,
            phone_number_id,
            display_phone_number: bounded_text("display_phone_number", display_phone_number, 32)?,
            business_name: bounded_text("business_name", business_name, 255)?,
        })
    }
}

/// What Meta says about a business number (`GET /{phone_number_id}?fields=…`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PhoneNumberInfo {
    /// The number as people read it.
    pub display_phone_number: Option<String>,
    /// The verified business name.
    pub verified_name: Option<String>,
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`.
    pub quality_rating: Option<String>,
    /// Throughput level (`STANDARD`, `HIGH`, ...).
    pub throughput_level: Option<String>,
    /// Messaging limit tier.
    pub messaging_limit: Option<String>,
    /// Display name review status.
    pub name_status: Option<String>,
    /// Verification state of the number.
    pub code_verification_status: Option<String>,
    /// `CLOUD_API`, `ON_PREMISE`, `NOT_APPLICABLE`: whether it is registered on the Cloud API.
    pub platform_type: Option<String>,
}

impl PhoneNumberInfo {
    /// Messages per second Meta allows this number: 1,000 at the `HIGH` level, else 80.
    pub fn throughput_mps(&self) -> u32 {
        match self.throughput_level.as_deref() {
            Some("HIGH") => 1000,
            _ => DEFAULT_THROUGHPUT_MPS,
        }
    }
}

/// Whether `from` names this number: its phone number id, or its display number compared by
/// digits alone (`+1 555-010-0001` and `15550100001` are the same number).
pub fn names_number(connection: &Connection, from: &str) -> bool {
    let from = from.trim();
    if connection.phone_number_id.as_str() == from {
        return true;
    }
    let digits = |text: &str| -> String { text.chars().filter(char::is_ascii_digit).collect() };
    let wanted = digits(from);
    !wanted.is_empty() && digits(&connection.display_phone_number) == wanted
}
