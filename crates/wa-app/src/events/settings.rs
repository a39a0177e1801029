//! How outbound events are delivered: `WA_EVENT_*` settings and their defaults.

use std::time::Duration;

use super::ssrf::{Net, OutboundPolicy};

/// Outbound event delivery settings.
#[derive(Debug, Clone)]
pub struct EventDeliverySettings {
    /// `WA_EVENT_DELIVERY_MAX_AGE_HOURS` (default 24): an event that still fails once it is
    /// this old (counted from when wa recorded it, or from the redelivery request) becomes a
    /// dead letter and the endpoint moves on.
    pub max_age: time::Duration,
    /// Which targets the outbound client may call (`WA_EVENT_ALLOWED_NETS`, `WA_EVENT_ALLOW_HTTP`).
    pub policy: OutboundPolicy,
    /// `WA_EVENT_DELIVERY_CONCURRENCY` (default 64): posts in flight at once in this process,
    /// over all endpoints.
    pub concurrency: usize,
    /// Posts in flight at once for one endpoint (different customers; default 8).
    pub per_endpoint: usize,
    /// Events read ahead of the cursor per endpoint while some customer's event waits (1000).
    pub window: usize,
    /// How long an endpoint's lease lasts; renewed at a third of it.
    pub lease: Duration,
    /// How often an idle endpoint looks for new events, and the supervisor for free endpoints.
    pub poll: Duration,
    /// The first retry wait; doubles (with jitter) up to `retry_cap`.
    pub retry_base: time::Duration,
    /// The longest retry wait.
    pub retry_cap: time::Duration,
    /// How long a rotated secret keeps signing beside the new one.
    pub rotation_grace: time::Duration,
    /// Endpoints one process delivers at most.
    pub max_endpoints: usize,
    /// Connecting to an endpoint (5 s).
    pub connect_timeout: Duration,
    /// The whole request, answer included (10 s).
    pub request_timeout: Duration,
}

impl Default for EventDeliverySettings {
    fn default() -> Self {
        Self {
            max_age: time::Duration::hours(24),
            policy: OutboundPolicy::default(),
            concurrency: 64,
            per_endpoint: 8,
            window: 1000,
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(500),
            retry_base: time::Duration::seconds(2),
            retry_cap: time::Duration::minutes(10),
            rotation_grace: time::Duration::hours(24),
            max_endpoints: 10_000,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Parses `WA_EVENT_ALLOWED_NETS`: comma-separated addresses or CIDR blocks.
///
/// # Errors
/// The first entry that is neither.
pub fn parse_allowed_nets(value: &str) -> Result<Vec<Net>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<Net>()
                .map_err(|_| format!("`{entry}` is not an address or CIDR block like 127.0.0.1/32"))
        })
        .collect()
}
