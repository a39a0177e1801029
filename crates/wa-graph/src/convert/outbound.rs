//! Outbound messages of the domain into Meta's send bodies ([`crate::wire::send`]).
//!
//! Every content type maps field by field onto the shapes of cloud-api.md §1.2-1.3; the domain
//! has already checked Meta's limits, so nothing here refuses a message except a Flow button's
//! `flow_action_data` that is not JSON, which Meta would refuse too.

use serde_json::value::RawValue;
use wa_domain::{
    content::{
        BodyParameter, ContactCard, FlowMessage, FlowMode, FlowRef, HeaderParameter, Interactive,
        InteractiveHeader, JsonObject, Location, MediaSource, OutboundContent, TemplateButton,
        check_reply_context,
    },
    error_class::ErrorClass,
    graph::GraphError,
    ids::MessageId,
    message::OutboundMessage,
};

use crate::wire::send::{
    ActionPayload, Addressee, ComponentPayload, ContactAddressPayload, ContactCardPayload,
    ContactNamePayload, ContactOrgPayload, ContactPhonePayload, FlowActionPayload,
    FlowParametersPayload, HeaderPayload, InteractivePayload, LanguagePayload, LocationPayload,
    MediaKind, MediaPayload, MediaRef, ParameterPayload, Payload, ReactionPayload, RowPayload,
    SectionPayload, SendMessage, TemplatePayload, TextOnly, TextPayload, TypedValuePayload,
};

/// The send body for `message`, with `callback` as `biz_opaque_callback_data`.
///
/// # Errors
/// `Permanent` when a Flow button's `flow_action_data` is not JSON, or when a reaction carries a
/// reply context (Meta refuses it; the domain checks it too, but this crate may be used alone).
pub(crate) fn send_body<'a>(
    message: &'a OutboundMessage,
    callback: Option<&'a str>,
) -> Result<SendMessage<'a>, GraphError> {
    check_reply_context(&message.content, message.reply_to.as_ref())
        .map_err(|error| GraphError::transport(ErrorClass::Permanent, error.to_string(), None))?;
    Ok(SendMessage {
        to: Addressee::from(&message.recipient),
        context: message.reply_to.as_ref().map(|wamid| wamid.as_str()),
        callback,
        payload: payload(&message.content)?,
    })
}

/// Our message id as Meta's callback data: the hyphenated lowercase UUID (what `Display`
/// writes), encoded into `buffer` so that no string is allocated for it.
pub(crate) fn callback_data(id: MessageId, buffer: &mut [u8; 36]) -> &str {
    id.as_uuid().hyphenated().encode_lower(buffer)
}

fn payload(content: &OutboundContent) -> Result<Payload<'_>, GraphError> {
    Ok(match content {
        OutboundContent::Text(text) => Payload::Text(TextPayload {
            body: text.body(),
            preview_url: text.preview_url(),
        }),
        OutboundContent::Image(image) => Payload::Media(
            MediaKind::Image,
            media(image.source(), image.caption(), None),
        ),
        OutboundContent::Video(video) => Payload::Media(
            MediaKind::Video,
            media(video.source(), video.caption(), None),
        ),
        OutboundContent::Audio(audio) => {
            Payload::Media(MediaKind::Audio, media(audio.source(), None, None))
        }
        OutboundContent::Document(document) => Payload::Media(
            MediaKind::Document,
            media(document.source(), document.caption(), document.filename()),
        ),
        OutboundContent::Sticker(sticker) => {
            Payload::Media(MediaKind::Sticker, media(sticker.source(), None, None))
        }
        OutboundContent::Location(location) => Payload::Location(location_payload(location)),
        OutboundContent::Contacts(contacts) => {
            Payload::Contacts(contacts.cards().iter().map(contact_card).collect())
        }
        OutboundContent::Reaction(reaction) => Payload::Reaction(ReactionPayload {
            message_id: reaction.message_id().as_str(),
            // Meta removes a reaction when the emoji is empty.
            emoji: reaction.emoji().unwrap_or(""),
        }),
        OutboundContent::Interactive(interactive) => {
            Payload::Interactive(interactive_payload(interactive))
        }
        OutboundContent::Template(template) => {
            let mut components = Vec::new();
            if let Some(header) = template.header() {
                components.push(ComponentPayload::Header(vec![header_parameter(header)]));
            }
            if !template.body().is_empty() {
                components.push(ComponentPayload::Body(
                    template.body().iter().map(body_parameter).collect(),
                ));
            }
            for button in template.buttons() {
                components.push(ComponentPayload::Button {
                    sub_type: button.sub_type(),
                    index: button.index(),
                    parameters: vec![button_parameter(button)?],
                });
            }
            Payload::Template(TemplatePayload {
                name: template.name().as_str(),
                language: LanguagePayload {
                    policy: "deterministic",
                    code: template.language().as_str(),
                },
                components,
            })
        }
        // Unvalidated by design: the tenant's object goes out as given.
        OutboundContent::Raw(raw) => Payload::Raw(raw.kind().as_str(), raw.object().members()),
    })
}

fn media_ref(source: &MediaSource) -> MediaRef<'_> {
    match source {
        MediaSource::Id(id) => MediaRef::Id(id.as_str()),
        MediaSource::Link(url) => MediaRef::Link(url.as_str()),
    }
}

fn media<'a>(
    source: &'a MediaSource,
    caption: Option<&'a str>,
    filename: Option<&'a str>,
) -> MediaPayload<'a> {
    MediaPayload {
        source: media_ref(source),
        caption,
        filename,
    }
}

fn location_payload(location: &Location) -> LocationPayload<'_> {
    LocationPayload {
        latitude: location.latitude(),
        longitude: location.longitude(),
        name: location.name(),
        address: location.address(),
    }
}

fn contact_card(card: &ContactCard) -> ContactCardPayload<'_> {
    ContactCardPayload {
        name: ContactNamePayload {
            formatted_name: &card.name.formatted_name,
            first_name: card.name.first_name.as_deref(),
            last_name: card.name.last_name.as_deref(),
            middle_name: card.name.middle_name.as_deref(),
            prefix: card.name.prefix.as_deref(),
            suffix: card.name.suffix.as_deref(),
        },
        phones: card
            .phones
            .iter()
            .map(|phone| ContactPhonePayload {
                phone: &phone.phone,
                kind: phone.kind.as_deref(),
                wa_id: phone.wa_id.as_deref(),
            })
            .collect(),
        emails: card
            .emails
            .iter()
            .map(|email| TypedValuePayload {
                key: "email",
                value: &email.email,
                kind: email.kind.as_deref(),
            })
            .collect(),
        urls: card
            .urls
            .iter()
            .map(|url| TypedValuePayload {
                key: "url",
                value: &url.url,
                kind: url.kind.as_deref(),
            })
            .collect(),
        addresses: card
            .addresses
            .iter()
            .map(|address| ContactAddressPayload {
                street: address.street.as_deref(),
                city: address.city.as_deref(),
                state: address.state.as_deref(),
                zip: address.zip.as_deref(),
                country: address.country.as_deref(),
                country_code: address.country_code.as_deref(),
                kind: address.kind.as_deref(),
            })
            .collect(),
        org: card.org.as_ref().map(|org| ContactOrgPayload {
            company: org.company.as_deref(),
            department: org.department.as_deref(),
            title: org.title.as_deref(),
        }),
        birthday: card.birthday.as_deref(),
    }
}

fn interactive_header(header: &InteractiveHeader) -> HeaderPayload<'_> {
    match header {
        InteractiveHeader::Text { text } => HeaderPayload::Text(text),
        InteractiveHeader::Image { media: source } => {
            HeaderPayload::Media(MediaKind::Image, media(source, None, None))
        }
        InteractiveHeader::Video { media: source } => {
            HeaderPayload::Media(MediaKind::Video, media(source, None, None))
        }
        InteractiveHeader::Document { media: source } => {
            HeaderPayload::Media(MediaKind::Document, media(source, None, None))
        }
    }
}

fn text_only(text: &str) -> TextOnly<'_> {
    TextOnly { text }
}

fn interactive_payload(interactive: &Interactive) -> InteractivePayload<'_> {
    match interactive {
        Interactive::Buttons(buttons) => InteractivePayload {
            kind: "button",
            header: buttons.header().map(interactive_header),
            body: TextOnly {
                text: buttons.body(),
            },
            footer: buttons.footer().map(text_only),
            action: ActionPayload::Buttons(
                buttons
                    .buttons()
                    .iter()
                    .map(|button| (button.id.as_str(), button.title.as_str()))
                    .collect(),
            ),
        },
        Interactive::List(list) => InteractivePayload {
            kind: "list",
            header: list.header().map(HeaderPayload::Text),
            body: TextOnly { text: list.body() },
            footer: list.footer().map(text_only),
            action: ActionPayload::List {
                button: list.button(),
                sections: list
                    .sections()
                    .iter()
                    .map(|section| SectionPayload {
                        title: section.title.as_deref(),
                        rows: section
                            .rows
                            .iter()
                            .map(|row| RowPayload {
                                id: &row.id,
                                title: &row.title,
                                description: row.description.as_deref(),
                            })
                            .collect(),
                    })
                    .collect(),
            },
        },
        Interactive::CtaUrl(cta) => InteractivePayload {
            kind: "cta_url",
            header: cta.header().map(interactive_header),
            body: TextOnly { text: cta.body() },
            footer: cta.footer().map(text_only),
            action: ActionPayload::CtaUrl {
                display_text: cta.display_text(),
                url: cta.url().as_str(),
            },
        },
        Interactive::Flow(flow) => InteractivePayload {
            kind: "flow",
            header: flow.header().map(interactive_header),
            body: TextOnly { text: flow.body() },
            footer: flow.footer().map(text_only),
            action: ActionPayload::Flow(flow_parameters(flow)),
        },
        Interactive::LocationRequest(request) => InteractivePayload {
            kind: "location_request_message",
            header: None,
            body: TextOnly {
                text: request.body(),
            },
            footer: None,
            action: ActionPayload::Named("send_location"),
        },
        Interactive::CallPermissionRequest(request) => InteractivePayload {
            kind: "call_permission_request",
            header: None,
            body: TextOnly {
                text: request.body(),
            },
            footer: None,
            action: ActionPayload::Named("call_permission_request"),
        },
    }
}

fn flow_parameters(flow: &FlowMessage) -> FlowParametersPayload<'_> {
    let (flow_id, flow_name) = match flow.flow() {
        FlowRef::Id(id) => (Some(id.as_str()), None),
        FlowRef::Name(name) => (None, Some(name.as_str())),
    };
    let payload = (flow.screen().is_some() || flow.data().is_some()).then(|| FlowActionPayload {
        screen: flow.screen(),
        data: flow.data().map(JsonObject::members),
    });
    FlowParametersPayload {
        flow_message_version: "3",
        flow_token: flow.flow_token(),
        flow_id,
        flow_name,
        flow_cta: flow.flow_cta(),
        mode: match flow.mode() {
            FlowMode::Draft => Some("draft"),
            // Meta's default; its examples of published Flows leave it out.
            FlowMode::Published => None,
        },
        flow_action: flow.flow_action().as_str(),
        flow_action_payload: payload,
    }
}

fn header_parameter(header: &HeaderParameter) -> ParameterPayload<'_> {
    match header {
        HeaderParameter::Text {
            parameter_name,
            text,
        } => ParameterPayload::Text {
            text,
            name: parameter_name.as_deref(),
        },
        HeaderParameter::Image { media: source } => {
            ParameterPayload::Media(MediaKind::Image, media(source, None, None))
        }
        HeaderParameter::Video { media: source } => {
            ParameterPayload::Media(MediaKind::Video, media(source, None, None))
        }
        HeaderParameter::Document {
            media: source,
            filename,
        } => ParameterPayload::Media(
            MediaKind::Document,
            media(source, None, filename.as_deref()),
        ),
        HeaderParameter::Location { location } => {
            ParameterPayload::Location(location_payload(location))
        }
    }
}

fn body_parameter(parameter: &BodyParameter) -> ParameterPayload<'_> {
    match parameter {
        BodyParameter::Text {
            parameter_name,
            text,
        } => ParameterPayload::Text {
            text,
            name: parameter_name.as_deref(),
        },
        BodyParameter::Currency {
            parameter_name,
            currency,
        } => ParameterPayload::Currency {
            fallback_value: &currency.fallback_value,
            code: &currency.code,
            amount_1000: currency.amount_1000,
            name: parameter_name.as_deref(),
        },
        BodyParameter::DateTime {
            parameter_name,
            date_time,
        } => ParameterPayload::DateTime {
            fallback_value: &date_time.fallback_value,
            name: parameter_name.as_deref(),
        },
    }
}

fn button_parameter(button: &TemplateButton) -> Result<ParameterPayload<'_>, GraphError> {
    Ok(match button {
        TemplateButton::QuickReply { payload, .. } => ParameterPayload::Payload(payload),
        TemplateButton::Url { text, .. } => ParameterPayload::Text { text, name: None },
        TemplateButton::CopyCode { coupon_code, .. } => ParameterPayload::CouponCode(coupon_code),
        TemplateButton::Flow {
            flow_token,
            flow_action_data,
            ..
        } => ParameterPayload::FlowAction {
            flow_token: flow_token.as_deref(),
            flow_action_data: flow_action_data
                .as_deref()
                .map(|data| {
                    serde_json::from_str::<&RawValue>(data).map_err(|_| {
                        GraphError::transport(
                            ErrorClass::Permanent,
                            "a Flow button's flow_action_data is not JSON",
                            None,
                        )
                    })
                })
                .transpose()?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data_is_the_displayed_uuid() {
        for _ in 0..64 {
            let id = MessageId::generate();
            let expected = id.to_string();
            assert_eq!(callback_data(id, &mut [0; 36]), expected);
        }
    }
}
