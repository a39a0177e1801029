//! From a webhook body to a [`WebhookBatch`]: limits, the envelope, then item by item.
//!
//! Two passes are possible. The fast one ([`super::fast`]) streams the envelope and converts
//! every item as it is read, in one pass over the bytes. If anything in it fails (one item of
//! the wrong shape, one status without an id, keys in an unusual order), the body is read again
//! in isolated mode, here: each item is cut out as raw JSON and parsed on its own, so the bad one
//! becomes an [`ItemProblem`] carrying its raw text and the others are read. Both passes produce
//! the same events for the same items; Meta's real deliveries take the fast one.

use serde_json::value::RawValue;
use wa_domain::ids::{PhoneNumberId, WabaId};

use crate::{
    convert::{self, inbound::Contacts, meta_error, opt_string, raw_fields},
    webhook::{
        WebhookError,
        event::{AccountEvent, AccountEventKind, ItemProblem, NumberEvents, WebhookBatch},
        limits::{MAX_BODY_BYTES, MAX_DEPTH, check_depth},
    },
    wire::{json::Str, webhook as wire},
};

/// The `object` of every Cloud API webhook.
pub(super) const WHATSAPP_OBJECT: &str = "whatsapp_business_account";

/// Parses a body whose signature was already checked (or is not checked, in tests and tools).
///
/// # Errors
/// [`WebhookError::TooLarge`], [`WebhookError::TooDeep`], [`WebhookError::NotUtf8`],
/// [`WebhookError::Malformed`] when the body is not a JSON envelope,
/// [`WebhookError::NotWhatsApp`] for another Meta product. Problems with single items are not
/// errors: they are in [`WebhookBatch::problems`].
pub fn parse(body: &[u8]) -> Result<WebhookBatch, WebhookError> {
    let text = checked_text(body)?;
    if let Some(batch) = super::fast::parse_fast(text) {
        return Ok(batch);
    }
    parse_isolated(text)
}

/// Checks that a body is a WhatsApp webhook envelope, as [`parse`] would, without converting
/// its items: what a receiver needs before it stores the body, so that the body is read into
/// events once, later, by whoever processes it. Refuses exactly the bodies [`parse`] refuses:
/// both read the envelope, its entries and changes the same way, and items never refuse a body.
///
/// # Errors
/// As [`parse`].
pub fn check_envelope(body: &[u8]) -> Result<(), WebhookError> {
    let text = checked_text(body)?;
    let envelope = read_envelope_only(text)?;
    check_object(&envelope)
}

/// Size, depth, UTF-8 and a top-level object: what every read of a body checks first.
fn checked_text(body: &[u8]) -> Result<&str, WebhookError> {
    check_size(body)?;
    check_depth(body, MAX_DEPTH).map_err(|offset| WebhookError::TooDeep {
        limit: MAX_DEPTH,
        offset,
    })?;
    // One UTF-8 check of the whole body lets serde borrow every string without checking each.
    let text = std::str::from_utf8(body).map_err(|_| WebhookError::NotUtf8)?;
    // An envelope is an object; serde would read a struct from an array too (`[]`).
    if !text.trim_start().starts_with('{') {
        return Err(WebhookError::Malformed { line: 1, column: 1 });
    }
    Ok(text)
}

/// The envelope with its entries and changes, each change's items cut out raw, unread.
fn read_envelope_only(text: &str) -> Result<wire::Envelope<'_>, WebhookError> {
    serde_json::from_str::<wire::Envelope<'_>>(text).map_err(|error| WebhookError::Malformed {
        line: error.line(),
        column: error.column(),
    })
}

/// Another Meta product's webhook is refused as [`WebhookError::NotWhatsApp`].
fn check_object(envelope: &wire::Envelope<'_>) -> Result<(), WebhookError> {
    if let Some(object) = &envelope.object
        && object.as_str() != WHATSAPP_OBJECT
    {
        return Err(WebhookError::NotWhatsApp {
            object: object.as_str().chars().take(64).collect(),
        });
    }
    Ok(())
}

/// The isolated pass alone: every item cut out raw and read on its own.
pub(super) fn parse_isolated(text: &str) -> Result<WebhookBatch, WebhookError> {
    read_envelope(read_envelope_only(text)?)
}

pub(crate) fn check_size(body: &[u8]) -> Result<(), WebhookError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(WebhookError::TooLarge {
            size: body.len(),
            limit: MAX_BODY_BYTES,
        });
    }
    Ok(())
}

fn read_envelope(envelope: wire::Envelope<'_>) -> Result<WebhookBatch, WebhookError> {
    check_object(&envelope)?;
    let mut batch = WebhookBatch::default();
    for (entry_index, entry) in envelope.entry.into_iter().enumerate() {
        let waba_id = entry
            .id
            .as_ref()
            .and_then(|id| WabaId::parse(id.as_str()).ok());
        for (change_index, change) in entry.changes.into_iter().enumerate() {
            let at = Path {
                entry: entry_index,
                change: change_index,
            };
            read_change(&mut batch, waba_id.as_ref(), change, at);
        }
    }
    Ok(batch)
}

/// Where a change sits in the body, for problem reports.
#[derive(Clone, Copy)]
struct Path {
    entry: usize,
    change: usize,
}

impl Path {
    fn change(self) -> String {
        format!("entry[{}].changes[{}]", self.entry, self.change)
    }

    fn item(self, list: &str, index: usize) -> String {
        format!(
            "entry[{}].changes[{}].value.{list}[{index}]",
            self.entry, self.change
        )
    }
}

fn read_change(
    batch: &mut WebhookBatch,
    waba_id: Option<&WabaId>,
    change: wire::Change<'_>,
    at: Path,
) {
    let field = change.field.as_ref().map_or("", Str::as_str);
    let Some(value) = change.value else {
        batch.problems.push(ItemProblem {
            path: at.change(),
            phone_number_id: None,
            reason: "the change has no `value`".to_owned(),
            raw: String::new(),
        });
        return;
    };
    if field == "messages" {
        read_messages(batch, waba_id, value, at);
    } else {
        batch
            .account_events
            .push(account_event(waba_id, field, &value));
    }
}

/// The raw text of an item for a problem report.
fn raw_text(raw: Option<&RawValue>) -> String {
    raw.map(|raw| raw.get().to_owned()).unwrap_or_default()
}

/// A `messages` change: contacts, messages, statuses and errors of one business number.
fn read_messages(
    batch: &mut WebhookBatch,
    waba_id: Option<&WabaId>,
    value: wire::ChangeValue<'_>,
    at: Path,
) {
    let metadata = value
        .metadata
        .and_then(|raw| serde_json::from_str::<wire::Metadata<'_>>(raw.get()).ok());
    let phone_number_id = metadata
        .as_ref()
        .and_then(|m| m.phone_number_id.as_ref())
        .and_then(|id| PhoneNumberId::parse(id.as_str()).ok());
    let Some(phone_number_id) = phone_number_id else {
        // Without the number the items cannot be routed to a tenant: report each one (with its
        // raw JSON in isolated mode) rather than guess.
        let lists = [
            ("messages", value.messages.len(), value.messages.raw()),
            ("statuses", value.statuses.len(), value.statuses.raw()),
            ("errors", value.errors.len(), value.errors.raw()),
        ];
        for (list, count, raws) in lists {
            for index in 0..count {
                batch.problems.push(ItemProblem {
                    path: at.item(list, index),
                    phone_number_id: None,
                    reason: "`metadata.phone_number_id` is missing or not valid".to_owned(),
                    raw: raw_text(raws.get(index).copied()),
                });
            }
        }
        return;
    };
    let display_phone_number = metadata.and_then(|m| opt_string(m.display_phone_number));

    let position = match batch
        .numbers
        .iter()
        .position(|group| group.phone_number_id == phone_number_id)
    {
        Some(position) => position,
        None => {
            batch.numbers.push(NumberEvents {
                waba_id: waba_id.cloned(),
                phone_number_id,
                display_phone_number,
                messages: Vec::with_capacity(value.messages.len()),
                statuses: Vec::with_capacity(value.statuses.len()),
                errors: Vec::new(),
                unknown: Vec::new(),
            });
            batch.numbers.len() - 1
        }
    };
    let WebhookBatch {
        numbers, problems, ..
    } = batch;
    let group = &mut numbers[position];
    let mut report = |list: &str, index: usize, raw: Option<&RawValue>, reason: String| {
        problems.push(ItemProblem {
            path: at.item(list, index),
            phone_number_id: Some(group.phone_number_id.as_str().to_owned()),
            reason,
            raw: raw_text(raw),
        });
    };

    let mut contacts = Contacts::default();
    value
        .contacts
        .for_each(|index, contact, raw| match contact {
            Ok(contact) => contacts.push(contact),
            Err(error) => report("contacts", index, raw, shape_error(&error)),
        });

    // The events are several hundred bytes each: the converters push them straight into the
    // group instead of handing them back through `Result`s, which would copy them each time.
    value
        .messages
        .for_each(|index, message, raw| match message {
            Ok(item) => {
                if let Err(error) =
                    convert::inbound::push_inbound_event(item, &contacts, &mut group.messages)
                {
                    report("messages", index, raw, error.to_string());
                }
            }
            Err(error) => report("messages", index, raw, shape_error(&error)),
        });
    value.statuses.for_each(|index, status, raw| match status {
        Ok(item) => {
            if let Err(error) = convert::status::push_status_event(item, &mut group.statuses) {
                report("statuses", index, raw, error.to_string());
            }
        }
        Err(error) => report("statuses", index, raw, shape_error(&error)),
    });
    value.errors.for_each(|index, error, raw| match error {
        Ok(error) => group.errors.push(meta_error(error)),
        Err(error) => report("errors", index, raw, shape_error(&error)),
    });
    group.unknown.extend(raw_fields(value.extra));
}

/// Why an item did not match Meta's shape, without quoting any of its content.
fn shape_error(error: &serde_json::Error) -> String {
    format!(
        "the item does not match Meta's shape (column {} of the item)",
        error.column()
    )
}

/// A change that is not about messages, typed where wa knows the field.
pub(super) fn account_event(
    waba_id: Option<&WabaId>,
    field: &str,
    value: &wire::ChangeValue<'_>,
) -> AccountEvent {
    let raw = rebuild_object(value);
    let fields = serde_json::from_str::<wire::AccountFields<'_>>(&raw).unwrap_or_default();
    let kind = match field {
        "message_template_status_update" => AccountEventKind::TemplateStatus {
            event: opt_string(fields.event),
            template_id: opt_string(fields.message_template_id),
            name: opt_string(fields.message_template_name),
            language: opt_string(fields.message_template_language),
            reason: opt_string(fields.reason),
        },
        "account_update" => AccountEventKind::AccountUpdate {
            event: opt_string(fields.event),
            phone_number: opt_string(fields.phone_number),
        },
        "phone_number_quality_update" => AccountEventKind::QualityUpdate {
            event: opt_string(fields.event),
            display_phone_number: opt_string(fields.display_phone_number),
            current_limit: opt_string(fields.current_limit),
        },
        _ => AccountEventKind::Other,
    };
    AccountEvent {
        waba_id: waba_id.cloned(),
        field: field.chars().take(128).collect(),
        kind,
        raw,
    }
}

/// The value as a JSON object again. Only the isolated pass reaches here with lists (the fast
/// pass falls back when a non-`messages` change carries them, see [`parse`]), so each key's
/// value is given back byte for byte as received.
fn rebuild_object(value: &wire::ChangeValue<'_>) -> String {
    let mut out = String::from("{");
    let push_key = |out: &mut String, key: &str| {
        if out.len() > 1 {
            out.push(',');
        }
        // A key is a JSON string again; serde_json cannot fail on a string.
        out.push_str(&serde_json::to_string(key).unwrap_or_default());
        out.push(':');
    };
    if let Some(metadata) = value.metadata {
        push_key(&mut out, "metadata");
        out.push_str(metadata.get());
    }
    let lists = [
        ("contacts", value.contacts.raw()),
        ("messages", value.messages.raw()),
        ("statuses", value.statuses.raw()),
        ("errors", value.errors.raw()),
    ];
    for (key, items) in lists {
        if items.is_empty() {
            continue;
        }
        push_key(&mut out, key);
        out.push('[');
        for (index, item) in items.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push_str(item.get());
        }
        out.push(']');
    }
    for (key, raw) in &value.extra {
        push_key(&mut out, key.as_str());
        out.push_str(raw.get());
    }
    out.push('}');
    out
}
