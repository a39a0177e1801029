//! What the simulator saw and did, kept in bounded buffers for inspection: received Graph
//! requests, accepted messages, read marks and webhook deliveries with their attempts.
//!
//! Each buffer is a ring under its own short mutex: one push per request keeps the hot path
//! cheap, and a load test cannot grow memory without bound.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A bounded ring buffer; the oldest entries fall out.
#[derive(Debug)]
pub(crate) struct Ring<T> {
    capacity: usize,
    items: Mutex<VecDeque<T>>,
}

impl<T: Clone> Ring<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            items: Mutex::new(VecDeque::new()),
        }
    }

    pub(crate) fn push(&self, item: T) {
        let mut items = self.items.lock().unwrap_or_else(PoisonError::into_inner);
        if items.len() == self.capacity {
            items.pop_front();
        }
        items.push_back(item);
    }

    pub(crate) fn snapshot(&self) -> Vec<T> {
        let items = self.items.lock().unwrap_or_else(PoisonError::into_inner);
        items.iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// Running totals since the simulator started (a reset does not zero them): cheap to read
/// while a load test runs, unlike the bounded records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Graph requests received.
    pub requests: u64,
    /// Webhook POSTs produced (delivered, pending, given up, dropped or without a callback URL).
    pub webhooks: u64,
}

/// One Graph request as received (the `access_token` and `appsecret_proof` query parameters are
/// redacted; the `Authorization` header is not kept).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// Order of arrival, from 1.
    pub seq: u64,
    /// Simulator time (Unix milliseconds).
    pub at_ms: u64,
    /// HTTP method.
    pub method: String,
    /// Path, e.g. `/v23.0/100000000000001/messages`.
    pub path: String,
    /// Query string (redacted), if any.
    pub query: Option<String>,
    /// The body as text (multipart bodies are summarised; long bodies are cut at 64 KiB).
    pub body: String,
    /// The HTTP status answered (0 when the connection was dropped without an answer).
    pub status: u16,
    /// The Graph error code answered, if any.
    pub error_code: Option<u32>,
}

/// A message the simulator accepted (answered with a wamid).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AcceptedMessage {
    /// The wamid answered.
    pub wamid: String,
    /// The sending number.
    pub phone_number_id: String,
    /// `to` as sent, if any.
    pub to: Option<String>,
    /// `recipient` (BSUID) as sent, if any.
    pub recipient: Option<String>,
    /// The recipient's BSUID.
    pub user_id: String,
    /// The message `type`.
    pub message_type: String,
    /// The request body.
    pub body: Value,
    /// `biz_opaque_callback_data`, echoed in status webhooks.
    pub biz_opaque_callback_data: Option<String>,
    /// Simulator time (Unix milliseconds).
    pub at_ms: u64,
}

/// A mark-as-read call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadMark {
    /// The number that marked it.
    pub phone_number_id: String,
    /// The inbound wamid marked as read.
    pub message_id: String,
    /// Whether a typing indicator was asked for.
    pub typing_indicator: bool,
    /// Simulator time (Unix milliseconds).
    pub at_ms: u64,
}

/// Where a webhook POST stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not yet answered with 200; retries are due.
    Pending,
    /// Answered with exactly 200.
    Delivered,
    /// Every attempt failed.
    GaveUp,
    /// Dropped on purpose (`drop_rate`): never sent.
    Dropped,
    /// No callback URL is configured, or the WABA is not subscribed.
    Undeliverable,
}

/// One attempt to POST a webhook.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// Simulator time of the attempt (Unix milliseconds).
    pub at_ms: u64,
    /// The HTTP status answered, if any.
    pub status: Option<u16>,
    /// The transport error, if there was no answer.
    pub error: Option<String>,
}

/// One webhook POST (possibly holding several updates) and its attempts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// Order of creation, from 1.
    pub id: u64,
    /// The callback URL it goes to (if any).
    pub url: Option<String>,
    /// The exact body sent (ASCII JSON).
    pub body: String,
    /// The `X-Hub-Signature-256` header value, when an app secret is set.
    pub signature: Option<String>,
    /// How many updates (statuses or messages) the body holds.
    pub updates: usize,
    /// Whether this POST repeats updates already sent (duplicate injection).
    pub duplicate: bool,
    /// Attempts so far.
    pub attempts: Vec<DeliveryAttempt>,
    /// Where it stands.
    pub state: DeliveryState,
}

/// Shared, updatable record of one delivery.
pub(crate) type DeliveryCell = Arc<Mutex<WebhookDelivery>>;

/// All records of a simulation.
#[derive(Debug)]
pub(crate) struct Records {
    pub(crate) requests: Ring<RecordedRequest>,
    pub(crate) messages: Ring<AcceptedMessage>,
    pub(crate) reads: Ring<ReadMark>,
    pub(crate) deliveries: Ring<DeliveryCell>,
    request_seq: AtomicU64,
    delivery_seq: AtomicU64,
}

impl Records {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            requests: Ring::new(capacity),
            messages: Ring::new(capacity),
            reads: Ring::new(capacity),
            deliveries: Ring::new(capacity),
            request_seq: AtomicU64::new(0),
            delivery_seq: AtomicU64::new(0),
        }
    }

    pub(crate) fn next_request_seq(&self) -> u64 {
        self.request_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub(crate) fn next_delivery_id(&self) -> u64 {
        self.delivery_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// How many requests and webhook POSTs there were since start, without copying any record.
    pub(crate) fn totals(&self) -> Totals {
        Totals {
            requests: self.request_seq.load(Ordering::Relaxed),
            webhooks: self.delivery_seq.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.deliveries
            .snapshot()
            .iter()
            .map(|cell| cell.lock().unwrap_or_else(PoisonError::into_inner).clone())
            .collect()
    }

    pub(crate) fn clear(&self) {
        self.requests.clear();
        self.messages.clear();
        self.reads.clear();
        self.deliveries.clear();
    }
}
