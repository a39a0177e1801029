//! `messages[]` items into the domain's [`InboundMessage`], with the customer's identity taken
//! from `from` / `from_user_id` and the matching `contacts[]` entry.
//!
//! A type wa does not know (and `revoke`/`edit`, which the domain does not model) becomes
//! [`InboundContent::Unknown`] with the item's raw JSON: never an error. A known type whose
//! content object is missing is an error of that item only.

use wa_domain::{
    content::{
        ContactAddress, ContactCard, ContactEmail, ContactName, ContactOrg, ContactPhone,
        ContactUrl,
    },
    customer::CustomerIdentity,
    ids::{Bsuid, PhoneNumber, WaMessageId},
    inbound::{
        CallPermissionReply, InboundContent, InboundContext, InboundError, InboundLocation,
        InboundMedia, InboundMessage, Order, OrderItem, Referral, ReferredProduct, SystemKind,
    },
};

use serde_json::value::RawValue;

use crate::{
    convert::{ItemError, opt_string, raw_fields, unix_time},
    webhook::event::{InboundEvent, RawField},
    wire::{json::Str, webhook as wire},
};

/// The `contacts[]` of a change, read once and looked up per message.
///
/// Meta's deliveries almost always carry one contact: the first is kept inline, so the common
/// case allocates nothing.
#[derive(Default)]
pub(crate) struct Contacts<'a> {
    first: Option<wire::Contact<'a>>,
    rest: Vec<wire::Contact<'a>>,
}

impl<'a> Contacts<'a> {
    /// Adds a readable entry (unreadable ones are reported by the caller).
    pub(crate) fn push(&mut self, contact: wire::Contact<'a>) {
        if self.first.is_none() {
            self.first = Some(contact);
        } else {
            self.rest.push(contact);
        }
    }

    /// Whether there is no entry.
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    fn iter(&self) -> impl Iterator<Item = &wire::Contact<'a>> {
        self.first.iter().chain(&self.rest)
    }

    /// The entry for the sender, matched by user id, then by phone number.
    fn find(
        &self,
        from: Option<&Str<'_>>,
        user_id: Option<&Str<'_>>,
    ) -> Option<&wire::Contact<'a>> {
        let same =
            |a: &Option<Str<'_>>, b: &Str<'_>| a.as_ref().is_some_and(|a| a.as_str() == b.as_str());
        user_id
            .and_then(|user_id| self.iter().find(|c| same(&c.user_id, user_id)))
            .or_else(|| from.and_then(|from| self.iter().find(|c| same(&c.wa_id, from))))
    }

    /// The only entry, when there is exactly one: Meta's one-message deliveries carry the
    /// sender's profile that way. Used for the profile only, never to identify the sender.
    fn only(&self) -> Option<&wire::Contact<'a>> {
        self.first.as_ref().filter(|_| self.rest.is_empty())
    }
}

/// One message item, converted and pushed onto `out` (nothing is pushed on an error).
pub(crate) fn push_inbound_event(
    mut item: wire::Message<'_>,
    contacts: &Contacts<'_>,
    out: &mut Vec<InboundEvent>,
) -> Result<(), ItemError> {
    let id = item.id.take().ok_or(ItemError::Missing("id"))?;
    let wamid = WaMessageId::parse(id.into_string()).map_err(|_| ItemError::Invalid("id"))?;
    let sent_at = unix_time(item.timestamp.ok_or(ItemError::Missing("timestamp"))?)?;

    let contact = contacts.find(item.from.as_ref(), item.from_user_id.as_ref());
    let has_sender = item.from.is_some() || item.from_user_id.is_some();
    let profile_contact = contact.or_else(|| contacts.only().filter(|_| has_sender));
    // A phone number that does not parse is dropped when a user id identifies the customer:
    // the user id is the stable key, and the raw item keeps what Meta sent.
    let phone = item
        .from
        .as_ref()
        .and_then(|from| PhoneNumber::parse(from.as_str()).ok());
    let bsuid = item
        .from_user_id
        .as_ref()
        .or_else(|| contact.and_then(|c| c.user_id.as_ref()))
        .and_then(|id| Bsuid::parse(id.as_str()).ok());
    let customer = CustomerIdentity::new(bsuid, phone).map_err(|_| ItemError::Missing("from"))?;
    let profile = profile_contact.and_then(|c| c.profile.as_ref());
    let parent_user_id = item
        .from_parent_user_id
        .as_ref()
        .or_else(|| contact.and_then(|c| c.parent_user_id.as_ref()))
        .and_then(|id| Bsuid::parse(id.as_str()).ok());

    let errors = item
        .errors
        .take()
        .unwrap_or_default()
        .into_iter()
        .filter_map(inbound_error)
        .collect();
    let context = item.context.take().map(|boxed| context(*boxed));
    let referral = item.referral.take().map(|boxed| Box::new(referral(*boxed)));
    let group_id = opt_string(item.group_id.take());
    let (content, unknown) = content(item)?;

    out.push(InboundEvent {
        message: InboundMessage {
            wamid,
            customer,
            profile_name: profile.and_then(|p| p.name.as_ref()).map(str_to_string),
            sent_at,
            content,
            context,
            referral,
            errors,
        },
        username: profile.and_then(|p| p.username.as_ref()).map(str_to_string),
        parent_user_id,
        group_id,
        unknown,
    });
    Ok(())
}

/// A borrowed JSON string as an owned one, copied once.
fn str_to_string(text: &Str<'_>) -> String {
    text.as_str().to_owned()
}

/// An error Meta attached to a message; one without a code is left in the raw item only.
fn inbound_error(error: wire::WebhookError<'_>) -> Option<InboundError> {
    let code = error.code?.0;
    let title = opt_string(error.title);
    let message = opt_string(error.message);
    let (title, message) = match (title, message) {
        (Some(title), Some(message)) if title == message => (title, None),
        (Some(title), message) => (title, message),
        (None, Some(message)) => (message, None),
        (None, None) => (String::new(), None),
    };
    Some(InboundError {
        code,
        title,
        message,
        details: error.error_data.and_then(|data| opt_string(data.details)),
    })
}

fn context(context: wire::Context<'_>) -> InboundContext {
    InboundContext {
        from: opt_string(context.from),
        message_id: context
            .id
            .and_then(|id| WaMessageId::parse(id.into_string()).ok()),
        forwarded: context.forwarded.is_some_and(|flag| flag.0),
        frequently_forwarded: context.frequently_forwarded.is_some_and(|flag| flag.0),
        referred_product: context.referred_product.and_then(|product| {
            Some(ReferredProduct {
                catalog_id: product.catalog_id?.into_string(),
                product_retailer_id: product.product_retailer_id?.into_string(),
            })
        }),
    }
}

fn referral(referral: wire::Referral<'_>) -> Referral {
    Referral {
        source_url: opt_string(referral.source_url),
        source_id: opt_string(referral.source_id),
        source_type: opt_string(referral.source_type),
        body: opt_string(referral.body),
        headline: opt_string(referral.headline),
        media_type: opt_string(referral.media_type),
        image_url: opt_string(referral.image_url),
        video_url: opt_string(referral.video_url),
        thumbnail_url: opt_string(referral.thumbnail_url),
        ctwa_clid: opt_string(referral.ctwa_clid),
        welcome_message: referral
            .welcome_message
            .and_then(|welcome| opt_string(welcome.text)),
    }
}

/// The content object named by `type`, and the item's keys wa does not model.
///
/// For a type wa does not know, `raw_json` holds the type and every unmodelled key (the type's
/// own object among them), each value exactly as received.
fn content(mut item: wire::Message<'_>) -> Result<(InboundContent, Vec<RawField>), ItemError> {
    let kind = item.kind.take().ok_or(ItemError::Missing("type"))?;
    let extra = std::mem::take(&mut item.extra);
    let unknown = |type_name: &str| InboundContent::Unknown {
        type_name: type_name.to_owned(),
        raw_json: unknown_json(type_name, &extra),
    };
    let content = match kind.as_str() {
        "text" => {
            let text = item.text.ok_or(ItemError::Missing("text"))?;
            InboundContent::Text {
                body: text.body.map(Str::into_string).unwrap_or_default(),
            }
        }
        "image" => InboundContent::Image(media(item.image, "image")?),
        "video" => InboundContent::Video(media(item.video, "video")?),
        "audio" => InboundContent::Audio(media(item.audio, "audio")?),
        "document" => InboundContent::Document(media(item.document, "document")?),
        "sticker" => InboundContent::Sticker(media(item.sticker, "sticker")?),
        "location" => {
            let location = *item.location.ok_or(ItemError::Missing("location"))?;
            InboundContent::Location(InboundLocation {
                latitude: location
                    .latitude
                    .ok_or(ItemError::Missing("location.latitude"))?
                    .0,
                longitude: location
                    .longitude
                    .ok_or(ItemError::Missing("location.longitude"))?
                    .0,
                name: opt_string(location.name),
                address: opt_string(location.address),
                url: opt_string(location.url),
            })
        }
        "contacts" => InboundContent::Contacts {
            contacts: item
                .contacts
                .ok_or(ItemError::Missing("contacts"))?
                .into_iter()
                .map(contact_card)
                .collect(),
        },
        "interactive" => {
            let interactive = *item.interactive.ok_or(ItemError::Missing("interactive"))?;
            let interactive_kind = interactive.kind.as_ref().map_or("", Str::as_str);
            match interactive_kind {
                "button_reply" => {
                    let reply = interactive
                        .button_reply
                        .ok_or(ItemError::Missing("interactive.button_reply"))?;
                    InboundContent::ButtonReply {
                        id: reply.id.map(Str::into_string).unwrap_or_default(),
                        title: reply.title.map(Str::into_string).unwrap_or_default(),
                    }
                }
                "list_reply" => {
                    let reply = interactive
                        .list_reply
                        .ok_or(ItemError::Missing("interactive.list_reply"))?;
                    InboundContent::ListReply {
                        id: reply.id.map(Str::into_string).unwrap_or_default(),
                        title: reply.title.map(Str::into_string).unwrap_or_default(),
                        description: opt_string(reply.description),
                    }
                }
                "nfm_reply" => {
                    let reply = interactive
                        .nfm_reply
                        .ok_or(ItemError::Missing("interactive.nfm_reply"))?;
                    InboundContent::FlowReply {
                        name: opt_string(reply.name),
                        body: opt_string(reply.body),
                        response_json: reply
                            .response_json
                            .map(Str::into_string)
                            .unwrap_or_default(),
                    }
                }
                "call_permission_reply" => {
                    let reply = interactive
                        .call_permission_reply
                        .ok_or(ItemError::Missing("interactive.call_permission_reply"))?;
                    InboundContent::CallPermissionReply(CallPermissionReply {
                        response: reply
                            .response
                            .map(Str::into_string)
                            .ok_or(ItemError::Missing("call_permission_reply.response"))?,
                        is_permanent: reply.is_permanent.unwrap_or(false),
                        expires_at: reply.expiration_timestamp.map(unix_time).transpose()?,
                        response_source: opt_string(reply.response_source),
                    })
                }
                _ => unknown("interactive"),
            }
        }
        "button" => {
            let button = *item.button.ok_or(ItemError::Missing("button"))?;
            InboundContent::Button {
                payload: button.payload.map(Str::into_string).unwrap_or_default(),
                text: button.text.map(Str::into_string).unwrap_or_default(),
            }
        }
        "reaction" => {
            let reaction = *item.reaction.ok_or(ItemError::Missing("reaction"))?;
            let target = reaction
                .message_id
                .ok_or(ItemError::Missing("reaction.message_id"))?;
            InboundContent::Reaction {
                message_id: WaMessageId::parse(target.into_string())
                    .map_err(|_| ItemError::Invalid("reaction.message_id"))?,
                // Removal arrives without `emoji` today and with `"emoji": ""` in older payloads.
                emoji: opt_string(reaction.emoji).filter(|emoji| !emoji.is_empty()),
            }
        }
        "order" => {
            let order = *item.order.ok_or(ItemError::Missing("order"))?;
            InboundContent::Order(Order {
                catalog_id: order.catalog_id.map(Str::into_string).unwrap_or_default(),
                text: opt_string(order.text),
                product_items: order
                    .product_items
                    .unwrap_or_default()
                    .into_iter()
                    .map(order_item)
                    .collect(),
            })
        }
        "system" => {
            let system = *item.system.ok_or(ItemError::Missing("system"))?;
            InboundContent::System {
                kind: system_kind(&system),
                body: opt_string(system.body),
            }
        }
        "unsupported" => InboundContent::Unsupported {
            original_type: item
                .unsupported
                .and_then(|unsupported| opt_string(unsupported.kind)),
        },
        other => unknown(other),
    };
    Ok((content, raw_fields(extra)))
}

/// `{"type": <type>, <unmodelled keys>...}` with each value as received.
fn unknown_json(type_name: &str, extra: &[(Str<'_>, &RawValue)]) -> String {
    let mut out = String::from("{\"type\":");
    // Strings always serialise.
    out.push_str(&serde_json::to_string(type_name).unwrap_or_default());
    for (key, raw) in extra {
        out.push(',');
        out.push_str(&serde_json::to_string(key.as_str()).unwrap_or_default());
        out.push(':');
        out.push_str(raw.get());
    }
    out.push('}');
    out
}

fn media(
    media: Option<Box<wire::Media<'_>>>,
    kind: &'static str,
) -> Result<InboundMedia, ItemError> {
    let media = *media.ok_or(ItemError::Missing(kind))?;
    Ok(InboundMedia {
        id: media.id.ok_or(ItemError::Missing(kind))?.into_string(),
        mime_type: opt_string(media.mime_type),
        sha256: opt_string(media.sha256),
        caption: opt_string(media.caption),
        filename: opt_string(media.filename),
        url: opt_string(media.url),
        voice: media.voice.is_some_and(|flag| flag.0),
        animated: media.animated.is_some_and(|flag| flag.0),
    })
}

fn order_item(item: wire::ProductItem<'_>) -> OrderItem {
    OrderItem {
        product_retailer_id: item
            .product_retailer_id
            .map(Str::into_string)
            .unwrap_or_default(),
        // Quantities are whole and positive; anything else Meta might send is kept as 0 here
        // and stays readable in the raw item.
        quantity: item
            .quantity
            .map(|quantity| quantity.0)
            .filter(|quantity| quantity.is_finite() && *quantity >= 0.0 && quantity.fract() == 0.0)
            .map_or(0, |quantity| quantity as u64),
        item_price: item.item_price.map_or(0.0, |price| price.0),
        currency: item.currency.map(Str::into_string).unwrap_or_default(),
    }
}

fn system_kind(system: &wire::System<'_>) -> SystemKind {
    let raw_type = system.kind.as_ref().map_or("", Str::as_str);
    let new_user_id = system
        .user_id
        .as_ref()
        .and_then(|id| Bsuid::parse(id.as_str()).ok());
    match raw_type {
        "user_changed_number" | "customer_changed_number" => SystemKind::ChangedNumber {
            new_wa_id: system
                .wa_id
                .as_ref()
                .or(system.new_wa_id.as_ref())
                .and_then(|phone| PhoneNumber::parse(phone.as_str()).ok()),
            new_user_id,
        },
        "user_changed_user_id" if new_user_id.is_some() => SystemKind::ChangedUserId {
            new_user_id: new_user_id.unwrap_or_else(|| unreachable!("checked by the guard")),
        },
        other => SystemKind::Other {
            raw_type: other.to_owned(),
        },
    }
}

fn contact_card(card: wire::ContactCard<'_>) -> ContactCard {
    let name = card.name;
    let text = |value: Option<Str<'_>>| value.map(Str::into_string);
    let (formatted_name, first_name, last_name, middle_name, prefix, suffix) = match name {
        Some(name) => (
            name.formatted_name
                .map(Str::into_string)
                .unwrap_or_default(),
            text(name.first_name),
            text(name.last_name),
            text(name.middle_name),
            text(name.prefix),
            text(name.suffix),
        ),
        None => (String::new(), None, None, None, None, None),
    };
    ContactCard {
        name: ContactName {
            formatted_name,
            first_name,
            last_name,
            middle_name,
            prefix,
            suffix,
        },
        phones: card
            .phones
            .unwrap_or_default()
            .into_iter()
            .map(|phone| ContactPhone {
                phone: phone.phone.map(Str::into_string).unwrap_or_default(),
                kind: text(phone.kind),
                wa_id: text(phone.wa_id),
            })
            .collect(),
        emails: card
            .emails
            .unwrap_or_default()
            .into_iter()
            .map(|email| ContactEmail {
                email: email.email.map(Str::into_string).unwrap_or_default(),
                kind: text(email.kind),
            })
            .collect(),
        urls: card
            .urls
            .unwrap_or_default()
            .into_iter()
            .map(|url| ContactUrl {
                url: url.url.map(Str::into_string).unwrap_or_default(),
                kind: text(url.kind),
            })
            .collect(),
        addresses: card
            .addresses
            .unwrap_or_default()
            .into_iter()
            .map(|address| ContactAddress {
                street: text(address.street),
                city: text(address.city),
                state: text(address.state),
                zip: text(address.zip),
                country: text(address.country),
                country_code: text(address.country_code),
                kind: text(address.kind),
            })
            .collect(),
        org: card.org.map(|org| ContactOrg {
            company: text(org.company),
            department: text(org.department),
            title: text(org.title),
        }),
        birthday: text(card.birthday),
    }
}
