//! The tenants' application: an HTTP endpoint on loopback that wa posts events to.
//!
//! It keeps what the figures need: each message's wamid (from its `accepted` event), when each
//! message's `delivered` and `read` events arrived, and every event id, to count duplicates.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, PoisonError},
    time::Instant,
};

use axum::{
    Router, body::Bytes, extract::State, http::StatusCode, routing::post, serve::ListenerExt,
};
use serde::Deserialize;

/// What arrived, shared with the handler.
#[derive(Default)]
struct Seen {
    ids: HashSet<String>,
    duplicates: usize,
    received: usize,
    /// message id -> wamid, from `accepted`.
    wamids: HashMap<String, String>,
    /// wamid -> arrival of its `delivered` event.
    delivered: HashMap<String, Instant>,
    /// Arrival of every `read` event.
    read: Vec<Instant>,
    /// Arrival of every `pending` and `accepted` event.
    send_events: Vec<Instant>,
}

/// The running receiver.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) url: String,
    seen: Arc<Mutex<Seen>>,
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: Data,
}

#[derive(Default, Deserialize)]
struct Data {
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    wamid: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

pub(crate) async fn start() -> anyhow::Result<Receiver> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = Router::new()
        .route("/events", post(take))
        .with_state(Arc::clone(&seen));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/events", listener.local_addr()?);
    // As in `wa serve`: answers leave at once instead of after the peer's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Receiver { url, seen })
}

async fn take(State(seen): State<Arc<Mutex<Seen>>>, body: Bytes) -> StatusCode {
    let now = Instant::now();
    let Ok(event) = serde_json::from_slice::<Event>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
    seen.received += 1;
    if !seen.ids.insert(event.id) {
        seen.duplicates += 1;
        return StatusCode::OK;
    }
    if event.kind != "message.status" {
        return StatusCode::OK;
    }
    match event.data.status.as_deref() {
        Some("pending") => seen.send_events.push(now),
        Some("accepted") => {
            seen.send_events.push(now);
            if let (Some(id), Some(wamid)) = (event.data.message_id, event.data.wamid) {
                seen.wamids.insert(id, wamid);
            }
        }
        Some("delivered") => {
            if let Some(wamid) = event.data.wamid {
                seen.delivered.insert(wamid, now);
            }
        }
        Some("read") => seen.read.push(now),
        _ => {}
    }
    StatusCode::OK
}

impl Receiver {
    fn with<T>(&self, read: impl FnOnce(&Seen) -> T) -> T {
        read(&self.seen.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn received(&self) -> usize {
        self.with(|seen| seen.received)
    }

    pub(crate) fn duplicates(&self) -> usize {
        self.with(|seen| seen.duplicates)
    }

    /// The wamid of a message once its `accepted` event arrived.
    pub(crate) fn wamid(&self, message_id: &str) -> Option<String> {
        self.with(|seen| seen.wamids.get(message_id).cloned())
    }

    pub(crate) fn delivered_at(&self, wamid: &str) -> Option<Instant> {
        self.with(|seen| seen.delivered.get(wamid).copied())
    }

    pub(crate) fn delivered_count(&self) -> usize {
        self.with(|seen| seen.delivered.len())
    }

    /// How many `read` events arrived, and the last one's arrival.
    pub(crate) fn read_events(&self) -> (usize, Option<Instant>) {
        self.with(|seen| (seen.read.len(), seen.read.iter().max().copied()))
    }

    /// How many `pending`/`accepted` events arrived, and the last one's arrival.
    pub(crate) fn send_events(&self) -> (usize, Option<Instant>) {
        self.with(|seen| {
            (
                seen.send_events.len(),
                seen.send_events.iter().max().copied(),
            )
        })
    }
}
