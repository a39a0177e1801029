//! Webhooks as Meta sends them: updates (statuses and inbound messages) are queued by the
//! request handlers, and a background dispatcher times, batches, perturbs (drops, duplicates,
//! reordering), signs and POSTs them, retrying until the receiver answers exactly 200.
//!
//! The queue is an unbounded channel: a send never waits for webhook delivery.

mod dispatch;
mod envelope;

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::sync::mpsc;

pub(crate) use dispatch::run as run_dispatcher;
pub(crate) use envelope::envelope_body;

/// One update: a status of one of our messages or a customer's message.
#[derive(Debug, Clone)]
pub(crate) struct Update {
    pub(crate) waba_id: String,
    pub(crate) phone_number_id: String,
    pub(crate) display_digits: String,
    pub(crate) kind: UpdateKind,
}

/// What an update carries.
#[derive(Debug, Clone)]
pub(crate) enum UpdateKind {
    /// A `statuses[]` item, with the `contacts[]` entry that goes with it (if any).
    Status {
        status: Value,
        contact: Option<Value>,
    },
    /// A `messages[]` item, with its `contacts[]` entry (none for `system`).
    Message {
        message: Value,
        contact: Option<Value>,
    },
    /// A change of another field (`message_template_status_update`, `account_update`,
    /// `phone_number_quality_update`, …): its own change, with `value` as given, and the
    /// entry's `time` (Unix seconds), which Meta gives on these fields.
    Field {
        field: &'static str,
        value: Value,
        time: u64,
    },
}

/// Work for the dispatcher.
#[derive(Debug)]
pub(crate) enum Job {
    /// Updates to send, each after its delay.
    Schedule(Vec<(Duration, Update)>),
    /// The webhook behaviour changed (new seed, new concurrency).
    Reconfigure,
    /// Forget every update not yet sent (reset).
    Clear,
}

/// The sending side of the webhook queue.
#[derive(Debug, Clone)]
pub(crate) struct WebhookQueue {
    sender: mpsc::UnboundedSender<Job>,
}

impl WebhookQueue {
    pub(crate) fn new() -> (Self, mpsc::UnboundedReceiver<Job>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self { sender }, receiver)
    }

    pub(crate) fn schedule(&self, updates: Vec<(Duration, Update)>) {
        // After shutdown nobody listens; dropping the updates is the right outcome then.
        let _ = self.sender.send(Job::Schedule(updates));
    }

    pub(crate) fn reconfigure(&self) {
        let _ = self.sender.send(Job::Reconfigure);
    }

    pub(crate) fn clear(&self) {
        let _ = self.sender.send(Job::Clear);
    }
}

/// The `X-Hub-Signature-256` value Meta sends: `sha256=` and the lowercase hex
/// HMAC-SHA256 of the raw body, keyed with the app secret.
pub fn signature_header(app_secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hmac_sha256_hex(app_secret.as_bytes(), body))
}

/// Lowercase hex HMAC-SHA256.
pub(crate) fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    // HMAC takes keys of any length (long keys are hashed), so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_rfc_4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            signature_header("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
