//! Background work: delivering accepted messages to Meta, processing stored webhooks, pruning
//! old events and announcing window deadlines.
//!
//! All stop when their cancellation token fires: they stop taking new work and let what is in
//! flight finish, so a graceful shutdown loses nothing (and a crash loses nothing either: a
//! pending message is found again at start, a claimed webhook's lease runs out).

pub mod account_events;
pub mod delivery;
pub mod event_retention;
pub mod health;
pub mod inbox;
pub mod nul_escapes;
pub mod window_deadlines;
