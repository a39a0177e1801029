//! The message lifecycle as a monotonic state machine.
//!
//! Meta's status webhooks arrive duplicated, late and out of order (cloud-api.md §3.2), so a
//! transition is decided by rank alone: the stored state only ever moves to a higher rank.
//! `failed` has the highest rank, which makes the outcome independent of arrival order: any
//! order of the same set of statuses ends in the same state (shown by a property test).
//! A `delivered` or `read` that arrives after `failed` (multi-device users) does not move the
//! state, but its timestamp is recorded and the caller logs it ([`Transition::AfterFailure`]).
//!
//! | rank | state | set by |
//! |---|---|---|
//! | 0 | pending | stored, not yet accepted by Meta |
//! | 1 | accepted | Meta's send response (wamid) |
//! | 2 | sent | status webhook |
//! | 3 | delivered | status webhook |
//! | 4 | read | status webhook |
//! | 5 | played | status webhook (voice messages) |
//! | 6 | failed | send error or status webhook; terminal |

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::validation::{ValidationError, Violation};

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Stored by us; Meta has not accepted it yet.
    Pending,
    /// Meta accepted it and gave it a wamid.
    Accepted,
    /// Meta sent it to the user's device.
    Sent,
    /// The user's device received it.
    Delivered,
    /// The user opened it.
    Read,
    /// The user played a voice message.
    Played,
    /// It will not be delivered.
    Failed,
}

impl MessageStatus {
    /// Every state, in rank order.
    pub const ALL: [Self; 7] = [
        Self::Pending,
        Self::Accepted,
        Self::Sent,
        Self::Delivered,
        Self::Read,
        Self::Played,
        Self::Failed,
    ];

    /// The rank that orders transitions (see the module table). Stores compare on it.
    pub fn rank(self) -> i16 {
        match self {
            Self::Pending => 0,
            Self::Accepted => 1,
            Self::Sent => 2,
            Self::Delivered => 3,
            Self::Read => 4,
            Self::Played => 5,
            Self::Failed => 6,
        }
    }

    /// The state of a rank, for rows read back from a store.
    pub fn from_rank(rank: i16) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.rank() == rank)
    }

    /// Stable lower-case name, as stored and as shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Played => "played",
            Self::Failed => "failed",
        }
    }

    /// True once nothing more can happen to the message's sending.
    pub fn is_terminal(self) -> bool {
        self == Self::Failed
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageStatus {
    type Err = ValidationError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
            .ok_or_else(|| {
                ValidationError::new(
                    "status",
                    Violation::Format {
                        expected: "one of pending, accepted, sent, delivered, read, played, failed",
                    },
                )
            })
    }
}

/// What applying an incoming status to a stored state does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The state moves forward.
    Advanced {
        /// The state before.
        from: MessageStatus,
        /// The state after.
        to: MessageStatus,
    },
    /// The same status again: nothing changes.
    Duplicate,
    /// A lower-ranked status arriving late: the state stays; its timestamp may fill a gap.
    Stale,
    /// A success status after `failed`: the state stays failed, the timestamp is recorded,
    /// and the caller logs it as a surprise worth knowing about.
    AfterFailure,
    /// `pending` is never an incoming status; a stray one changes nothing.
    Ignored,
}

impl Transition {
    /// The state after the transition.
    pub fn resulting_state(self, current: MessageStatus) -> MessageStatus {
        match self {
            Self::Advanced { to, .. } => to,
            _ => current,
        }
    }
}

/// Decides what an incoming status does to the stored state.
pub fn transition(current: MessageStatus, incoming: MessageStatus) -> Transition {
    if incoming == MessageStatus::Pending {
        return Transition::Ignored;
    }
    if incoming == current {
        return Transition::Duplicate;
    }
    if incoming.rank() > current.rank() {
        return Transition::Advanced {
            from: current,
            to: incoming,
        };
    }
    if current == MessageStatus::Failed {
        return Transition::AfterFailure;
    }
    Transition::Stale
}

/// When the message reached each state. Each keeps the earliest time reported, so the record
/// is the same whatever order the webhooks arrived in, and a late webhook still fills a gap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusTimestamps {
    /// Meta accepted the message.
    pub accepted_at: Option<OffsetDateTime>,
    /// Sent to the device.
    pub sent_at: Option<OffsetDateTime>,
    /// Delivered to the device.
    pub delivered_at: Option<OffsetDateTime>,
    /// Read by the user.
    pub read_at: Option<OffsetDateTime>,
    /// Voice message played.
    pub played_at: Option<OffsetDateTime>,
    /// Failed.
    pub failed_at: Option<OffsetDateTime>,
}

impl StatusTimestamps {
    /// Records that `status` happened at `at`, keeping the earliest time per state.
    pub fn record(&mut self, status: MessageStatus, at: OffsetDateTime) {
        let slot = match status {
            MessageStatus::Pending => return,
            MessageStatus::Accepted => &mut self.accepted_at,
            MessageStatus::Sent => &mut self.sent_at,
            MessageStatus::Delivered => &mut self.delivered_at,
            MessageStatus::Read => &mut self.read_at,
            MessageStatus::Played => &mut self.played_at,
            MessageStatus::Failed => &mut self.failed_at,
        };
        *slot = Some(slot.map_or(at, |existing| existing.min(at)));
    }

    /// The time recorded for one state.
    pub fn get(&self, status: MessageStatus) -> Option<OffsetDateTime> {
        match status {
            MessageStatus::Pending => None,
            MessageStatus::Accepted => self.accepted_at,
            MessageStatus::Sent => self.sent_at,
            MessageStatus::Delivered => self.delivered_at,
            MessageStatus::Read => self.read_at,
            MessageStatus::Played => self.played_at,
            MessageStatus::Failed => self.failed_at,
        }
    }
}

/// A message's state and timestamps together; what a store keeps per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// The current state.
    pub status: MessageStatus,
    /// When each state was reached.
    pub timestamps: StatusTimestamps,
}

impl Lifecycle {
    /// A message just stored.
    pub fn pending() -> Self {
        Self {
            status: MessageStatus::Pending,
            timestamps: StatusTimestamps::default(),
        }
    }

    /// Applies one incoming status: moves the state per [`transition`] and records the time.
    pub fn apply(&mut self, incoming: MessageStatus, at: OffsetDateTime) -> Transition {
        let step = transition(self.status, incoming);
        self.status = step.resulting_state(self.status);
        if step != Transition::Ignored {
            self.timestamps.record(incoming, at);
        }
        step
    }
}

#[cfg(test)]
mod tests;
