//! Graph's `fields` parameter: which fields of a node an answer carries.
//!
//! `fields=a,b{c,d},e.format(png)` asks for `a`, `b` and `e`; a sub-selection or a modifier is
//! accepted and the field answered in full. A name the node type does not have is refused as
//! Meta refuses it (`(#100) Tried accessing nonexisting field (x) on node type (T)`); a field the
//! node has but holds no value for is left out, as Meta leaves out empty fields. `id` is always
//! answered.

use serde_json::{Map, Value};

use crate::graph_error::GraphError;

/// The fields of one node type: its Graph name, every field it has, and those answered when
/// the caller names none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeType {
    pub(crate) name: &'static str,
    pub(crate) known: &'static [&'static str],
    pub(crate) default: &'static [&'static str],
}

/// Top-level names of a `fields` value, in order, without sub-selections or modifiers.
pub(crate) fn split(fields: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for ch in fields.chars() {
        match ch {
            '{' | '(' => depth += 1,
            '}' | ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                push_name(&mut out, &current);
                current.clear();
            }
            _ if depth == 0 => current.push(ch),
            _ => {}
        }
    }
    push_name(&mut out, &current);
    out
}

fn push_name(out: &mut Vec<String>, raw: &str) {
    // `qr_image_url.format` (from `.format(png)`) and `name.limit` name the field before the dot.
    let name = raw.trim().split('.').next().unwrap_or_default().trim();
    if !name.is_empty() && !out.iter().any(|seen| seen == name) {
        out.push(name.to_owned());
    }
}

/// The answer for `asked` (the raw `fields` value, if any) from the node's `full` view.
pub(crate) fn select(
    node: &NodeType,
    full: &Map<String, Value>,
    asked: Option<&str>,
) -> Result<Map<String, Value>, GraphError> {
    let names: Vec<String> = match asked {
        Some(fields) if !fields.trim().is_empty() => split(fields),
        _ => node.default.iter().map(|f| (*f).to_owned()).collect(),
    };
    let mut out = Map::new();
    for name in &names {
        if !node.known.contains(&name.as_str()) {
            return Err(GraphError::param(format!(
                "Tried accessing nonexisting field ({name}) on node type ({})",
                node.name
            )));
        }
        if let Some(value) = full.get(name)
            && !value.is_null()
        {
            out.insert(name.clone(), value.clone());
        }
    }
    if let Some(id) = full.get("id") {
        out.insert("id".into(), id.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NODE: NodeType = NodeType {
        name: "Thing",
        known: &["id", "a", "b", "c"],
        default: &["a"],
    };

    #[test]
    fn names_skip_sub_selections_and_modifiers() {
        assert_eq!(split("a,b{c,d},e.format(png), f"), ["a", "b", "e", "f"]);
        assert_eq!(split(""), Vec::<String>::new());
    }

    #[test]
    fn selection_keeps_asked_known_fields_and_the_id() {
        let full = json!({"id": "1", "a": 1, "b": 2, "c": null});
        let full = full.as_object().unwrap();
        let got = select(&NODE, full, Some("b,c")).unwrap();
        assert_eq!(Value::Object(got), json!({"b": 2, "id": "1"}));
        let got = select(&NODE, full, None).unwrap();
        assert_eq!(Value::Object(got), json!({"a": 1, "id": "1"}));
    }

    #[test]
    fn unknown_fields_are_refused_in_the_message() {
        let full = json!({"id": "1"});
        let error = select(&NODE, full.as_object().unwrap(), Some("zz")).unwrap_err();
        assert_eq!(error.code, 100);
        assert_eq!(
            error.message,
            "(#100) Tried accessing nonexisting field (zz) on node type (Thing)"
        );
        assert!(error.details.is_none());
    }
}
