//! The fast pass: the whole body read in one streaming pass, each item converted as soon as it
//! has been read.
//!
//! Nothing is collected on the way: `entry[]`, `changes[]`, `statuses[]` and `messages[]` are
//! visited in place and every status or message goes straight from the parser into its number's
//! group, so the only allocations are the events themselves. The price is that this pass only
//! handles the shape Meta really sends (`metadata` before the lists, `contacts` before
//! `messages`, `id` before `changes`, every item well formed, each key once). Whenever a body
//! departs from it, the pass gives up ([`parse_fast`] returns `None`) and the caller reads the
//! body again in isolated mode (see [`super::parse`]), which handles any order and reports bad
//! items one by one. So this pass never decides anything the isolated pass would decide
//! differently: it produces exactly the batch the isolated pass would, or nothing.

use std::{fmt, marker::PhantomData};

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::value::RawValue;
use wa_domain::ids::{PhoneNumberId, WabaId};

use crate::{
    convert::{self, inbound::Contacts, meta_error, opt_string, raw_fields},
    webhook::{
        event::{NumberEvents, WebhookBatch},
        parse::{WHATSAPP_OBJECT, account_event},
    },
    wire::{json::Str, webhook as wire},
};

/// Reads `text` in one pass; `None` when the body needs the isolated pass (anything unusual,
/// including every kind of error).
pub(super) fn parse_fast(text: &str) -> Option<WebhookBatch> {
    let mut batch = WebhookBatch::default();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    EnvelopeSeed { batch: &mut batch }
        .deserialize(&mut deserializer)
        .ok()?;
    deserializer.end().ok()?;
    Some(batch)
}

/// Gives up the fast pass. The message is never shown: any error sends the body to the
/// isolated pass.
fn give_up<E: de::Error>() -> E {
    E::custom("the fast pass gives up")
}

/// Implements `Visitor::expecting`.
macro_rules! expecting {
    ($what:literal) => {
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str($what)
        }
    };
}

/// The top-level object: `object` and `entry[]`.
struct EnvelopeSeed<'b> {
    batch: &'b mut WebhookBatch,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = ();
    expecting!("a webhook envelope");

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut object_seen, mut entry_seen) = (false, false);
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.as_str() {
                "object" => {
                    // A repeated key, or another product: the isolated pass says what is wrong.
                    let object = map.next_value::<Option<Str<'de>>>()?;
                    if object_seen || object.is_some_and(|o| o.as_str() != WHATSAPP_OBJECT) {
                        return Err(give_up());
                    }
                    object_seen = true;
                }
                "entry" => {
                    if entry_seen {
                        return Err(give_up());
                    }
                    entry_seen = true;
                    map.next_value_seed(EntriesSeed {
                        batch: &mut *self.batch,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `entry[]`.
struct EntriesSeed<'b> {
    batch: &'b mut WebhookBatch,
}

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_> {
    type Value = ();
    expecting!("a list of entries");

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(EntrySeed {
                batch: &mut *self.batch,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// One `entry[]` item: the WABA `id`, then its `changes[]`.
struct EntrySeed<'b> {
    batch: &'b mut WebhookBatch,
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_> {
    type Value = ();
    expecting!("an entry");

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut id, mut id_seen, mut changes_seen) = (None, false, false);
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.as_str() {
                "id" => {
                    // After `changes`, the changes were read without their WABA.
                    if id_seen || changes_seen {
                        return Err(give_up());
                    }
                    id_seen = true;
                    id = map.next_value::<Option<Str<'de>>>()?;
                }
                "changes" => {
                    if changes_seen {
                        return Err(give_up());
                    }
                    changes_seen = true;
                    map.next_value_seed(ChangesSeed {
                        batch: &mut *self.batch,
                        waba_id: id.as_ref(),
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `changes[]` of one entry.
struct ChangesSeed<'b, 'w> {
    batch: &'b mut WebhookBatch,
    waba_id: Option<&'w Str<'w>>,
}

impl<'de> DeserializeSeed<'de> for ChangesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ChangesSeed<'_, '_> {
    type Value = ();
    expecting!("a list of changes");

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(ChangeSeed {
                batch: &mut *self.batch,
                waba_id: self.waba_id,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// One change. Meta puts `value` before `field`, so the value is read as a `messages` change
/// and checked against the field afterwards.
struct ChangeSeed<'b, 'w> {
    batch: &'b mut WebhookBatch,
    waba_id: Option<&'w Str<'w>>,
}

impl<'de> DeserializeSeed<'de> for ChangeSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ChangeSeed<'_, '_> {
    type Value = ();
    expecting!("a change");

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut field, mut field_seen) = (None::<Str<'de>>, false);
        let mut value = None::<ValueRead<'de>>;
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.as_str() {
                "field" => {
                    if field_seen {
                        return Err(give_up());
                    }
                    field_seen = true;
                    field = map.next_value()?;
                }
                "value" => {
                    if value.is_some() {
                        return Err(give_up());
                    }
                    value = Some(map.next_value_seed(ValueSeed {
                        batch: &mut *self.batch,
                        waba_id: self.waba_id,
                    })?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // A change without a value is a problem the isolated pass reports.
        let value = value.ok_or_else(give_up)?;
        let field = field.as_ref().map_or("", Str::as_str);
        if field == "messages" {
            if let Some(group) = value.group {
                self.batch.numbers[group]
                    .unknown
                    .extend(raw_fields(value.extra));
            }
        } else {
            // Read as a `messages` change, a value holding metadata or items cannot be given
            // back raw as another field's value: the isolated pass keeps them.
            if value.metadata_seen || value.items_seen || value.contacts_seen {
                return Err(give_up());
            }
            let waba_id = self.waba_id.and_then(|id| WabaId::parse(id.as_str()).ok());
            let rebuilt = wire::ChangeValue {
                extra: value.extra,
                ..wire::ChangeValue::default()
            };
            self.batch
                .account_events
                .push(account_event(waba_id.as_ref(), field, &rebuilt));
        }
        Ok(())
    }
}

/// What a change's value left to be decided once its field is known.
struct ValueRead<'de> {
    /// The number's group, when `metadata` named a valid number.
    group: Option<usize>,
    /// `metadata` was present (and not `null`).
    metadata_seen: bool,
    /// A list holding at least one item was read.
    items_seen: bool,
    /// `contacts` held at least one entry.
    contacts_seen: bool,
    /// Keys not modelled, raw.
    extra: Vec<(Str<'de>, &'de RawValue)>,
}

/// The `value` of a change, read as a `messages` change.
struct ValueSeed<'b, 'w> {
    batch: &'b mut WebhookBatch,
    waba_id: Option<&'w Str<'w>>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = ValueRead<'de>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// Which of a value's known keys were read (each may appear once in the fast pass).
#[derive(Default)]
struct Seen {
    metadata: bool,
    contacts: bool,
    messages: bool,
    statuses: bool,
    errors: bool,
}

impl Seen {
    /// Marks `slot` read; `false` when it already was.
    fn first(slot: &mut bool) -> bool {
        !std::mem::replace(slot, true)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = ValueRead<'de>;
    expecting!("a change value object");

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let batch = self.batch;
        let mut read = ValueRead {
            group: None,
            metadata_seen: false,
            items_seen: false,
            contacts_seen: false,
            extra: Vec::new(),
        };
        let mut seen = Seen::default();
        let mut contacts = Contacts::default();
        while let Some(key) = map.next_key::<Str<'de>>()? {
            let first = match key.as_str() {
                "metadata" => Seen::first(&mut seen.metadata),
                "contacts" => Seen::first(&mut seen.contacts),
                "messages" => Seen::first(&mut seen.messages),
                "statuses" => Seen::first(&mut seen.statuses),
                "errors" => Seen::first(&mut seen.errors),
                _ => true,
            };
            if !first {
                return Err(give_up());
            }
            match key.as_str() {
                "metadata" => {
                    let Some(metadata) = map.next_value::<Option<wire::Metadata<'de>>>()? else {
                        continue;
                    };
                    // Items read before the number was known were not routed.
                    if read.items_seen {
                        return Err(give_up());
                    }
                    read.metadata_seen = true;
                    read.group = group_for(batch, self.waba_id, metadata);
                }
                "contacts" => {
                    // Messages already read were matched without these contacts.
                    if seen.messages {
                        return Err(give_up());
                    }
                    map.next_value_seed(each_item(|contact: wire::Contact<'de>| {
                        contacts.push(contact);
                        Ok(())
                    }))?;
                    read.contacts_seen = !contacts.is_empty();
                }
                "messages" => {
                    let contacts = std::mem::take(&mut contacts);
                    let mut target = Target::new(batch, read.group, &mut read.items_seen);
                    map.next_value_seed(each_item(|item: wire::Message<'de>| {
                        let group = target.group()?;
                        reserve_first(&mut group.messages);
                        convert::inbound::push_inbound_event(item, &contacts, &mut group.messages)
                            .map_err(|_| Bail)
                    }))?;
                }
                "statuses" => {
                    let mut target = Target::new(batch, read.group, &mut read.items_seen);
                    map.next_value_seed(each_item(|item: wire::Status<'de>| {
                        let group = target.group()?;
                        reserve_first(&mut group.statuses);
                        convert::status::push_status_event(item, &mut group.statuses)
                            .map_err(|_| Bail)
                    }))?;
                }
                "errors" => {
                    let mut target = Target::new(batch, read.group, &mut read.items_seen);
                    map.next_value_seed(each_item(|item: wire::WebhookError<'de>| {
                        target.group()?.errors.push(meta_error(item));
                        Ok(())
                    }))?;
                }
                "messaging_product" => {
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    let raw = map.next_value::<&'de RawValue>()?;
                    read.extra.push((key, raw));
                }
            }
        }
        Ok(read)
    }
}

/// The group of `metadata`'s number, created on its first change; `None` when the number is
/// missing or not valid (the isolated pass then reports the change's items).
fn group_for(
    batch: &mut WebhookBatch,
    waba_id: Option<&Str<'_>>,
    metadata: wire::Metadata<'_>,
) -> Option<usize> {
    let phone_number_id = PhoneNumberId::parse(metadata.phone_number_id?.as_str()).ok()?;
    if let Some(position) = batch
        .numbers
        .iter()
        .position(|group| group.phone_number_id == phone_number_id)
    {
        return Some(position);
    }
    batch.numbers.push(NumberEvents {
        waba_id: waba_id.and_then(|id| WabaId::parse(id.as_str()).ok()),
        phone_number_id,
        display_phone_number: opt_string(metadata.display_phone_number),
        messages: Vec::new(),
        statuses: Vec::new(),
        errors: Vec::new(),
        unknown: Vec::new(),
    });
    Some(batch.numbers.len() - 1)
}

/// Most deliveries carry one event: the first one gets a vector of one, not of four.
fn reserve_first<T>(events: &mut Vec<T>) {
    if events.capacity() == 0 {
        events.reserve_exact(1);
    }
}

/// Where a list's items go: the value's group, which must be known before the first item.
struct Target<'b, 'f> {
    batch: &'b mut WebhookBatch,
    group: Option<usize>,
    items_seen: &'f mut bool,
}

impl<'b, 'f> Target<'b, 'f> {
    fn new(batch: &'b mut WebhookBatch, group: Option<usize>, items_seen: &'f mut bool) -> Self {
        Self {
            batch,
            group,
            items_seen,
        }
    }

    /// The group for one more item.
    fn group(&mut self) -> Result<&mut NumberEvents, Bail> {
        *self.items_seen = true;
        let group = self.group.ok_or(Bail)?;
        Ok(&mut self.batch.numbers[group])
    }
}

/// The fast pass stopped; which reason does not matter (see [`give_up`]).
struct Bail;

/// A list (or `null`) whose items are handed one by one to a closure, never collected.
struct ItemsSeed<T, F> {
    each: F,
    item: PhantomData<fn(T)>,
}

/// Hands each item of a list of `T` to `each`.
fn each_item<T, F: FnMut(T) -> Result<(), Bail>>(each: F) -> ItemsSeed<T, F> {
    ItemsSeed {
        each,
        item: PhantomData,
    }
}

impl<'de, T, F> DeserializeSeed<'de> for ItemsSeed<T, F>
where
    T: Deserialize<'de>,
    F: FnMut(T) -> Result<(), Bail>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, T, F> Visitor<'de> for ItemsSeed<T, F>
where
    T: Deserialize<'de>,
    F: FnMut(T) -> Result<(), Bail>,
{
    type Value = ();
    expecting!("a list of items");

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<T>()? {
            (self.each)(item).map_err(|Bail| give_up())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The fast pass must agree with the isolated pass whenever it answers.

    use proptest::prelude::*;

    use super::parse_fast;
    use crate::webhook::parse::parse_isolated;

    const FIXTURES: [&str; 10] = [
        "every-type.json",
        "statuses.json",
        "two-wabas.json",
        "duplicates.json",
        "hebrew-4096.json",
        "bsuid-only.json",
        "classic.json",
        "value-errors.json",
        "other-fields.json",
        "bad-items.json",
    ];

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/webhooks/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    /// The fast pass's answer, when it gives one, is the isolated pass's.
    fn check(text: &str) -> bool {
        let Some(fast) = parse_fast(text) else {
            return false;
        };
        let isolated =
            parse_isolated(text).expect("the fast pass read a body the isolated one refuses");
        assert!(isolated.problems.is_empty(), "the fast pass hid problems");
        assert_eq!(fast, isolated);
        true
    }

    #[test]
    fn meta_shaped_fixtures_take_the_fast_pass_and_agree() {
        for name in FIXTURES {
            let text = fixture(name);
            let taken = check(&text);
            // Bad items (reported as problems) and lists in other fields need the isolated pass.
            let clean = parse_isolated(&text).unwrap().problems.is_empty();
            assert_eq!(taken, clean && name != "other-fields.json", "{name}");
        }
    }

    #[test]
    fn unusual_key_orders_fall_back() {
        let status = r#"{"id":"wamid.X","status":"read","timestamp":"1"}"#;
        let contact = r#"{"profile":{"name":"A"},"wa_id":"16505551234"}"#;
        let message = r#"{"from":"16505551234","id":"wamid.M","timestamp":"1","type":"text","text":{"body":"hi"}}"#;
        let metadata = r#"{"phone_number_id":"123"}"#;
        let envelope = |value: &str, entry_keys: &str| {
            format!(
                r#"{{"object":"whatsapp_business_account","entry":[{{{entry_keys}"changes":[{{"value":{value},"field":"messages"}}]}}]}}"#
            )
        };
        // Meta's order: read fast.
        let usual =
            format!(r#"{{"metadata":{metadata},"contacts":[{contact}],"messages":[{message}]}}"#);
        assert!(check(&envelope(&usual, r#""id":"1","#)));
        // Items before the metadata, contacts after the messages, a repeated list, the WABA id
        // after the changes: the isolated pass reads them.
        let bodies = [
            envelope(
                &format!(r#"{{"statuses":[{status}],"metadata":{metadata}}}"#),
                "",
            ),
            envelope(
                &format!(
                    r#"{{"metadata":{metadata},"messages":[{message}],"contacts":[{contact}]}}"#
                ),
                "",
            ),
            envelope(
                &format!(
                    r#"{{"metadata":{metadata},"statuses":[{status}],"statuses":[{status}]}}"#
                ),
                "",
            ),
            format!(
                r#"{{"entry":[{{"changes":[{{"value":{usual},"field":"messages"}}],"id":"1"}}]}}"#
            ),
        ];
        for body in bodies {
            assert!(!check(&body), "{body}");
            let batch = parse_isolated(&body).unwrap();
            assert!(
                batch.problems.is_empty() && !batch.numbers.is_empty(),
                "{body}"
            );
        }
    }

    proptest! {
        #[test]
        fn mutated_fixtures_never_make_the_passes_disagree(
            fixture_index in 0..FIXTURES.len(),
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        ) {
            let mut body = fixture(FIXTURES[fixture_index]).into_bytes();
            for (position, byte) in edits {
                let at = position % body.len().max(1);
                if body.is_empty() {
                    body.push(byte);
                } else if byte % 2 == 0 {
                    body[at] = b"{}[]\",:0a "[usize::from(byte / 2) % 10];
                } else {
                    body.remove(at);
                }
            }
            if let Ok(text) = std::str::from_utf8(&body) {
                check(text);
            }
        }
    }
}
