//! `whatsapp_messages` rows and [`StoredMessage`], and the columns a message's content fills.
//!
//! The `content` column holds the content in wa's canonical JSON form (the domain's serde),
//! the source of truth for every message type. A few of its fields are copied into their own
//! columns (media id and metadata, template name, reaction target, raw payload of unknown
//! inbound types and of the outbound passthrough) so they can be queried without parsing JSON;
//! those copies are never read back.

use wa_domain::{
    content::{OutboundContent, RawKind},
    ids::{MessageId, TenantId, WaMessageId},
    inbound::{InboundContent, InboundMedia},
    message::{Direction, MessageBody, MessageFailure, Pricing, StoredMessage, parse_error_class},
    ports::StoreError,
    status::{Lifecycle, MessageStatus, StatusTimestamps},
};

use crate::{convert::conversation::identity, entity::whatsapp_message, error::corrupt};

const TABLE: &str = "whatsapp_messages";

/// Stored name of a direction.
pub(crate) fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

/// The columns copied out of a message's content.
#[derive(Debug, Default)]
pub(crate) struct ContentColumns {
    pub(crate) media_id: Option<String>,
    pub(crate) template_name: Option<String>,
    pub(crate) mime_type: Option<String>,
    pub(crate) sha256: Option<String>,
    pub(crate) caption: Option<String>,
    pub(crate) filename: Option<String>,
    pub(crate) raw_payload: Option<String>,
    pub(crate) reaction_message_id: Option<String>,
    pub(crate) reaction_emoji: Option<String>,
}

impl ContentColumns {
    /// What an outbound message's content fills.
    pub(crate) fn outbound(content: &OutboundContent) -> Self {
        let media = |source: &wa_domain::content::MediaSource| {
            source.media_id().map(|id| id.as_str().to_owned())
        };
        let owned = |text: Option<&str>| text.map(str::to_owned);
        match content {
            OutboundContent::Image(image) => Self {
                media_id: media(image.source()),
                caption: owned(image.caption()),
                ..Self::default()
            },
            OutboundContent::Video(video) => Self {
                media_id: media(video.source()),
                caption: owned(video.caption()),
                ..Self::default()
            },
            OutboundContent::Audio(audio) => Self {
                media_id: media(audio.source()),
                ..Self::default()
            },
            OutboundContent::Document(document) => Self {
                media_id: media(document.source()),
                caption: owned(document.caption()),
                filename: owned(document.filename()),
                ..Self::default()
            },
            OutboundContent::Sticker(sticker) => Self {
                media_id: media(sticker.source()),
                ..Self::default()
            },
            OutboundContent::Template(template) => Self {
                template_name: Some(template.name().as_str().to_owned()),
                ..Self::default()
            },
            // The passthrough keeps its object in `raw_payload` too: the record says it is raw.
            OutboundContent::Raw(raw) => Self {
                template_name: match raw.kind() {
                    RawKind::Template => raw
                        .object()
                        .get("name")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned),
                    RawKind::Interactive => None,
                },
                raw_payload: serde_json::to_string(raw.object()).ok(),
                ..Self::default()
            },
            OutboundContent::Reaction(reaction) => Self {
                reaction_message_id: Some(reaction.message_id().as_str().to_owned()),
                reaction_emoji: owned(reaction.emoji()),
                ..Self::default()
            },
            OutboundContent::Text(_)
            | OutboundContent::Location(_)
            | OutboundContent::Contacts(_)
            | OutboundContent::Interactive(_) => Self::default(),
        }
    }

    /// What an inbound message's content fills.
    pub(crate) fn inbound(content: &InboundContent) -> Self {
        let media = |media: &InboundMedia| Self {
            media_id: Some(media.id.clone()),
            mime_type: media.mime_type.clone(),
            sha256: media.sha256.clone(),
            caption: media.caption.clone(),
            filename: media.filename.clone(),
            ..Self::default()
        };
        match content {
            InboundContent::Image(m)
            | InboundContent::Video(m)
            | InboundContent::Audio(m)
            | InboundContent::Document(m)
            | InboundContent::Sticker(m) => media(m),
            InboundContent::Reaction { message_id, emoji } => Self {
                reaction_message_id: Some(message_id.as_str().to_owned()),
                reaction_emoji: emoji.clone(),
                ..Self::default()
            },
            InboundContent::Unknown { raw_json, .. } => Self {
                raw_payload: Some(raw_json.clone()),
                ..Self::default()
            },
            InboundContent::Text { .. }
            | InboundContent::Location(_)
            | InboundContent::Contacts { .. }
            | InboundContent::ButtonReply { .. }
            | InboundContent::ListReply { .. }
            | InboundContent::FlowReply { .. }
            | InboundContent::CallPermissionReply(_)
            | InboundContent::Button { .. }
            | InboundContent::Order(_)
            | InboundContent::System { .. }
            | InboundContent::Unsupported { .. } => Self::default(),
        }
    }
}

/// The content's canonical JSON.
pub(crate) fn content_json<T: serde::Serialize>(content: &T) -> Result<String, StoreError> {
    serde_json::to_string(content).map_err(|e| StoreError::Other(Box::new(e)))
}

/// The domain message of a row.
pub(crate) fn to_domain(row: whatsapp_message::Model) -> Result<StoredMessage, StoreError> {
    let id = MessageId::from_uuid(row.id).map_err(|e| corrupt(TABLE, e))?;
    let (body, phone) = match row.direction.as_str() {
        "outbound" => (
            MessageBody::Outbound(
                serde_json::from_str(&row.content).map_err(|e| corrupt(TABLE, e))?,
            ),
            row.recipient_phone,
        ),
        "inbound" => (
            MessageBody::Inbound(
                serde_json::from_str(&row.content).map_err(|e| corrupt(TABLE, e))?,
            ),
            row.sender_phone,
        ),
        other => return Err(corrupt(TABLE, format!("unknown direction `{other}`"))),
    };
    let status: MessageStatus = row.status.parse().map_err(|e| corrupt(TABLE, e))?;
    let failure = match row.error_class {
        Some(class) => Some(MessageFailure {
            class: parse_error_class(&class)
                .ok_or_else(|| corrupt(TABLE, format!("unknown error class `{class}`")))?,
            code: row.error_code.and_then(|code| code.parse().ok()),
            title: row.error_title.unwrap_or_default(),
            details: row.error_details,
            fbtrace_id: row.fbtrace_id,
        }),
        None => None,
    };
    let has_pricing = row.billable.is_some()
        || row.pricing_model.is_some()
        || row.pricing_category.is_some()
        || row.pricing_type.is_some();
    let pricing = has_pricing.then_some(Pricing {
        billable: row.billable,
        pricing_model: row.pricing_model,
        category: row.pricing_category,
        pricing_type: row.pricing_type,
    });
    Ok(StoredMessage {
        id,
        tenant_id: TenantId::from_uuid(row.tenant_id),
        phone_number_id: super::conversation::business_number(TABLE, row.phone_number_id)?,
        wamid: row
            .wa_message_id
            .map(WaMessageId::parse)
            .transpose()
            .map_err(|e| corrupt(TABLE, e))?,
        customer: identity(TABLE, row.customer_bsuid, phone)?,
        body,
        reply_to: row
            .reply_to_wamid
            .map(WaMessageId::parse)
            .transpose()
            .map_err(|e| corrupt(TABLE, e))?,
        lifecycle: Lifecycle {
            status,
            timestamps: StatusTimestamps {
                accepted_at: row.accepted_at,
                sent_at: row.sent_at,
                delivered_at: row.delivered_at,
                read_at: row.read_at,
                played_at: row.played_at,
                failed_at: row.failed_at,
            },
        },
        failure,
        pricing,
        idempotency_key: row.idempotency_key,
        attempts: u32::try_from(row.attempts).map_err(|e| corrupt(TABLE, e))?,
        created_at: row.created_at,
    })
}
