//! Request bodies of the Graph calls that send JSON (cloud-api.md §1, §1.4, §6): borrowed views
//! of the domain's values, serialised straight into the request buffer.

use serde::{
    Serialize, Serializer,
    ser::{SerializeMap, SerializeStruct},
};
use serde_json::value::RawValue;
use wa_domain::ids::{Bsuid, PhoneNumber, Recipient};

/// `POST /{phone_number_id}/messages` for any message type.
///
/// Meta names the content object after the type (`"type": "text", "text": {...}`), a shape
/// serde's derive cannot express, so it is written by hand.
#[derive(Debug)]
pub(crate) struct SendMessage<'a> {
    /// Whom to send to.
    pub(crate) to: Addressee<'a>,
    /// The wamid this message replies to (`context.message_id`).
    pub(crate) context: Option<&'a str>,
    /// `biz_opaque_callback_data`: echoed in every status webhook of this message.
    pub(crate) callback: Option<&'a str>,
    /// The content.
    pub(crate) payload: Payload<'a>,
}

/// `to` (a phone number) or `recipient` (a business-scoped user id).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Addressee<'a> {
    /// Sent as `"to": "+<digits>"`.
    Phone(&'a PhoneNumber),
    /// Sent as `"recipient": "<BSUID>"`.
    User(&'a Bsuid),
}

impl<'a> From<&'a Recipient> for Addressee<'a> {
    fn from(recipient: &'a Recipient) -> Self {
        match recipient {
            Recipient::Phone(phone) => Self::Phone(phone),
            Recipient::User(bsuid) => Self::User(bsuid),
        }
    }
}

/// `{"message_id": ...}`.
#[derive(Serialize)]
struct ContextOut<'a> {
    message_id: &'a str,
}

impl SendMessage<'_> {
    /// Writes the body as JSON into `out`.
    ///
    /// The envelope is written by hand: its keys are constants, a phone number is digits only
    /// and the callback is a UUID, so only the values that may need escaping (a BSUID, the
    /// replied wamid, the callback, the content) go through `serde_json`. This is the hot path
    /// of every send, and the serialiser's per-key machinery was a visible part of its cost.
    ///
    /// # Errors
    /// When `serde_json` fails on the content (it does not for the types used here).
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(br#"{"messaging_product":"whatsapp","recipient_type":"individual","#);
        match self.to {
            Addressee::Phone(phone) => {
                out.extend_from_slice(br#""to":"#);
                write_plus_digits(out, phone.as_str())?;
            }
            Addressee::User(bsuid) => {
                out.extend_from_slice(br#""recipient":"#);
                write_str(out, bsuid.as_str())?;
            }
        }
        if let Some(message_id) = self.context {
            out.extend_from_slice(br#","context":"#);
            serde_json::to_writer(&mut *out, &ContextOut { message_id })?;
        }
        if let Some(callback) = self.callback {
            out.extend_from_slice(br#","biz_opaque_callback_data":"#);
            write_str(out, callback)?;
        }
        let kind = self.payload.kind();
        out.extend_from_slice(br#","type":"#);
        write_str(out, kind)?;
        // The content object's key is its type.
        out.push(b',');
        write_str(out, kind)?;
        out.push(b':');
        let writer = &mut *out;
        match &self.payload {
            Payload::Text(text) => serde_json::to_writer(writer, text)?,
            Payload::Media(_, media) => serde_json::to_writer(writer, media)?,
            Payload::Location(location) => serde_json::to_writer(writer, location)?,
            Payload::Contacts(cards) => serde_json::to_writer(writer, cards)?,
            Payload::Reaction(reaction) => serde_json::to_writer(writer, reaction)?,
            Payload::Interactive(interactive) => serde_json::to_writer(writer, interactive)?,
            Payload::Template(template) => serde_json::to_writer(writer, template)?,
            Payload::Raw(_, object) => serde_json::to_writer(writer, object)?,
        }
        out.push(b'}');
        Ok(())
    }
}

/// Whether `text` can be written between quotes as it is: no quote, backslash or control
/// character (non-ASCII UTF-8 is valid JSON as it is).
fn plain(text: &str) -> bool {
    text.bytes()
        .all(|byte| byte >= 0x20 && byte != b'"' && byte != b'\\')
}

/// A JSON string: copied between quotes when [`plain`], escaped by `serde_json` otherwise.
fn write_str(out: &mut Vec<u8>, text: &str) -> serde_json::Result<()> {
    if plain(text) {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(out, text)
    }
}

/// A phone number written as `"+<digits>"`. Meta recommends the `+`: without it Meta may
/// prepend the business number's country code.
fn write_plus_digits(out: &mut Vec<u8>, digits: &str) -> serde_json::Result<()> {
    if plain(digits) {
        out.extend_from_slice(b"\"+");
        out.extend_from_slice(digits.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(out, &format!("+{digits}"))
    }
}

/// The content of a send, one variant per Meta message type.
#[derive(Debug)]
pub(crate) enum Payload<'a> {
    /// `text`.
    Text(TextPayload<'a>),
    /// `image`, `video`, `audio`, `document`, `sticker`.
    Media(MediaKind, MediaPayload<'a>),
    /// `location`.
    Location(LocationPayload<'a>),
    /// `contacts`.
    Contacts(Vec<ContactCardPayload<'a>>),
    /// `reaction`.
    Reaction(ReactionPayload<'a>),
    /// `interactive`.
    Interactive(InteractivePayload<'a>),
    /// `template`.
    Template(TemplatePayload<'a>),
    /// `interactive` or `template` given whole by the tenant (the passthrough), sent as is.
    Raw(&'static str, &'a serde_json::Map<String, serde_json::Value>),
}

impl Payload<'_> {
    /// Meta's `type`, which is also the key of the content object.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Media(kind, _) => kind.as_str(),
            Self::Location(_) => "location",
            Self::Contacts(_) => "contacts",
            Self::Reaction(_) => "reaction",
            Self::Interactive(_) => "interactive",
            Self::Template(_) => "template",
            Self::Raw(kind, _) => kind,
        }
    }
}

/// Which media message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl MediaKind {
    /// Meta's name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
        }
    }
}

/// `text`.
#[derive(Debug, Serialize)]
pub(crate) struct TextPayload<'a> {
    /// Whether to render a preview of the first link.
    pub(crate) preview_url: bool,
    /// The text.
    pub(crate) body: &'a str,
}

/// Where a media file comes from: an uploaded id or an HTTPS link.
#[derive(Debug, Clone, Copy)]
pub(crate) enum MediaRef<'a> {
    /// `"id": ...`.
    Id(&'a str),
    /// `"link": ...`.
    Link(&'a str),
}

/// `image`, `video`, `audio`, `document`, `sticker`, and media headers and parameters.
#[derive(Debug)]
pub(crate) struct MediaPayload<'a> {
    /// The file.
    pub(crate) source: MediaRef<'a>,
    /// Caption (image, video, document).
    pub(crate) caption: Option<&'a str>,
    /// File name (document).
    pub(crate) filename: Option<&'a str>,
}

impl Serialize for MediaPayload<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self.source {
            MediaRef::Id(id) => map.serialize_entry("id", id)?,
            MediaRef::Link(link) => map.serialize_entry("link", link)?,
        }
        if let Some(caption) = self.caption {
            map.serialize_entry("caption", caption)?;
        }
        if let Some(filename) = self.filename {
            map.serialize_entry("filename", filename)?;
        }
        map.end()
    }
}

/// `location`.
#[derive(Debug, Serialize)]
pub(crate) struct LocationPayload<'a> {
    /// Latitude.
    pub(crate) latitude: f64,
    /// Longitude.
    pub(crate) longitude: f64,
    /// Place name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<&'a str>,
    /// Address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) address: Option<&'a str>,
}

/// `reaction`; an empty emoji removes the reaction.
#[derive(Debug, Serialize)]
pub(crate) struct ReactionPayload<'a> {
    /// The message reacted to.
    pub(crate) message_id: &'a str,
    /// The emoji.
    pub(crate) emoji: &'a str,
}

/// One contact card.
#[derive(Debug, Serialize)]
pub(crate) struct ContactCardPayload<'a> {
    /// Names; `formatted_name` is required.
    pub(crate) name: ContactNamePayload<'a>,
    /// Phones.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) phones: Vec<ContactPhonePayload<'a>>,
    /// E-mails.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) emails: Vec<TypedValuePayload<'a>>,
    /// URLs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) urls: Vec<TypedValuePayload<'a>>,
    /// Addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) addresses: Vec<ContactAddressPayload<'a>>,
    /// Organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) org: Option<ContactOrgPayload<'a>>,
    /// `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) birthday: Option<&'a str>,
}

/// A contact card's names.
#[derive(Debug, Serialize)]
pub(crate) struct ContactNamePayload<'a> {
    /// The full name as shown.
    pub(crate) formatted_name: &'a str,
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) first_name: Option<&'a str>,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_name: Option<&'a str>,
    /// Middle name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) middle_name: Option<&'a str>,
    /// Prefix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) prefix: Option<&'a str>,
    /// Suffix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) suffix: Option<&'a str>,
}

/// A contact card's phone.
#[derive(Debug, Serialize)]
pub(crate) struct ContactPhonePayload<'a> {
    /// The number.
    pub(crate) phone: &'a str,
    /// `CELL`, `HOME`, `WORK`, ...
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<&'a str>,
    /// The WhatsApp id, to show a "message" button.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) wa_id: Option<&'a str>,
}

/// A contact card's e-mail (`email`) or URL (`url`) with its type.
#[derive(Debug)]
pub(crate) struct TypedValuePayload<'a> {
    /// `email` or `url`.
    pub(crate) key: &'static str,
    /// The value.
    pub(crate) value: &'a str,
    /// `HOME`, `WORK`.
    pub(crate) kind: Option<&'a str>,
}

impl Serialize for TypedValuePayload<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(self.key, self.value)?;
        if let Some(kind) = self.kind {
            map.serialize_entry("type", kind)?;
        }
        map.end()
    }
}

/// A contact card's address.
#[derive(Debug, Serialize)]
pub(crate) struct ContactAddressPayload<'a> {
    /// Street.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) street: Option<&'a str>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) city: Option<&'a str>,
    /// State.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state: Option<&'a str>,
    /// ZIP code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) zip: Option<&'a str>,
    /// Country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) country: Option<&'a str>,
    /// Two-letter country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) country_code: Option<&'a str>,
    /// `HOME`, `WORK`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<&'a str>,
}

/// A contact card's organisation.
#[derive(Debug, Serialize)]
pub(crate) struct ContactOrgPayload<'a> {
    /// Company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) company: Option<&'a str>,
    /// Department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) department: Option<&'a str>,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<&'a str>,
}

/// `interactive`: reply buttons, a list, a call-to-action URL button, a Flow.
#[derive(Debug, Serialize)]
pub(crate) struct InteractivePayload<'a> {
    /// `button`, `list`, `cta_url`, `flow`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    /// Header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) header: Option<HeaderPayload<'a>>,
    /// Body text.
    pub(crate) body: TextOnly<'a>,
    /// Footer text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) footer: Option<TextOnly<'a>>,
    /// What the user can do.
    pub(crate) action: ActionPayload<'a>,
}

/// `{"text": ...}`.
#[derive(Debug, Serialize)]
pub(crate) struct TextOnly<'a> {
    /// The text.
    pub(crate) text: &'a str,
}

/// An interactive message's header.
#[derive(Debug)]
pub(crate) enum HeaderPayload<'a> {
    /// `{"type": "text", "text": ...}`.
    Text(&'a str),
    /// `{"type": "image"|"video"|"document", "<type>": {...}}`.
    Media(MediaKind, MediaPayload<'a>),
}

impl Serialize for HeaderPayload<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        match self {
            Self::Text(text) => {
                map.serialize_entry("type", "text")?;
                map.serialize_entry("text", text)?;
            }
            Self::Media(kind, media) => {
                map.serialize_entry("type", kind.as_str())?;
                map.serialize_entry(kind.as_str(), media)?;
            }
        }
        map.end()
    }
}

/// An interactive message's `action`.
#[derive(Debug)]
pub(crate) enum ActionPayload<'a> {
    /// `{"buttons": [{"type": "reply", "reply": {"id", "title"}}]}`.
    Buttons(Vec<(&'a str, &'a str)>),
    /// `{"button": ..., "sections": [...]}`.
    List {
        /// The button that opens the list.
        button: &'a str,
        /// The sections.
        sections: Vec<SectionPayload<'a>>,
    },
    /// `{"name": "cta_url", "parameters": {"display_text", "url"}}`.
    CtaUrl {
        /// The button text.
        display_text: &'a str,
        /// Where it leads.
        url: &'a str,
    },
    /// `{"name": "flow", "parameters": {"flow_message_version": "3", ...}}`.
    Flow(FlowParametersPayload<'a>),
    /// `{"name": ...}` alone: `send_location`, `call_permission_request`.
    Named(&'static str),
}

/// The `parameters` of a Flow message's action, in the order of Meta's examples.
#[derive(Debug, Serialize)]
pub(crate) struct FlowParametersPayload<'a> {
    /// Always `"3"`.
    pub(crate) flow_message_version: &'static str,
    /// Our token, echoed in the replies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) flow_token: Option<&'a str>,
    /// The Flow by id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) flow_id: Option<&'a str>,
    /// The Flow by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) flow_name: Option<&'a str>,
    /// The button's label.
    pub(crate) flow_cta: &'a str,
    /// `draft`; absent for a published Flow (Meta's default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mode: Option<&'static str>,
    /// `navigate` or `data_exchange`.
    pub(crate) flow_action: &'static str,
    /// The first screen and its data (`navigate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) flow_action_payload: Option<FlowActionPayload<'a>>,
}

/// `{"screen"?, "data"?}`.
#[derive(Debug, Serialize)]
pub(crate) struct FlowActionPayload<'a> {
    /// The first screen's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) screen: Option<&'a str>,
    /// Its input data, embedded as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) data: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

impl Serialize for ActionPayload<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Reply<'a> {
            id: &'a str,
            title: &'a str,
        }
        #[derive(Serialize)]
        struct ReplyButton<'a> {
            #[serde(rename = "type")]
            kind: &'static str,
            reply: Reply<'a>,
        }
        #[derive(Serialize)]
        struct CtaParameters<'a> {
            display_text: &'a str,
            url: &'a str,
        }
        match self {
            Self::Buttons(buttons) => {
                let buttons: Vec<_> = buttons
                    .iter()
                    .map(|&(id, title)| ReplyButton {
                        kind: "reply",
                        reply: Reply { id, title },
                    })
                    .collect();
                let mut action = serializer.serialize_struct("Action", 1)?;
                action.serialize_field("buttons", &buttons)?;
                action.end()
            }
            Self::List { button, sections } => {
                let mut action = serializer.serialize_struct("Action", 2)?;
                action.serialize_field("button", button)?;
                action.serialize_field("sections", sections)?;
                action.end()
            }
            Self::CtaUrl { display_text, url } => {
                let mut action = serializer.serialize_struct("Action", 2)?;
                action.serialize_field("name", "cta_url")?;
                action.serialize_field("parameters", &CtaParameters { display_text, url })?;
                action.end()
            }
            Self::Named(name) => {
                let mut action = serializer.serialize_struct("Action", 1)?;
                action.serialize_field("name", name)?;
                action.end()
            }
            Self::Flow(parameters) => {
                let mut action = serializer.serialize_struct("Action", 2)?;
                action.serialize_field("name", "flow")?;
                action.serialize_field("parameters", parameters)?;
                action.end()
            }
        }
    }
}

/// A list section.
#[derive(Debug, Serialize)]
pub(crate) struct SectionPayload<'a> {
    /// Its title (required when there are several sections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<&'a str>,
    /// Its rows.
    pub(crate) rows: Vec<RowPayload<'a>>,
}

/// A list row.
#[derive(Debug, Serialize)]
pub(crate) struct RowPayload<'a> {
    /// Our id, echoed in the reply.
    pub(crate) id: &'a str,
    /// Its title.
    pub(crate) title: &'a str,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<&'a str>,
}

/// `template`.
#[derive(Debug, Serialize)]
pub(crate) struct TemplatePayload<'a> {
    /// The template's name.
    pub(crate) name: &'a str,
    /// Its language.
    pub(crate) language: LanguagePayload<'a>,
    /// Parameters of the header, body and buttons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) components: Vec<ComponentPayload<'a>>,
}

/// `{"policy": "deterministic", "code": ...}`.
#[derive(Debug, Serialize)]
pub(crate) struct LanguagePayload<'a> {
    /// Meta's only policy: use exactly this language.
    pub(crate) policy: &'static str,
    /// `en_US`, `pt_BR`, ...
    pub(crate) code: &'a str,
}

/// A template component with its parameters.
#[derive(Debug)]
pub(crate) enum ComponentPayload<'a> {
    /// `{"type": "header", "parameters": [...]}`.
    Header(Vec<ParameterPayload<'a>>),
    /// `{"type": "body", "parameters": [...]}`.
    Body(Vec<ParameterPayload<'a>>),
    /// `{"type": "button", "sub_type": ..., "index": "0", "parameters": [...]}`.
    Button {
        /// `quick_reply`, `url`, `copy_code`, `flow`, ...
        sub_type: &'a str,
        /// The button's position, 0-based.
        index: u8,
        /// Its parameters.
        parameters: Vec<ParameterPayload<'a>>,
    },
}

impl Serialize for ComponentPayload<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self {
            Self::Header(parameters) => {
                map.serialize_entry("type", "header")?;
                map.serialize_entry("parameters", parameters)?;
            }
            Self::Body(parameters) => {
                map.serialize_entry("type", "body")?;
                map.serialize_entry("parameters", parameters)?;
            }
            Self::Button {
                sub_type,
                index,
                parameters,
            } => {
                map.serialize_entry("type", "button")?;
                map.serialize_entry("sub_type", sub_type)?;
                // Meta documents the index as a string.
                map.serialize_entry("index", &index.to_string())?;
                map.serialize_entry("parameters", parameters)?;
            }
        }
        map.end()
    }
}

/// A template parameter.
#[derive(Debug)]
pub(crate) enum ParameterPayload<'a> {
    /// `{"type": "text", "text": ..., "parameter_name"?: ...}`.
    Text {
        /// The value.
        text: &'a str,
        /// For templates with named parameters.
        name: Option<&'a str>,
    },
    /// `{"type": "currency", "currency": {"fallback_value", "code", "amount_1000"}}`.
    Currency {
        /// Shown when the amount cannot be localised.
        fallback_value: &'a str,
        /// ISO 4217 code.
        code: &'a str,
        /// The amount times 1000.
        amount_1000: i64,
        /// For templates with named parameters.
        name: Option<&'a str>,
    },
    /// `{"type": "date_time", "date_time": {"fallback_value"}}`.
    DateTime {
        /// The text shown.
        fallback_value: &'a str,
        /// For templates with named parameters.
        name: Option<&'a str>,
    },
    /// `{"type": "image"|"video"|"document", "<type>": {...}}`.
    Media(MediaKind, MediaPayload<'a>),
    /// `{"type": "payload", "payload": ...}` (quick-reply buttons).
    Payload(&'a str),
    /// `{"type": "coupon_code", "coupon_code": ...}` (copy-code buttons).
    CouponCode(&'a str),
    /// `{"type": "location", "location": {...}}` (location headers).
    Location(LocationPayload<'a>),
    /// `{"type": "action", "action": {"flow_token"?, "flow_action_data"?}}` (flow buttons).
    FlowAction {
        /// Our token, echoed in the Flow's replies.
        flow_token: Option<&'a str>,
        /// Data for the Flow's first screen, a JSON object embedded as is.
        flow_action_data: Option<&'a RawValue>,
    },
}

impl Serialize for ParameterPayload<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct CurrencyOut<'a> {
            fallback_value: &'a str,
            code: &'a str,
            amount_1000: i64,
        }
        #[derive(Serialize)]
        struct DateTimeOut<'a> {
            fallback_value: &'a str,
        }
        let mut map = serializer.serialize_map(None)?;
        let name = match self {
            Self::Text { text, name } => {
                map.serialize_entry("type", "text")?;
                map.serialize_entry("text", text)?;
                *name
            }
            Self::Currency {
                fallback_value,
                code,
                amount_1000,
                name,
            } => {
                map.serialize_entry("type", "currency")?;
                map.serialize_entry(
                    "currency",
                    &CurrencyOut {
                        fallback_value,
                        code,
                        amount_1000: *amount_1000,
                    },
                )?;
                *name
            }
            Self::DateTime {
                fallback_value,
                name,
            } => {
                map.serialize_entry("type", "date_time")?;
                map.serialize_entry("date_time", &DateTimeOut { fallback_value })?;
                *name
            }
            Self::Media(kind, media) => {
                map.serialize_entry("type", kind.as_str())?;
                map.serialize_entry(kind.as_str(), media)?;
                None
            }
            Self::Payload(payload) => {
                map.serialize_entry("type", "payload")?;
                map.serialize_entry("payload", payload)?;
                None
            }
            Self::CouponCode(code) => {
                map.serialize_entry("type", "coupon_code")?;
                map.serialize_entry("coupon_code", code)?;
                None
            }
            Self::Location(location) => {
                map.serialize_entry("type", "location")?;
                map.serialize_entry("location", location)?;
                None
            }
            Self::FlowAction {
                flow_token,
                flow_action_data,
            } => {
                #[derive(Serialize)]
                struct ActionOut<'a> {
                    #[serde(skip_serializing_if = "Option::is_none")]
                    flow_token: Option<&'a str>,
                    #[serde(skip_serializing_if = "Option::is_none")]
                    flow_action_data: Option<&'a RawValue>,
                }
                map.serialize_entry("type", "action")?;
                map.serialize_entry(
                    "action",
                    &ActionOut {
                        flow_token: *flow_token,
                        flow_action_data: *flow_action_data,
                    },
                )?;
                None
            }
        };
        if let Some(name) = name {
            map.serialize_entry("parameter_name", name)?;
        }
        map.end()
    }
}

/// `POST /{phone_number_id}/messages` marking a message read.
#[derive(Debug, Serialize)]
pub(crate) struct MarkReadBody<'a> {
    /// Always `whatsapp`.
    pub(crate) messaging_product: &'static str,
    /// Always `read`.
    pub(crate) status: &'static str,
    /// The customer's message.
    pub(crate) message_id: &'a str,
    /// `{"type": "text"}` to show "typing…".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) typing_indicator: Option<TypingIndicator>,
}

/// `{"type": "text"}`.
#[derive(Debug, Serialize)]
pub(crate) struct TypingIndicator {
    /// Always `text`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
}

/// `POST /{phone_number_id}/register`.
#[derive(Serialize)]
pub(crate) struct RegisterBody<'a> {
    /// Always `whatsapp`.
    pub(crate) messaging_product: &'static str,
    /// The number's two-step verification PIN (six digits).
    pub(crate) pin: &'a str,
}
