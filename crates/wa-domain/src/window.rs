//! The 24-hour customer-service window, and the rule it imposes on sending.
//!
//! A customer's message opens a window of 24 hours; each further message resets it to 24 hours
//! from that message (cloud-api.md §5). Inside it any message may be sent; outside it only an
//! approved template, else Meta refuses with 131047. We enforce the rule before calling Meta, when a
//! message is accepted and again when it leaves the queue.
//!
//! Which inbound messages open a window is decided by
//! [`InboundContent::opens_window`](crate::inbound::InboundContent::opens_window): customer
//! messages do; statuses, reactions and `system` events do not. A late webhook never moves the
//! expiry backwards: the expiry is the maximum over all opening messages.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::content::OutboundContent;

/// How long a window stays open after the customer's latest message.
pub const WINDOW_LENGTH: Duration = Duration::hours(24);

/// The window of one (tenant, customer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The customer's latest window-opening message.
    pub last_inbound_at: OffsetDateTime,
    /// 24 hours after it.
    pub expires_at: OffsetDateTime,
}

impl Window {
    /// The window opened by a message sent at `at`.
    pub fn opened_by(at: OffsetDateTime) -> Self {
        Self {
            last_inbound_at: at,
            expires_at: at + WINDOW_LENGTH,
        }
    }

    /// The window after a customer message sent at `at` arrived, possibly late: it only ever moves forward.
    pub fn refreshed(existing: Option<Self>, at: OffsetDateTime) -> Self {
        let candidate = Self::opened_by(at);
        match existing {
            Some(window) if window.last_inbound_at >= candidate.last_inbound_at => window,
            _ => candidate,
        }
    }

    /// Whether free-form messages may be sent at `now`.
    pub fn is_open(&self, now: OffsetDateTime) -> bool {
        now < self.expires_at
    }
}

/// Why a free-form message may not be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe_closed(*.closed_at))]
pub struct WindowClosed {
    /// When the window closed; `None` when the customer never wrote.
    pub closed_at: Option<OffsetDateTime>,
}

fn describe_closed(closed_at: Option<OffsetDateTime>) -> String {
    let when = match closed_at {
        Some(at) => format!("the customer-service window closed at {at}"),
        None => {
            "the customer has not written to this business, so no customer-service window is open"
                .to_owned()
        }
    };
    format!("{when}; only an approved template message can be sent until the customer writes again")
}

/// The send rule: templates may always go; anything else only while the window is open.
///
/// # Errors
/// [`WindowClosed`] with the time it closed (or `None` if it never opened).
pub fn check_send(
    content: &OutboundContent,
    window: Option<&Window>,
    now: OffsetDateTime,
) -> Result<(), WindowClosed> {
    if content.is_template() {
        return Ok(());
    }
    match window {
        Some(window) if window.is_open(now) => Ok(()),
        Some(window) => Err(WindowClosed {
            closed_at: Some(window.expires_at),
        }),
        None => Err(WindowClosed { closed_at: None }),
    }
}

#[cfg(test)]
mod tests;
