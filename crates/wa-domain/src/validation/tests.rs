//! Tests for the validation error and text limits.

use super::*;

#[test]
fn counts_characters_not_bytes() {
    let hebrew = "ש".repeat(10);
    assert!(bounded_text("body", hebrew.clone(), 10).is_ok());
    let err = bounded_text("body", format!("{hebrew}ש"), 10).unwrap_err();
    assert_eq!(
        err.violation(),
        &Violation::TooLong {
            max: 10,
            actual: 11
        }
    );
    assert_eq!(
        err.to_string(),
        "body: must be at most 10 characters (got 11)"
    );
}

#[test]
fn empty_and_blank_are_rejected() {
    for text in ["", "   ", "\n"] {
        let err = bounded_text("body", text, 10).unwrap_err();
        assert_eq!(err.violation(), &Violation::Empty);
    }
}

#[test]
fn within_builds_dotted_paths() {
    let err = ValidationError::new("title", Violation::Empty)
        .within("buttons[1]")
        .within("interactive");
    assert_eq!(err.field(), "interactive.buttons[1].title");
    let err = ValidationError::new("[3]", Violation::Empty).within("rows");
    assert_eq!(err.field(), "rows[3]");
}

#[test]
fn optional_text_passes_none() {
    assert_eq!(optional_bounded_text("caption", None, 5).unwrap(), None);
    assert!(optional_bounded_text("caption", Some("toolong".into()), 5).is_err());
}
