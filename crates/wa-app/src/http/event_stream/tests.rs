//! The event type names of the OpenAPI document and of `docs/events.md` are the domain's list.

use std::collections::BTreeSet;

use utoipa::OpenApi;
use wa_domain::event::EventKind;

use crate::http::openapi::ApiDoc;

fn domain_names() -> BTreeSet<String> {
    EventKind::ALL
        .iter()
        .map(|kind| kind.name().to_owned())
        .collect()
}

#[test]
fn the_openapi_document_enumerates_every_event_type_and_describes_each() {
    let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
    let schemas = &document["components"]["schemas"];
    let enumerated: BTreeSet<String> = schemas["EventType"]["enum"]
        .as_array()
        .expect("EventType is an enumeration")
        .iter()
        .map(|name| name.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(enumerated, domain_names());
    let description = schemas["EventSchema"]["description"].as_str().unwrap();
    for name in domain_names() {
        assert!(
            description.contains(&format!("`{name}`")),
            "EventSchema does not describe the data of `{name}`"
        );
    }
}

/// The first cell of each row of the table under `### Event types`, without its backticks.
fn documented_names(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .skip_while(|line| line.trim() != "### Event types")
        .skip(1)
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|row| row.split('|').nth(1))
        .map(str::trim)
        .filter_map(|cell| cell.strip_prefix('`')?.strip_suffix('`'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_docs_table_lists_every_event_type_and_no_other() {
    let markdown =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/events.md"))
            .unwrap();
    assert_eq!(documented_names(&markdown), domain_names());
}

#[test]
fn the_table_reader_finds_the_names_and_skips_the_header() {
    let markdown = "intro `message.status`\n\n### Event types\n\n| type | when |\n|---|---|\n\
        | `a.b` | x |\n| `c.d` | y |\n\nA `message.received`:\n| `not.this` | z |\n";
    assert_eq!(
        documented_names(markdown),
        BTreeSet::from(["a.b".to_owned(), "c.d".to_owned()])
    );
}
