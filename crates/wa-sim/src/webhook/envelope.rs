//! Meta's webhook envelope: `object`, `entry[]` per WABA, `changes[]` with `field: "messages"`
//! and a `value` holding `metadata`, `contacts`, and `messages` or `statuses`.

use serde::Serialize;
use serde_json::Value;

use crate::ascii_json::to_ascii_json;
use crate::webhook::{Update, UpdateKind};

#[derive(Serialize)]
struct Envelope<'a> {
    object: &'static str,
    entry: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    id: &'a str,
    /// Unix seconds; Meta gives it on account and template fields, not on `messages`.
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<u64>,
    changes: Vec<Change<'a>>,
}

#[derive(Serialize)]
struct Change<'a> {
    value: ChangeBody<'a>,
    field: &'static str,
}

/// A messages change, or another field's value as given.
#[derive(Serialize)]
#[serde(untagged)]
enum ChangeBody<'a> {
    Messages(ChangeValue<'a>),
    Raw(&'a Value),
}

#[derive(Serialize)]
struct ChangeValue<'a> {
    messaging_product: &'static str,
    metadata: Metadata<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    contacts: Vec<&'a Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<&'a Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    statuses: Vec<&'a Value>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    display_phone_number: &'a str,
    phone_number_id: &'a str,
}

/// The exact body of one POST holding `updates`: one entry per WABA, one change per
/// (number, messages-or-statuses), in order of first appearance. Contacts are listed once.
pub(crate) fn envelope_body(updates: &[&Update]) -> Vec<u8> {
    let mut entries: Vec<Entry<'_>> = Vec::new();
    for update in updates {
        let field_time = match &update.kind {
            UpdateKind::Field { time, .. } => Some(*time),
            _ => None,
        };
        // A field change gets an entry of its own kind: one with a `time` is not shared with
        // `messages` changes, which carry none.
        let entry_at = match entries
            .iter()
            .position(|e| e.id == update.waba_id && e.time.is_some() == field_time.is_some())
        {
            Some(at) => at,
            None => {
                entries.push(Entry {
                    id: &update.waba_id,
                    time: field_time,
                    changes: Vec::new(),
                });
                entries.len() - 1
            }
        };
        let changes = &mut entries[entry_at].changes;
        if let UpdateKind::Field { field, value, .. } = &update.kind {
            changes.push(Change {
                value: ChangeBody::Raw(value),
                field,
            });
            continue;
        }
        let is_status = matches!(update.kind, UpdateKind::Status { .. });
        let change_at = changes.iter().position(|c| match &c.value {
            // Every existing change holds at least one item, so this tells its kind.
            ChangeBody::Messages(value) => {
                value.metadata.phone_number_id == update.phone_number_id
                    && value.statuses.is_empty() != is_status
            }
            ChangeBody::Raw(_) => false,
        });
        let change_at = match change_at {
            Some(at) => at,
            None => {
                changes.push(Change {
                    value: ChangeBody::Messages(ChangeValue {
                        messaging_product: "whatsapp",
                        metadata: Metadata {
                            display_phone_number: &update.display_digits,
                            phone_number_id: &update.phone_number_id,
                        },
                        contacts: Vec::new(),
                        messages: Vec::new(),
                        statuses: Vec::new(),
                    }),
                    field: "messages",
                });
                changes.len() - 1
            }
        };
        let ChangeBody::Messages(value) = &mut changes[change_at].value else {
            continue;
        };
        let contact = match &update.kind {
            UpdateKind::Status { status, contact } => {
                value.statuses.push(status);
                contact
            }
            UpdateKind::Message { message, contact } => {
                value.messages.push(message);
                contact
            }
            UpdateKind::Field { .. } => continue,
        };
        if let Some(contact) = contact
            && !value
                .contacts
                .iter()
                .any(|c| c["user_id"] == contact["user_id"])
        {
            value.contacts.push(contact);
        }
    }
    to_ascii_json(&Envelope {
        object: "whatsapp_business_account",
        entry: entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn status(waba: &str, number: &str, id: &str) -> Update {
        Update {
            waba_id: waba.into(),
            phone_number_id: number.into(),
            display_digits: "15550100001".into(),
            kind: UpdateKind::Status {
                status: json!({"id": id, "status": "sent"}),
                contact: None,
            },
        }
    }

    #[test]
    fn field_changes_carry_the_entry_time() {
        let field = Update {
            waba_id: "w1".into(),
            phone_number_id: String::new(),
            display_digits: String::new(),
            kind: UpdateKind::Field {
                field: "account_update",
                value: json!({"event": "VERIFIED_ACCOUNT"}),
                time: 1_700_000_000,
            },
        };
        let message = status("w1", "p1", "m1");
        let body: Value = serde_json::from_slice(&envelope_body(&[&field, &message])).unwrap();
        assert_eq!(body["entry"][0]["time"], 1_700_000_000);
        assert_eq!(body["entry"][0]["changes"][0]["field"], "account_update");
        assert!(body["entry"][1].get("time").is_none());
        assert_eq!(body["entry"][1]["changes"][0]["field"], "messages");
    }

    #[test]
    fn batches_group_by_waba_and_number() {
        let a = status("w1", "p1", "m1");
        let b = status("w1", "p1", "m2");
        let c = status("w2", "p2", "m3");
        let body: Value = serde_json::from_slice(&envelope_body(&[&a, &b, &c])).unwrap();
        assert_eq!(body["object"], "whatsapp_business_account");
        assert_eq!(body["entry"].as_array().unwrap().len(), 2);
        let value = &body["entry"][0]["changes"][0]["value"];
        assert_eq!(body["entry"][0]["changes"][0]["field"], "messages");
        assert_eq!(value["statuses"].as_array().unwrap().len(), 2);
        assert_eq!(value["metadata"]["phone_number_id"], "p1");
        assert!(value.get("messages").is_none());
    }
}
