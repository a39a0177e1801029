//! Meta's webhook payloads as they arrive (cloud-api.md §3.2-3.4), borrowed from the body.
//!
//! The item types (`Status`, `Message`, `Contact`, ...) serve both passes of the parse. The
//! envelope types here (`Envelope`, `Entry`, `Change`, `ChangeValue`) are the isolated pass's:
//! the items a batch is made of (`messages[]`, `statuses[]`, `contacts[]`, `errors[]`) are only
//! cut out as raw JSON and parsed one by one afterwards, so a malformed item becomes a per-item
//! problem instead of failing the whole delivery (the fast pass, `webhook::fast`, streams the
//! same item types without these envelope types). Every key we do not model is skipped by serde, and every key of a
//! `value` we do not model is kept as raw JSON ([`ChangeValue::extra`]).

use std::{fmt, marker::PhantomData};

use serde::{
    Deserialize, Deserializer,
    de::{IgnoredAny, MapAccess, Visitor},
};
use serde_json::value::RawValue;

use crate::wire::json::{Flag, Int, Number, Str, UnixTime, open_struct};

/// The body of a webhook POST, its items cut out raw.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub(crate) struct Envelope<'a> {
    /// `whatsapp_business_account` for everything the Cloud API sends.
    #[serde(borrow, default)]
    pub(crate) object: Option<Str<'a>>,
    /// One entry per WhatsApp Business Account.
    #[serde(borrow, default = "Vec::new")]
    pub(crate) entry: Vec<Entry<'a>>,
}

/// The changes of one WhatsApp Business Account.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub(crate) struct Entry<'a> {
    /// The WABA id.
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
    /// What happened.
    #[serde(borrow, default = "Vec::new")]
    pub(crate) changes: Vec<Change<'a>>,
}

/// One change: a `field` (`messages`, `message_template_status_update`, ...) and its value.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
pub(crate) struct Change<'a> {
    /// The subscription field.
    #[serde(borrow, default)]
    pub(crate) field: Option<Str<'a>>,
    /// Its content.
    #[serde(borrow, default)]
    pub(crate) value: Option<ChangeValue<'a>>,
}

/// The items of a list, cut out as raw JSON to be parsed one by one.
#[derive(Debug)]
pub(crate) struct Items<'a, T> {
    raw: Vec<&'a RawValue>,
    item: PhantomData<fn() -> T>,
}

impl<T> Default for Items<'_, T> {
    fn default() -> Self {
        Self {
            raw: Vec::new(),
            item: PhantomData,
        }
    }
}

impl<'a, T: Deserialize<'a>> Items<'a, T> {
    /// How many items there are.
    pub(crate) fn len(&self) -> usize {
        self.raw.len()
    }

    /// Calls `each` with every item's index, the item (or why it could not be read) and its
    /// raw JSON.
    pub(crate) fn for_each(
        self,
        mut each: impl FnMut(usize, Result<T, serde_json::Error>, Option<&'a RawValue>),
    ) {
        for (index, raw) in self.raw.into_iter().enumerate() {
            each(index, serde_json::from_str(raw.get()), Some(raw));
        }
    }

    /// The raw JSON of every item.
    pub(crate) fn raw(&self) -> &[&'a RawValue] {
        &self.raw
    }
}

/// The `value` of a change.
///
/// Meta puts `value` before `field`, so the field is not known while the value is read. Rather
/// than cutting the value out and reading it twice, one visitor reads the keys of the
/// `messages` field into typed slots and keeps every other key as raw JSON; the other fields
/// (template status, account and quality updates) are built from those raw keys afterwards.
#[derive(Debug, Default)]
pub(crate) struct ChangeValue<'a> {
    /// `metadata`, raw: `phone_number_id` and `display_phone_number` (read afterwards, so it can
    /// also be given back byte for byte when the change is not about messages).
    pub(crate) metadata: Option<&'a RawValue>,
    /// The users the messages or statuses are about.
    pub(crate) contacts: Items<'a, Contact<'a>>,
    /// Inbound messages.
    pub(crate) messages: Items<'a, Message<'a>>,
    /// Status updates of outbound messages.
    pub(crate) statuses: Items<'a, Status<'a>>,
    /// Problems not tied to a message.
    pub(crate) errors: Items<'a, WebhookError<'a>>,
    /// Every other key, raw; `messaging_product` is dropped.
    pub(crate) extra: Vec<(Str<'a>, &'a RawValue)>,
}

impl<'de: 'a, 'a> Deserialize<'de> for ChangeValue<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = ChangeValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a change value object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                fn items<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
                    map: &mut A,
                ) -> Result<Items<'de, T>, A::Error> {
                    Ok(Items {
                        raw: map
                            .next_value::<Option<Vec<&'de RawValue>>>()?
                            .unwrap_or_default(),
                        item: PhantomData,
                    })
                }
                let mut value = ChangeValue::default();
                while let Some(key) = map.next_key::<Str<'de>>()? {
                    match key.as_str() {
                        "metadata" => value.metadata = map.next_value()?,
                        "contacts" => value.contacts = items(&mut map)?,
                        "messages" => value.messages = items(&mut map)?,
                        "statuses" => value.statuses = items(&mut map)?,
                        "errors" => value.errors = items(&mut map)?,
                        "messaging_product" => {
                            map.next_value::<IgnoredAny>()?;
                        }
                        _ => {
                            let raw = map.next_value::<&'de RawValue>()?;
                            value.extra.push((key, raw));
                        }
                    }
                }
                Ok(value)
            }
        }
        deserializer.deserialize_map(ValueVisitor)
    }
}

/// The business number a change is about: the tenant routing key.
#[derive(Debug, Deserialize)]
pub(crate) struct Metadata<'a> {
    /// The number as people read it.
    #[serde(borrow, default)]
    pub(crate) display_phone_number: Option<Str<'a>>,
    /// Meta's id of the number.
    #[serde(borrow, default)]
    pub(crate) phone_number_id: Option<Str<'a>>,
}

/// An entry of `value.contacts[]`: who a message came from or a status went to.
#[derive(Debug, Deserialize)]
pub(crate) struct Contact<'a> {
    /// The user's profile.
    #[serde(borrow, default)]
    pub(crate) profile: Option<Profile<'a>>,
    /// The user's phone number (absent for username users who hide it).
    #[serde(borrow, default)]
    pub(crate) wa_id: Option<Str<'a>>,
    /// The business-scoped user id.
    #[serde(borrow, default)]
    pub(crate) user_id: Option<Str<'a>>,
    /// The parent (portfolio-wide) user id.
    #[serde(borrow, default)]
    pub(crate) parent_user_id: Option<Str<'a>>,
}

/// A user's WhatsApp profile.
#[derive(Debug, Deserialize)]
pub(crate) struct Profile<'a> {
    /// The profile name.
    #[serde(borrow, default)]
    pub(crate) name: Option<Str<'a>>,
    /// The `@username`, when the user has one.
    #[serde(borrow, default)]
    pub(crate) username: Option<Str<'a>>,
}

/// An error in a webhook: `value.errors[]`, `messages[].errors[]`, `statuses[].errors[]`.
#[derive(Debug, Deserialize)]
pub(crate) struct WebhookError<'a> {
    /// Meta's code.
    #[serde(default)]
    pub(crate) code: Option<Int>,
    /// A short title.
    #[serde(borrow, default)]
    pub(crate) title: Option<Str<'a>>,
    /// A message (often the same as the title).
    #[serde(borrow, default)]
    pub(crate) message: Option<Str<'a>>,
    /// `error_data.details`.
    #[serde(borrow, default)]
    pub(crate) error_data: Option<ErrorData<'a>>,
    /// A link to Meta's documentation of the code.
    #[serde(borrow, default)]
    pub(crate) href: Option<Str<'a>>,
}

/// `error_data` of an error.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorData<'a> {
    /// A human explanation.
    #[serde(borrow, default)]
    pub(crate) details: Option<Str<'a>>,
}

open_struct! {
    /// One `statuses[]` item.
    pub(crate) struct Status<'a> {
        /// The wamid of our message.
        "id" => id: Option<Str<'a>>,
        /// `sent`, `delivered`, `read`, `failed`, `played`.
        "status" => status: Option<Str<'a>>,
        /// When.
        "timestamp" => timestamp: Option<UnixTime>,
        /// The user's phone number (or a group id).
        "recipient_id" => recipient_id: Option<Str<'a>>,
        /// The user's BSUID, when we sent to one.
        "recipient_user_id" => recipient_user_id: Option<Str<'a>>,
        /// The user's parent BSUID.
        "recipient_parent_user_id" => recipient_parent_user_id: Option<Str<'a>>,
        /// `group` for group messages.
        "recipient_type" => recipient_type: Option<Str<'a>>,
        /// Our own message id, echoed.
        "biz_opaque_callback_data" => biz_opaque_callback_data: Option<Str<'a>>,
        /// The conversation (omitted from webhook v24.0 on, except in free entry points).
        "conversation" => conversation: Option<Conversation<'a>>,
        /// What it costs.
        "pricing" => pricing: Option<Pricing<'a>>,
        /// Why it failed.
        "errors" => errors: Option<Vec<WebhookError<'a>>>,
    }
}

/// A status's `conversation`.
#[derive(Debug, Deserialize)]
pub(crate) struct Conversation<'a> {
    /// Meta's conversation id.
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
    /// When it expires (on `sent` only).
    #[serde(default)]
    pub(crate) expiration_timestamp: Option<UnixTime>,
    /// Its origin.
    #[serde(borrow, default)]
    pub(crate) origin: Option<Origin<'a>>,
}

/// `conversation.origin`.
#[derive(Debug, Deserialize)]
pub(crate) struct Origin<'a> {
    /// `service`, `utility`, `marketing`, `authentication`, `referral_conversion`, ...
    #[serde(rename = "type", borrow, default)]
    pub(crate) kind: Option<Str<'a>>,
}

/// A status's `pricing`.
#[derive(Debug, Deserialize)]
pub(crate) struct Pricing<'a> {
    /// Whether it is billed.
    #[serde(default)]
    pub(crate) billable: Option<Flag>,
    /// `PMP` or `CBP`.
    #[serde(borrow, default)]
    pub(crate) pricing_model: Option<Str<'a>>,
    /// `regular`, `free_customer_service`, `free_entry_point`.
    #[serde(rename = "type", borrow, default)]
    pub(crate) kind: Option<Str<'a>>,
    /// `marketing`, `utility`, `authentication`, `service`, ...
    #[serde(borrow, default)]
    pub(crate) category: Option<Str<'a>>,
}

open_struct! {
    /// One `messages[]` item: the common fields and one object per type.
    pub(crate) struct Message<'a> {
        /// The user's phone number; absent for username users who hide it.
        "from" => from: Option<Str<'a>>,
        /// The user's BSUID.
        "from_user_id" => from_user_id: Option<Str<'a>>,
        /// The user's parent BSUID.
        "from_parent_user_id" => from_parent_user_id: Option<Str<'a>>,
        /// The wamid.
        "id" => id: Option<Str<'a>>,
        /// When the user sent it.
        "timestamp" => timestamp: Option<UnixTime>,
        /// The type, naming the object that holds the content.
        "type" => kind: Option<Str<'a>>,
        /// Set for group chats.
        "group_id" => group_id: Option<Str<'a>>,
        /// Reply, forward or product context.
        "context" => context: Option<Box<Context<'a>>>,
        /// Click-to-WhatsApp ad referral.
        "referral" => referral: Option<Box<Referral<'a>>>,
        /// Problems with this message (`unsupported`, media too large, ...).
        "errors" => errors: Option<Vec<WebhookError<'a>>>,
        /// `text`.
        "text" => text: Option<TextBody<'a>>,
        /// `image`.
        "image" => image: Option<Box<Media<'a>>>,
        /// `video`.
        "video" => video: Option<Box<Media<'a>>>,
        /// `audio` (voice notes have `voice: true`).
        "audio" => audio: Option<Box<Media<'a>>>,
        /// `document`.
        "document" => document: Option<Box<Media<'a>>>,
        /// `sticker`.
        "sticker" => sticker: Option<Box<Media<'a>>>,
        /// `location`.
        "location" => location: Option<Box<Location<'a>>>,
        /// `contacts`: shared contact cards.
        "contacts" => contacts: Option<Vec<ContactCard<'a>>>,
        /// `interactive`: a reply to buttons, a list or a flow.
        "interactive" => interactive: Option<Box<Interactive<'a>>>,
        /// `button`: a template's quick-reply button.
        "button" => button: Option<Box<Button<'a>>>,
        /// `reaction`.
        "reaction" => reaction: Option<Box<Reaction<'a>>>,
        /// `order`.
        "order" => order: Option<Box<Order<'a>>>,
        /// `system`: the user changed number or user id.
        "system" => system: Option<Box<System<'a>>>,
        /// `unsupported`: the original type.
        "unsupported" => unsupported: Option<Box<Unsupported<'a>>>,
    }
}

/// `text`.
#[derive(Debug, Deserialize)]
pub(crate) struct TextBody<'a> {
    /// The text.
    #[serde(borrow, default)]
    pub(crate) body: Option<Str<'a>>,
}

/// `image`, `video`, `audio`, `document`, `sticker`.
#[derive(Debug, Deserialize)]
pub(crate) struct Media<'a> {
    /// The media id (downloadable for 7 days).
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
    /// The MIME type.
    #[serde(borrow, default)]
    pub(crate) mime_type: Option<Str<'a>>,
    /// Base64 SHA-256 of the file.
    #[serde(borrow, default)]
    pub(crate) sha256: Option<Str<'a>>,
    /// A download URL (since late 2025; needs the bearer token).
    #[serde(borrow, default)]
    pub(crate) url: Option<Str<'a>>,
    /// Caption (image, video, document).
    #[serde(borrow, default)]
    pub(crate) caption: Option<Str<'a>>,
    /// File name (document).
    #[serde(borrow, default)]
    pub(crate) filename: Option<Str<'a>>,
    /// A voice note (audio).
    #[serde(default)]
    pub(crate) voice: Option<Flag>,
    /// An animated sticker.
    #[serde(default)]
    pub(crate) animated: Option<Flag>,
}

/// `location`.
#[derive(Debug, Deserialize)]
pub(crate) struct Location<'a> {
    /// Latitude.
    #[serde(default)]
    pub(crate) latitude: Option<Number>,
    /// Longitude.
    #[serde(default)]
    pub(crate) longitude: Option<Number>,
    /// Place name.
    #[serde(borrow, default)]
    pub(crate) name: Option<Str<'a>>,
    /// Address.
    #[serde(borrow, default)]
    pub(crate) address: Option<Str<'a>>,
    /// A link to the place.
    #[serde(borrow, default)]
    pub(crate) url: Option<Str<'a>>,
}

/// A shared contact card (inbound `contacts[]`; the same shape is sent outbound).
#[derive(Debug, Deserialize)]
pub(crate) struct ContactCard<'a> {
    /// Names.
    #[serde(borrow, default)]
    pub(crate) name: Option<CardName<'a>>,
    /// Phone numbers.
    #[serde(borrow, default)]
    pub(crate) phones: Option<Vec<CardPhone<'a>>>,
    /// E-mail addresses.
    #[serde(borrow, default)]
    pub(crate) emails: Option<Vec<CardEmail<'a>>>,
    /// Web sites.
    #[serde(borrow, default)]
    pub(crate) urls: Option<Vec<CardUrl<'a>>>,
    /// Postal addresses.
    #[serde(borrow, default)]
    pub(crate) addresses: Option<Vec<CardAddress<'a>>>,
    /// Organisation.
    #[serde(borrow, default)]
    pub(crate) org: Option<CardOrg<'a>>,
    /// `YYYY-MM-DD`.
    #[serde(borrow, default)]
    pub(crate) birthday: Option<Str<'a>>,
}

/// A contact card's names.
#[derive(Debug, Deserialize)]
pub(crate) struct CardName<'a> {
    /// The full name as shown.
    #[serde(borrow, default)]
    pub(crate) formatted_name: Option<Str<'a>>,
    /// First name.
    #[serde(borrow, default)]
    pub(crate) first_name: Option<Str<'a>>,
    /// Last name.
    #[serde(borrow, default)]
    pub(crate) last_name: Option<Str<'a>>,
    /// Middle name.
    #[serde(borrow, default)]
    pub(crate) middle_name: Option<Str<'a>>,
    /// Prefix.
    #[serde(borrow, default)]
    pub(crate) prefix: Option<Str<'a>>,
    /// Suffix.
    #[serde(borrow, default)]
    pub(crate) suffix: Option<Str<'a>>,
}

/// A contact card's phone.
#[derive(Debug, Deserialize)]
pub(crate) struct CardPhone<'a> {
    /// The number as written.
    #[serde(borrow, default)]
    pub(crate) phone: Option<Str<'a>>,
    /// `CELL`, `HOME`, `WORK`, ...
    #[serde(rename = "type", borrow, default)]
    pub(crate) kind: Option<Str<'a>>,
    /// The WhatsApp id, when the number is on WhatsApp.
    #[serde(borrow, default)]
    pub(crate) wa_id: Option<Str<'a>>,
}

/// A contact card's e-mail.
#[derive(Debug, Deserialize)]
pub(crate) struct CardEmail<'a> {
    /// The address.
    #[serde(borrow, default)]
    pub(crate) email: Option<Str<'a>>,
    /// `HOME`, `WORK`.
    #[serde(rename = "type", borrow, default)]
    pub(crate) kind: Option<Str<'a>>,
}

/// A contact card's URL.
#[derive(Debug, Deserialize)]
pub(crate) struct CardUrl<'a> {
    /// The URL.
    #[serde(borrow, default)]
    pub(crate) url: Option<Str<'a>>,
    /// `HOME`, `WORK`.
    #[serde(rename = "type", borrow, default)]
    pub(crate) kind: Option<Str<'a>>,
}

/// A contact card's address.
#[derive(Debug, Deserialize)]
pub(crate) struct CardAddress<'a> {
    /// Street.
    #[serde(borrow, default)]
    pub(crate) street: Option<Str<'a>>,
    /// City.
    #[serde(borrow, default)]
    pub(crate) city: Option<Str<'a>>,
    /// State.
    #[serde(borrow, default)]
    pub(crate) state: Option<Str<'a>>,
    /// ZIP code.
    #[serde(borrow, default)]
    pub(crate) zip: Option<Str<'a>>,
    /// Country name.
    #[serde(borrow, default)]
    pub(crate) country: Option<Str<'a>>,
    /// Two-letter country code.
    #[serde(borrow, default)]
    pub(crate) country_code: Option<Str<'a>>,
    /// `HOME`, `WORK`.
    #[serde(rename = "type", borrow, default)]
    pub(crate) kind: Option<Str<'a>>,
}

/// A contact card's organisation.
#[derive(Debug, Deserialize)]
pub(crate) struct CardOrg<'a> {
    /// Company.
    #[serde(borrow, default)]
    pub(crate) company: Option<Str<'a>>,
    /// Department.
    #[serde(borrow, default)]
    pub(crate) department: Option<Str<'a>>,
    /// Title.
    #[serde(borrow, default)]
    pub(crate) title: Option<Str<'a>>,
}

/// `context` of an inbound message.
#[derive(Debug, Deserialize)]
pub(crate) struct Context<'a> {
    /// The business number the quoted message came from.
    #[serde(borrow, default)]
    pub(crate) from: Option<Str<'a>>,
    /// The quoted message's wamid.
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
    /// Forwarded at most five times.
    #[serde(default)]
    pub(crate) forwarded: Option<Flag>,
    /// Forwarded more than five times.
    #[serde(default)]
    pub(crate) frequently_forwarded: Option<Flag>,
    /// The product the user asked about.
    #[serde(borrow, default)]
    pub(crate) referred_product: Option<ReferredProduct<'a>>,
}

/// `context.referred_product`.
#[derive(Debug, Deserialize)]
pub(crate) struct ReferredProduct<'a> {
    /// The catalog.
    #[serde(borrow, default)]
    pub(crate) catalog_id: Option<Str<'a>>,
    /// The product.
    #[serde(borrow, default)]
    pub(crate) product_retailer_id: Option<Str<'a>>,
}

/// `referral`: the ad or post that brought the user (Click-to-WhatsApp).
#[derive(Debug, Deserialize)]
pub(crate) struct Referral<'a> {
    /// The ad or post URL.
    #[serde(borrow, default)]
    pub(crate) source_url: Option<Str<'a>>,
    /// The ad id.
    #[serde(borrow, default)]
    pub(crate) source_id: Option<Str<'a>>,
    /// `ad` or `post`.
    #[serde(borrow, default)]
    pub(crate) source_type: Option<Str<'a>>,
    /// The ad's body text.
    #[serde(borrow, default)]
    pub(crate) body: Option<Str<'a>>,
    /// The ad's headline.
    #[serde(borrow, default)]
    pub(crate) headline: Option<Str<'a>>,
    /// `image` or `video`.
    #[serde(borrow, default)]
    pub(crate) media_type: Option<Str<'a>>,
    /// The ad's image.
    #[serde(borrow, default)]
    pub(crate) image_url: Option<Str<'a>>,
    /// The ad's video.
    #[serde(borrow, default)]
    pub(crate) video_url: Option<Str<'a>>,
    /// The video's thumbnail.
    #[serde(borrow, default)]
    pub(crate) thumbnail_url: Option<Str<'a>>,
    /// The click id (absent for Status-ad placements).
    #[serde(borrow, default)]
    pub(crate) ctwa_clid: Option<Str<'a>>,
    /// The ad's welcome message.
    #[serde(borrow, default)]
    pub(crate) welcome_message: Option<WelcomeMessage<'a>>,
}

/// `referral.welcome_message`.
#[derive(Debug, Deserialize)]
pub(crate) struct WelcomeMessage<'a> {
    /// The text.
    #[serde(borrow, default)]
    pub(crate) text: Option<Str<'a>>,
}

/// `interactive` (inbound): a reply to buttons, a list or a flow.
#[derive(Debug, Deserialize)]
pub(crate) struct Interactive<'a> {
    /// `button_reply`, `list_reply`, `nfm_reply`, `call_permission_reply`.
    #[serde(rename = "type", borrow, default)]
    pub(crate) kind: Option<Str<'a>>,
    /// The tapped reply button.
    #[serde(borrow, default)]
    pub(crate) button_reply: Option<Reply<'a>>,
    /// The chosen list row.
    #[serde(borrow, default)]
    pub(crate) list_reply: Option<Reply<'a>>,
    /// The completed flow.
    #[serde(borrow, default)]
    pub(crate) nfm_reply: Option<FlowReply<'a>>,
    /// The answer to a call-permission request.
    #[serde(borrow, default)]
    pub(crate) call_permission_reply: Option<CallPermissionReply<'a>>,
}

/// `call_permission_reply`.
#[derive(Debug, Deserialize)]
pub(crate) struct CallPermissionReply<'a> {
    /// `accept` or `reject`.
    #[serde(borrow, default)]
    pub(crate) response: Option<Str<'a>>,
    /// A permanent permission.
    #[serde(default)]
    pub(crate) is_permanent: Option<bool>,
    /// When a temporary permission ends.
    #[serde(default)]
    pub(crate) expiration_timestamp: Option<UnixTime>,
    /// `user_action` or `automatic`.
    #[serde(borrow, default)]
    pub(crate) response_source: Option<Str<'a>>,
}

/// `button_reply` / `list_reply`.
#[derive(Debug, Deserialize)]
pub(crate) struct Reply<'a> {
    /// Our id of the button or row.
    #[serde(borrow, default)]
    pub(crate) id: Option<Str<'a>>,
    /// Its title.
    #[serde(borrow, default)]
    pub(crate) title: Option<Str<'a>>,
    /// The row's description (lists).
    #[serde(borrow, default)]
    pub(crate) description: Option<Str<'a>>,
}

/// `nfm_reply`: a completed WhatsApp Flow.
#[derive(Debug, Deserialize)]
pub(crate) struct FlowReply<'a> {
    /// `flow`.
    #[serde(borrow, default)]
    pub(crate) name: Option<Str<'a>>,
    /// `Sent`.
    #[serde(borrow, default)]
    pub(crate) body: Option<Str<'a>>,
    /// The flow's answers: a JSON document inside a string.
    #[serde(borrow, default)]
    pub(crate) response_json: Option<Str<'a>>,
}

/// `button`: a template quick-reply tap.
#[derive(Debug, Deserialize)]
pub(crate) struct Button<'a> {
    /// The payload we set on the button.
    #[serde(borrow, default)]
    pub(crate) payload: Option<Str<'a>>,
    /// The button's text.
    #[serde(borrow, default)]
    pub(crate) text: Option<Str<'a>>,
}

/// `reaction`.
#[derive(Debug, Deserialize)]
pub(crate) struct Reaction<'a> {
    /// The message reacted to.
    #[serde(borrow, default)]
    pub(crate) message_id: Option<Str<'a>>,
    /// The emoji; absent or empty when the reaction was removed.
    #[serde(borrow, default)]
    pub(crate) emoji: Option<Str<'a>>,
}

/// `order`: a cart sent from a catalog.
#[derive(Debug, Deserialize)]
pub(crate) struct Order<'a> {
    /// The catalog.
    #[serde(borrow, default)]
    pub(crate) catalog_id: Option<Str<'a>>,
    /// The user's note.
    #[serde(borrow, default)]
    pub(crate) text: Option<Str<'a>>,
    /// The items.
    #[serde(borrow, default)]
    pub(crate) product_items: Option<Vec<ProductItem<'a>>>,
}

/// An order's item.
#[derive(Debug, Deserialize)]
pub(crate) struct ProductItem<'a> {
    /// The product.
    #[serde(borrow, default)]
    pub(crate) product_retailer_id: Option<Str<'a>>,
    /// How many.
    #[serde(default)]
    pub(crate) quantity: Option<Number>,
    /// Unit price.
    #[serde(default)]
    pub(crate) item_price: Option<Number>,
    /// ISO 4217 currency.
    #[serde(borrow, default)]
    pub(crate) currency: Option<Str<'a>>,
}

/// `system`: the user changed number or user id.
#[derive(Debug, Deserialize)]
pub(crate) struct System<'a> {
    /// A human sentence.
    #[serde(borrow, default)]
    pub(crate) body: Option<Str<'a>>,
    /// `user_changed_number`, `user_changed_user_id` (or legacy `customer_changed_number`).
    #[serde(rename = "type", borrow, default)]
    pub(crate) kind: Option<Str<'a>>,
    /// The new phone number.
    #[serde(borrow, default)]
    pub(crate) wa_id: Option<Str<'a>>,
    /// The new phone number (legacy name).
    #[serde(borrow, default)]
    pub(crate) new_wa_id: Option<Str<'a>>,
    /// The new BSUID.
    #[serde(borrow, default)]
    pub(crate) user_id: Option<Str<'a>>,
}

/// `unsupported`.
#[derive(Debug, Deserialize)]
pub(crate) struct Unsupported<'a> {
    /// The type the user sent (`poll`, ...).
    #[serde(rename = "type", borrow, default)]
    pub(crate) kind: Option<Str<'a>>,
}

/// `message_template_status_update`, `account_update`, `phone_number_quality_update` and the
/// like: the keys Meta documents for them, read from a value's raw keys.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AccountFields<'a> {
    /// What happened (`APPROVED`, `REJECTED`, `FLAGGED`, `VERIFIED_ACCOUNT`, `DOWNGRADE`, ...).
    #[serde(borrow, default)]
    pub(crate) event: Option<Str<'a>>,
    /// Template id.
    #[serde(borrow, default)]
    pub(crate) message_template_id: Option<Str<'a>>,
    /// Template name.
    #[serde(borrow, default)]
    pub(crate) message_template_name: Option<Str<'a>>,
    /// Template language.
    #[serde(borrow, default)]
    pub(crate) message_template_language: Option<Str<'a>>,
    /// Why (rejections).
    #[serde(borrow, default)]
    pub(crate) reason: Option<Str<'a>>,
    /// The number an account or quality update is about.
    #[serde(borrow, default)]
    pub(crate) phone_number: Option<Str<'a>>,
    /// The number (quality updates).
    #[serde(borrow, default)]
    pub(crate) display_phone_number: Option<Str<'a>>,
    /// The messaging limit now in force (quality updates).
    #[serde(borrow, default)]
    pub(crate) current_limit: Option<Str<'a>>,
}
