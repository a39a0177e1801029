//! Tests for the 24-hour window and the send rule.

use time::{Duration, macros::datetime};

use super::*;
use crate::content::{OutboundContent, Text};

fn text() -> OutboundContent {
    OutboundContent::Text(Text::new("hello", false).unwrap())
}

#[test]
fn opens_for_24_hours_from_the_message() {
    let at = datetime!(2026-11-24 10:00 UTC);
    let window = Window::opened_by(at);
    assert_eq!(window.expires_at, datetime!(2026-11-25 10:00 UTC));
    assert!(window.is_open(at + Duration::hours(23) + Duration::minutes(59)));
    assert!(!window.is_open(at + Duration::hours(24)));
}

#[test]
fn a_newer_message_moves_it_forward() {
    let first = Window::opened_by(datetime!(2026-11-24 10:00 UTC));
    let refreshed = Window::refreshed(Some(first), datetime!(2026-11-24 18:00 UTC));
    assert_eq!(refreshed.expires_at, datetime!(2026-11-25 18:00 UTC));
}

#[test]
fn a_late_webhook_never_moves_it_backwards() {
    let current = Window::opened_by(datetime!(2026-11-24 18:00 UTC));
    let after_late = Window::refreshed(Some(current), datetime!(2026-11-24 10:00 UTC));
    assert_eq!(after_late, current);
}

#[test]
fn free_form_needs_an_open_window() {
    let now = datetime!(2026-11-24 12:00 UTC);
    let open = Window::opened_by(datetime!(2026-11-24 11:00 UTC));
    assert_eq!(check_send(&text(), Some(&open), now), Ok(()));

    let closed = Window::opened_by(datetime!(2026-11-22 11:00 UTC));
    let err = check_send(&text(), Some(&closed), now).unwrap_err();
    assert_eq!(err.closed_at, Some(datetime!(2026-11-23 11:00 UTC)));
    let message = err.to_string();
    assert!(message.contains("closed at 2026-11-23"), "{message}");
    assert!(message.contains("template"), "{message}");

    let never = check_send(&text(), None, now).unwrap_err();
    assert_eq!(never.closed_at, None);
    assert!(never.to_string().contains("template"));
}
