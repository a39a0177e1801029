//! Tests for interactive messages: every limit at its edge, uniqueness, and the paths errors name.

use super::*;

/// `None`: must be accepted; `Some((field, violation))`: must be refused with exactly that.
type Expected = Option<(&'static str, Violation)>;

fn check<T: std::fmt::Debug>(case: &str, result: Result<T, ValidationError>, expected: Expected) {
    match (result, expected) {
        (Ok(_), None) => {}
        (Err(err), Some((field, violation))) => {
            assert_eq!(err.field(), field, "{case}: field of `{err}`");
            assert_eq!(err.violation(), &violation, "{case}: violation of `{err}`");
        }
        (Ok(value), Some((field, _))) => panic!("{case}: accepted {value:?}, expected {field}"),
        (Err(err), None) => panic!("{case}: refused with `{err}`"),
    }
}

fn too_long(max: usize) -> Violation {
    Violation::TooLong {
        max,
        actual: max + 1,
    }
}

fn buttons(titles: &[&str]) -> Vec<ReplyButton> {
    titles
        .iter()
        .enumerate()
        .map(|(i, title)| ReplyButton::new(format!("b{i}"), *title))
        .collect()
}

fn reply_buttons(
    change: impl FnOnce(&mut ReplyButtonsFields),
) -> Result<ReplyButtons, ValidationError> {
    let mut fields = ReplyButtonsFields {
        header: None,
        body: "Which size?".into(),
        footer: None,
        buttons: buttons(&["S", "M", "L"]),
    };
    change(&mut fields);
    ReplyButtons::new(fields)
}

#[test]
fn reply_button_limits() {
    let cases: Vec<(&str, Result<ReplyButtons, ValidationError>, Expected)> = vec![
        ("three buttons", reply_buttons(|_| {}), None),
        ("one button", reply_buttons(|f| f.buttons.truncate(1)), None),
        (
            "no button",
            reply_buttons(|f| f.buttons.clear()),
            Some((
                "interactive.action.buttons",
                Violation::TooFew { min: 1, actual: 0 },
            )),
        ),
        (
            "four buttons",
            reply_buttons(|f| f.buttons = buttons(&["a", "b", "c", "d"])),
            Some((
                "interactive.action.buttons",
                Violation::TooMany { max: 3, actual: 4 },
            )),
        ),
        (
            "title of 20",
            reply_buttons(|f| f.buttons[1].title = "t".repeat(20)),
            None,
        ),
        (
            "title of 21",
            reply_buttons(|f| f.buttons[1].title = "t".repeat(21)),
            Some(("interactive.action.buttons[1].title", too_long(20))),
        ),
        (
            "Hebrew title of 20 characters (40 bytes)",
            reply_buttons(|f| f.buttons[2].title = "ש".repeat(20)),
            None,
        ),
        (
            "emoji title of 21 characters",
            reply_buttons(|f| f.buttons[2].title = "👍".repeat(21)),
            Some(("interactive.action.buttons[2].title", too_long(20))),
        ),
        (
            "empty title",
            reply_buttons(|f| f.buttons[0].title = String::new()),
            Some(("interactive.action.buttons[0].title", Violation::Empty)),
        ),
        (
            "id of 256",
            reply_buttons(|f| f.buttons[0].id = "i".repeat(256)),
            None,
        ),
        (
            "id of 257",
            reply_buttons(|f| f.buttons[0].id = "i".repeat(257)),
            Some(("interactive.action.buttons[0].id", too_long(256))),
        ),
        (
            "id with a trailing space",
            reply_buttons(|f| f.buttons[2].id = "size ".into()),
            Some((
                "interactive.action.buttons[2].id",
                Violation::Format {
                    expected: "an id without leading or trailing spaces",
                },
            )),
        ),
        (
            "repeated title",
            reply_buttons(|f| f.buttons = buttons(&["Yes", "No", "Yes"])),
            Some((
                "interactive.action.buttons[2].title",
                Violation::Duplicate("Yes".into()),
            )),
        ),
        (
            "repeated id",
            reply_buttons(|f| f.buttons[1].id = "b0".into()),
            Some((
                "interactive.action.buttons[1].id",
                Violation::Duplicate("b0".into()),
            )),
        ),
        (
            "body of 1024",
            reply_buttons(|f| f.body = "b".repeat(1024)),
            None,
        ),
        (
            "body of 1025",
            reply_buttons(|f| f.body = "b".repeat(1025)),
            Some(("interactive.body.text", too_long(1024))),
        ),
        (
            "blank body",
            reply_buttons(|f| f.body = "  ".into()),
            Some(("interactive.body.text", Violation::Empty)),
        ),
        (
            "text header of 60",
            reply_buttons(|f| {
                f.header = Some(InteractiveHeader::Text {
                    text: "h".repeat(60),
                })
            }),
            None,
        ),
        (
            "text header of 61",
            reply_buttons(|f| {
                f.header = Some(InteractiveHeader::Text {
                    text: "h".repeat(61),
                })
            }),
            Some(("interactive.header.text", too_long(60))),
        ),
        (
            "image header",
            reply_buttons(|f| {
                f.header = Some(InteractiveHeader::Image {
                    media: MediaSource::id("1234567890").unwrap(),
                });
            }),
            None,
        ),
        (
            "footer of 60",
            reply_buttons(|f| f.footer = Some("f".repeat(60))),
            None,
        ),
        (
            "footer of 61",
            reply_buttons(|f| f.footer = Some("f".repeat(61))),
            Some(("interactive.footer.text", too_long(60))),
        ),
        (
            "empty footer",
            reply_buttons(|f| f.footer = Some(String::new())),
            Some(("interactive.footer.text", Violation::Empty)),
        ),
    ];
    for (case, result, expected) in cases {
        check(case, result, expected);
    }
}

fn rows(prefix: &str, count: usize) -> Vec<ListRow> {
    (0..count)
        .map(|i| ListRow::new(format!("{prefix}{i}"), format!("Row {i}")))
        .collect()
}

fn list(change: impl FnOnce(&mut ListMessageFields)) -> Result<ListMessage, ValidationError> {
    let mut fields = ListMessageFields {
        header: Some("Menu".into()),
        body: "Pick a dish".into(),
        footer: None,
        button: "Open menu".into(),
        sections: vec![
            ListSection {
                title: Some("Starters".into()),
                rows: rows("s", 4),
            },
            ListSection {
                title: Some("Mains".into()),
                rows: rows("m", 6),
            },
        ],
    };
    change(&mut fields);
    ListMessage::new(fields)
}

fn sections(count: usize) -> Vec<ListSection> {
    (0..count)
        .map(|i| ListSection {
            title: Some(format!("Section {i}")),
            rows: rows(&format!("s{i}-"), 1),
        })
        .collect()
}

#[test]
fn list_limits() {
    let cases: Vec<(&str, Result<ListMessage, ValidationError>, Expected)> = vec![
        ("ten rows in two sections", list(|_| {}), None),
        (
            "eleven rows in all",
            list(|f| f.sections[0].rows.push(ListRow::new("extra", "Extra"))),
            Some((
                "interactive.action.sections[*].rows",
                Violation::TooMany {
                    max: 10,
                    actual: 11,
                },
            )),
        ),
        ("ten sections", list(|f| f.sections = sections(10)), None),
        (
            "eleven sections",
            list(|f| f.sections = sections(11)),
            Some((
                "interactive.action.sections",
                Violation::TooMany {
                    max: 10,
                    actual: 11,
                },
            )),
        ),
        (
            "no section",
            list(|f| f.sections.clear()),
            Some((
                "interactive.action.sections",
                Violation::TooFew { min: 1, actual: 0 },
            )),
        ),
        (
            "a section without rows",
            list(|f| f.sections[1].rows.clear()),
            Some((
                "interactive.action.sections[1].rows",
                Violation::TooFew { min: 1, actual: 0 },
            )),
        ),
        (
            "one untitled section",
            list(|f| {
                f.sections.truncate(1);
                f.sections[0].title = None;
            }),
            None,
        ),
        (
            "untitled section among two",
            list(|f| f.sections[1].title = None),
            Some((
                "interactive.action.sections[1].title",
                Violation::Conflict(
                    "a section title is required when a list has more than one section",
                ),
            )),
        ),
        (
            "section title of 24",
            list(|f| f.sections[0].title = Some("t".repeat(24))),
            None,
        ),
        (
            "section title of 25",
            list(|f| f.sections[0].title = Some("t".repeat(25))),
            Some(("interactive.action.sections[0].title", too_long(24))),
        ),
        (
            "row id of 200",
            list(|f| f.sections[1].rows[2].id = "r".repeat(200)),
            None,
        ),
        (
            "row id of 201",
            list(|f| f.sections[1].rows[2].id = "r".repeat(201)),
            Some(("interactive.action.sections[1].rows[2].id", too_long(200))),
        ),
        (
            "row title of 24",
            list(|f| f.sections[0].rows[3].title = "t".repeat(24)),
            None,
        ),
        (
            "row title of 25",
            list(|f| f.sections[0].rows[3].title = "t".repeat(25)),
            Some(("interactive.action.sections[0].rows[3].title", too_long(24))),
        ),
        (
            "row description of 72",
            list(|f| f.sections[0].rows[0].description = Some("d".repeat(72))),
            None,
        ),
        (
            "row description of 73",
            list(|f| f.sections[0].rows[0].description = Some("d".repeat(73))),
            Some((
                "interactive.action.sections[0].rows[0].description",
                too_long(72),
            )),
        ),
        (
            "row id repeated across sections",
            list(|f| f.sections[1].rows[4].id = "s2".into()),
            Some((
                "interactive.action.sections[1].rows[4].id",
                Violation::Duplicate("s2".into()),
            )),
        ),
        ("button of 20", list(|f| f.button = "b".repeat(20)), None),
        (
            "button of 21",
            list(|f| f.button = "b".repeat(21)),
            Some(("interactive.action.button", too_long(20))),
        ),
        (
            "empty button",
            list(|f| f.button = String::new()),
            Some(("interactive.action.button", Violation::Empty)),
        ),
        ("body of 4096", list(|f| f.body = "b".repeat(4096)), None),
        (
            "body of 4097",
            list(|f| f.body = "b".repeat(4097)),
            Some(("interactive.body.text", too_long(4096))),
        ),
        (
            "header of 61",
            list(|f| f.header = Some("h".repeat(61))),
            Some(("interactive.header.text", too_long(60))),
        ),
        (
            "footer of 61",
            list(|f| f.footer = Some("f".repeat(61))),
            Some(("interactive.footer.text", too_long(60))),
        ),
    ];
    for (case, result, expected) in cases {
        check(case, result, expected);
    }
}

fn cta(change: impl FnOnce(&mut CtaUrlFields)) -> Result<CtaUrl, ValidationError> {
    let mut fields = CtaUrlFields {
        header: None,
        body: "Track your parcel".into(),
        footer: None,
        display_text: "Track".into(),
        url: "https://shop.example/track?id=42".into(),
    };
    change(&mut fields);
    CtaUrl::new(fields)
}

#[test]
fn call_to_action_limits() {
    let url_format = Violation::Format {
        expected: "an absolute https:// URL without spaces",
    };
    let cases: Vec<(&str, Result<CtaUrl, ValidationError>, Expected)> = vec![
        ("plain", cta(|_| {}), None),
        (
            "display text of 20",
            cta(|f| f.display_text = "d".repeat(20)),
            None,
        ),
        (
            "display text of 21",
            cta(|f| f.display_text = "d".repeat(21)),
            Some(("interactive.action.parameters.display_text", too_long(20))),
        ),
        (
            "http url",
            cta(|f| f.url = "http://shop.example/track".into()),
            Some(("interactive.action.parameters.url", url_format.clone())),
        ),
        (
            "url without host",
            cta(|f| f.url = "https:///track".into()),
            Some(("interactive.action.parameters.url", url_format)),
        ),
        ("body of 1024", cta(|f| f.body = "b".repeat(1024)), None),
        (
            "body of 1025",
            cta(|f| f.body = "b".repeat(1025)),
            Some(("interactive.body.text", too_long(1024))),
        ),
        (
            "header of 60",
            cta(|f| {
                f.header = Some(InteractiveHeader::Text {
                    text: "h".repeat(60),
                })
            }),
            None,
        ),
        (
            "header of 61",
            cta(|f| {
                f.header = Some(InteractiveHeader::Text {
                    text: "h".repeat(61),
                })
            }),
            Some(("interactive.header.text", too_long(60))),
        ),
        (
            "footer of 61",
            cta(|f| f.footer = Some("f".repeat(61))),
            Some(("interactive.footer.text", too_long(60))),
        ),
    ];
    for (case, result, expected) in cases {
        check(case, result, expected);
    }
}

#[test]
fn getters_return_what_was_built() {
    let list = list(|_| {}).unwrap();
    assert_eq!(list.header(), Some("Menu"));
    assert_eq!(list.button(), "Open menu");
    assert_eq!(list.sections().len(), 2);
    assert_eq!(list.rows().count(), 10);
    assert_eq!(list.rows().last().unwrap().id, "m5");

    let cta = cta(|_| {}).unwrap();
    assert_eq!(cta.url().as_str(), "https://shop.example/track?id=42");
    assert_eq!(cta.display_text(), "Track");

    let buttons = reply_buttons(|_| {}).unwrap();
    assert_eq!(buttons.body(), "Which size?");
    let titles: Vec<_> = buttons.buttons().iter().map(|b| b.title.as_str()).collect();
    assert_eq!(titles, ["S", "M", "L"]);
    assert_eq!(Interactive::Buttons(buttons).type_name(), "button");
}
