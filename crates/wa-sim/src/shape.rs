//! Payload shape checks for `POST /{phone_number_id}/messages`, on Meta's documented fields and
//! limits, over `serde_json::Value` so the simulator owns its reading of the wire format.
//!
//! A missing field answers 131008; a field of the wrong type, a bad value or a text over its
//! limit answers 100.

use serde_json::{Map, Value};

use crate::graph_error::GraphError;
use crate::ids::is_bsuid;

/// The message types a send may name.
const SEND_TYPES: &[&str] = &[
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "reaction",
    "interactive",
    "template",
];

const INTERACTIVE_TYPES: &[&str] = &[
    "button",
    "list",
    "cta_url",
    "product",
    "product_list",
    "catalog_message",
    "flow",
    "location_request_message",
    "address_message",
    "call_permission_request",
    "carousel",
    "voice_call",
];

/// What a valid send asks for.
#[derive(Debug)]
pub(crate) struct SendShape<'a> {
    /// `to` as given.
    pub(crate) to: Option<&'a str>,
    /// `to` reduced to digits.
    pub(crate) to_digits: Option<String>,
    /// `recipient` (BSUID) when `to` is absent.
    pub(crate) recipient: Option<&'a str>,
    pub(crate) kind: &'a str,
    pub(crate) template: Option<TemplateRef<'a>>,
    pub(crate) media_id: Option<&'a str>,
    pub(crate) biz_opaque: Option<&'a str>,
}

/// The template a send names.
#[derive(Debug)]
pub(crate) struct TemplateRef<'a> {
    pub(crate) name: &'a str,
    pub(crate) language: &'a str,
    pub(crate) components: Option<&'a Value>,
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

fn present<'a>(object: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    object.get(field).filter(|value| !value.is_null())
}

pub(crate) fn req_str<'a>(
    object: &'a Map<String, Value>,
    field: &str,
    path: &str,
) -> Result<&'a str, GraphError> {
    match present(object, field) {
        None => Err(GraphError::missing(&join(path, field))),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(GraphError::invalid(format!(
            "Param {} must be a string.",
            join(path, field)
        ))),
    }
}

pub(crate) fn opt_str<'a>(
    object: &'a Map<String, Value>,
    field: &str,
    path: &str,
) -> Result<Option<&'a str>, GraphError> {
    match present(object, field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(GraphError::invalid(format!(
            "Param {} must be a string.",
            join(path, field)
        ))),
    }
}

fn req_object<'a>(
    object: &'a Map<String, Value>,
    field: &str,
    path: &str,
) -> Result<&'a Map<String, Value>, GraphError> {
    match present(object, field) {
        None => Err(GraphError::missing(&join(path, field))),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(GraphError::invalid(format!(
            "Param {} must be an object.",
            join(path, field)
        ))),
    }
}

fn opt_object<'a>(
    object: &'a Map<String, Value>,
    field: &str,
    path: &str,
) -> Result<Option<&'a Map<String, Value>>, GraphError> {
    match present(object, field) {
        None => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(GraphError::invalid(format!(
            "Param {} must be an object.",
            join(path, field)
        ))),
    }
}

fn req_array<'a>(
    object: &'a Map<String, Value>,
    field: &str,
    path: &str,
) -> Result<&'a Vec<Value>, GraphError> {
    match present(object, field) {
        None => Err(GraphError::missing(&join(path, field))),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(GraphError::invalid(format!(
            "Param {} must be an array.",
            join(path, field)
        ))),
    }
}

fn opt_bool(object: &Map<String, Value>, field: &str, path: &str) -> Result<(), GraphError> {
    match present(object, field) {
        None | Some(Value::Bool(_)) => Ok(()),
        Some(_) => Err(GraphError::invalid(format!(
            "Param {} must be a boolean.",
            join(path, field)
        ))),
    }
}

fn max_chars(text: &str, limit: usize, path: &str) -> Result<(), GraphError> {
    let count = text.chars().count();
    if count > limit {
        return Err(GraphError::invalid(format!(
            "Param {path} must be at most {limit} characters long (got {count})."
        )));
    }
    Ok(())
}

fn non_empty(text: &str, path: &str) -> Result<(), GraphError> {
    if text.trim().is_empty() {
        return Err(GraphError::invalid(format!(
            "Param {path} must not be empty."
        )));
    }
    Ok(())
}

fn as_object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, GraphError> {
    value
        .as_object()
        .ok_or_else(|| GraphError::invalid(format!("Param {path} must be an object.")))
}

fn is_http_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://")) && url.len() > "https://".len()
}

/// Checks a send body (not a mark-as-read) and returns what it asks for.
pub(crate) fn check_send(object: &Map<String, Value>) -> Result<SendShape<'_>, GraphError> {
    if let Some(recipient_type) = opt_str(object, "recipient_type", "")?
        && recipient_type != "individual"
    {
        return Err(GraphError::invalid(
            "Param recipient_type must be 'individual' (groups are not simulated).",
        ));
    }
    let to = opt_str(object, "to", "")?;
    let recipient = opt_str(object, "recipient", "")?;
    let to_digits = match to {
        Some(to) => Some(phone_digits(to)?),
        None => None,
    };
    let recipient = match (to, recipient) {
        (None, None) => return Err(GraphError::missing("to")),
        // When both are present, `to` wins, as at Meta.
        (Some(_), _) => None,
        (None, Some(recipient)) => {
            if !is_bsuid(recipient) {
                return Err(GraphError::invalid(
                    "Param recipient must be a business-scoped user ID (CC.xxx).",
                ));
            }
            Some(recipient)
        }
    };
    let kind = opt_str(object, "type", "")?.unwrap_or("text");
    if !SEND_TYPES.contains(&kind) {
        return Err(GraphError::invalid(format!(
            "Param type must be one of {{{}}}.",
            SEND_TYPES.join(", ")
        )));
    }
    if let Some(context) = opt_object(object, "context", "")? {
        if kind == "reaction" {
            return Err(GraphError::invalid(
                "Param context is not allowed on reactions.",
            ));
        }
        req_str(context, "message_id", "context")?;
    }
    let biz_opaque = opt_str(object, "biz_opaque_callback_data", "")?;
    if let Some(data) = biz_opaque {
        max_chars(data, 512, "biz_opaque_callback_data")?;
    }
    let mut template = None;
    let mut media_id = None;
    match kind {
        "text" => check_text(req_object(object, "text", "")?)?,
        "image" | "video" | "audio" | "document" | "sticker" => {
            media_id = check_media(req_object(object, kind, "")?, kind)?;
        }
        "location" => check_location(req_object(object, "location", "")?)?,
        "contacts" => check_contacts(req_array(object, "contacts", "")?)?,
        "reaction" => {
            let reaction = req_object(object, "reaction", "")?;
            req_str(reaction, "message_id", "reaction")?;
            // An empty emoji removes a reaction, so it must be present but may be empty.
            req_str(reaction, "emoji", "reaction")?;
        }
        "interactive" => check_interactive(req_object(object, "interactive", "")?)?,
        "template" => {
            let body = req_object(object, "template", "")?;
            let name = req_str(body, "name", "template")?;
            non_empty(name, "template.name")?;
            let language = req_object(body, "language", "template")?;
            let code = req_str(language, "code", "template.language")?;
            template = Some(TemplateRef {
                name,
                language: code,
                components: present(body, "components"),
            });
        }
        _ => {}
    }
    Ok(SendShape {
        to,
        to_digits,
        recipient,
        kind,
        template,
        media_id,
        biz_opaque,
    })
}

/// Digits of a `to` value; `+`, `-`, parentheses, dots and spaces are allowed around them.
fn phone_digits(to: &str) -> Result<String, GraphError> {
    let mut digits = String::with_capacity(to.len());
    for ch in to.chars() {
        match ch {
            '0'..='9' => digits.push(ch),
            '+' | '-' | '(' | ')' | ' ' | '.' => {}
            _ => {
                return Err(GraphError::invalid(
                    "Param to must be a phone number (digits, with + and separators allowed).",
                ));
            }
        }
    }
    if !(5..=15).contains(&digits.len()) {
        return Err(GraphError::invalid(
            "Param to must be a phone number of 5 to 15 digits.",
        ));
    }
    Ok(digits)
}

fn check_text(text: &Map<String, Value>) -> Result<(), GraphError> {
    let body = req_str(text, "body", "text")?;
    non_empty(body, "text.body")?;
    max_chars(body, 4096, "text.body")?;
    opt_bool(text, "preview_url", "text")
}

fn check_media<'a>(
    media: &'a Map<String, Value>,
    kind: &str,
) -> Result<Option<&'a str>, GraphError> {
    let id = opt_str(media, "id", kind)?;
    let link = opt_str(media, "link", kind)?;
    match (id, link) {
        (None, None) => return Err(GraphError::missing(&format!("{kind}.id or {kind}.link"))),
        (Some(_), Some(_)) => {
            return Err(GraphError::invalid(format!(
                "Param {kind} must have either id or link, not both."
            )));
        }
        (None, Some(link)) if !is_http_url(link) => {
            return Err(GraphError::invalid(format!(
                "Param {kind}.link must be an http(s) URL."
            )));
        }
        _ => {}
    }
    if let Some(caption) = opt_str(media, "caption", kind)? {
        if matches!(kind, "audio" | "sticker") {
            return Err(GraphError::invalid(format!(
                "Param {kind}.caption is not allowed for {kind}."
            )));
        }
        max_chars(caption, 1024, &format!("{kind}.caption"))?;
    }
    if kind == "document" {
        opt_str(media, "filename", kind)?;
    }
    Ok(id)
}

fn check_location(location: &Map<String, Value>) -> Result<(), GraphError> {
    for (field, bound) in [("latitude", 90.0), ("longitude", 180.0)] {
        let value = match present(location, field) {
            None => return Err(GraphError::missing(&format!("location.{field}"))),
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.parse::<f64>().ok(),
            Some(_) => None,
        };
        match value {
            Some(v) if (-bound..=bound).contains(&v) => {}
            _ => {
                return Err(GraphError::invalid(format!(
                    "Param location.{field} must be a number between -{bound} and {bound}."
                )));
            }
        }
    }
    opt_str(location, "name", "location")?;
    opt_str(location, "address", "location")?;
    Ok(())
}

fn check_contacts(contacts: &[Value]) -> Result<(), GraphError> {
    if contacts.is_empty() {
        return Err(GraphError::invalid("Param contacts must not be empty."));
    }
    for (at, card) in contacts.iter().enumerate() {
        let path = format!("contacts[{at}]");
        let card = as_object(card, &path)?;
        let name = req_object(card, "name", &path)?;
        req_str(name, "formatted_name", &format!("{path}.name"))?;
        if let Some(phones) = present(card, "phones") {
            let phones = phones.as_array().ok_or_else(|| {
                GraphError::invalid(format!("Param {path}.phones must be an array."))
            })?;
            for (index, phone) in phones.iter().enumerate() {
                as_object(phone, &format!("{path}.phones[{index}]"))?;
            }
        }
    }
    Ok(())
}

fn check_interactive(interactive: &Map<String, Value>) -> Result<(), GraphError> {
    let kind = req_str(interactive, "type", "interactive")?;
    if !INTERACTIVE_TYPES.contains(&kind) {
        return Err(GraphError::invalid(format!(
            "Param interactive.type must be one of {{{}}}.",
            INTERACTIVE_TYPES.join(", ")
        )));
    }
    let body_limit = if kind == "list" { 4096 } else { 1024 };
    let needs_body = !matches!(kind, "product" | "carousel");
    match opt_object(interactive, "body", "interactive")? {
        Some(body) => {
            let text = req_str(body, "text", "interactive.body")?;
            max_chars(text, body_limit, "interactive.body.text")?;
        }
        None if needs_body => return Err(GraphError::missing("interactive.body")),
        None => {}
    }
    if let Some(header) = opt_object(interactive, "header", "interactive")? {
        let header_type = req_str(header, "type", "interactive.header")?;
        if header_type == "text" {
            let text = req_str(header, "text", "interactive.header")?;
            max_chars(text, 60, "interactive.header.text")?;
        }
    }
    if let Some(footer) = opt_object(interactive, "footer", "interactive")? {
        let text = req_str(footer, "text", "interactive.footer")?;
        max_chars(text, 60, "interactive.footer.text")?;
    }
    let action = req_object(interactive, "action", "interactive")?;
    match kind {
        "button" => check_buttons(action),
        "list" => check_list(action),
        "cta_url" => {
            let name = req_str(action, "name", "interactive.action")?;
            if name != "cta_url" {
                return Err(GraphError::invalid(
                    "Param interactive.action.name must be cta_url.",
                ));
            }
            let parameters = req_object(action, "parameters", "interactive.action")?;
            let text = req_str(parameters, "display_text", "interactive.action.parameters")?;
            max_chars(text, 20, "interactive.action.parameters.display_text")?;
            let url = req_str(parameters, "url", "interactive.action.parameters")?;
            if !is_http_url(url) {
                return Err(GraphError::invalid(
                    "Param interactive.action.parameters.url must be an http(s) URL.",
                ));
            }
            Ok(())
        }
        "flow" => check_flow(action),
        "location_request_message" => action_named(action, "send_location"),
        "call_permission_request" => action_named(action, "call_permission_request"),
        _ => Ok(()),
    }
}

/// `action` of a Flow message (Meta's `InteractiveObject`, action `flow`).
fn check_flow(action: &Map<String, Value>) -> Result<(), GraphError> {
    const PATH: &str = "interactive.action.parameters";
    if req_str(action, "name", "interactive.action")? != "flow" {
        return Err(GraphError::invalid(
            "Param interactive.action.name must be flow.",
        ));
    }
    let parameters = req_object(action, "parameters", "interactive.action")?;
    if req_str(parameters, "flow_message_version", PATH)? != "3" {
        return Err(GraphError::invalid(format!(
            "Param {PATH}.flow_message_version must be 3."
        )));
    }
    let cta = req_str(parameters, "flow_cta", PATH)?;
    non_empty(cta, &format!("{PATH}.flow_cta"))?;
    max_chars(cta, 30, &format!("{PATH}.flow_cta"))?;
    match (
        opt_str(parameters, "flow_id", PATH)?,
        opt_str(parameters, "flow_name", PATH)?,
    ) {
        (None, None) => return Err(GraphError::missing(&format!("{PATH}.flow_id"))),
        (Some(_), Some(_)) => {
            return Err(GraphError::invalid(format!(
                "Param {PATH}.flow_id cannot be used with {PATH}.flow_name."
            )));
        }
        (Some(id), None) if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(GraphError::invalid(format!(
                "Param {PATH}.flow_id must be a Flow id."
            )));
        }
        (None, Some(name)) => non_empty(name, &format!("{PATH}.flow_name"))?,
        (Some(_), None) => {}
    }
    one_of(parameters, "mode", PATH, &["draft", "published"])?;
    one_of(
        parameters,
        "flow_action",
        PATH,
        &["navigate", "data_exchange"],
    )?;
    opt_str(parameters, "flow_token", PATH)?;
    if let Some(payload) = opt_object(parameters, "flow_action_payload", PATH)? {
        let payload_path = format!("{PATH}.flow_action_payload");
        opt_str(payload, "screen", &payload_path)?;
        if let Some(data) = opt_object(payload, "data", &payload_path)?
            && data.is_empty()
        {
            return Err(GraphError::invalid(format!(
                "Param {payload_path}.data must be a non-empty object."
            )));
        }
    }
    Ok(())
}

/// An action that is only its `name`.
fn action_named(action: &Map<String, Value>, name: &str) -> Result<(), GraphError> {
    if req_str(action, "name", "interactive.action")? != name {
        return Err(GraphError::invalid(format!(
            "Param interactive.action.name must be {name}."
        )));
    }
    Ok(())
}

/// An optional string that, when present, must be one of `allowed`.
fn one_of(
    object: &Map<String, Value>,
    field: &str,
    path: &str,
    allowed: &[&str],
) -> Result<(), GraphError> {
    match opt_str(object, field, path)? {
        Some(value) if !allowed.contains(&value) => Err(GraphError::invalid(format!(
            "Param {} must be one of {{{}}}.",
            join(path, field),
            allowed.join(", ")
        ))),
        _ => Ok(()),
    }
}

fn check_buttons(action: &Map<String, Value>) -> Result<(), GraphError> {
    let buttons = req_array(action, "buttons", "interactive.action")?;
    if buttons.is_empty() || buttons.len() > 3 {
        return Err(GraphError::invalid(
            "Param interactive.action.buttons must hold 1 to 3 buttons.",
        ));
    }
    let mut titles = Vec::new();
    let mut ids = Vec::new();
    for (at, button) in buttons.iter().enumerate() {
        let path = format!("interactive.action.buttons[{at}]");
        let button = as_object(button, &path)?;
        let kind = req_str(button, "type", &path)?;
        if kind != "reply" {
            return Err(GraphError::invalid(format!(
                "Param {path}.type must be reply."
            )));
        }
        let reply = req_object(button, "reply", &path)?;
        let id = req_str(reply, "id", &format!("{path}.reply"))?;
        let title = req_str(reply, "title", &format!("{path}.reply"))?;
        max_chars(id, 256, &format!("{path}.reply.id"))?;
        max_chars(title, 20, &format!("{path}.reply.title"))?;
        non_empty(title, &format!("{path}.reply.title"))?;
        if titles.contains(&title) || ids.contains(&id) {
            return Err(GraphError::invalid(
                "Buttons must have unique ids and titles.",
            ));
        }
        titles.push(title);
        ids.push(id);
    }
    Ok(())
}

fn check_list(action: &Map<String, Value>) -> Result<(), GraphError> {
    let button = req_str(action, "button", "interactive.action")?;
    non_empty(button, "interactive.action.button")?;
    max_chars(button, 20, "interactive.action.button")?;
    let sections = req_array(action, "sections", "interactive.action")?;
    if sections.is_empty() || sections.len() > 10 {
        return Err(GraphError::invalid(
            "Param interactive.action.sections must hold 1 to 10 sections.",
        ));
    }
    let mut rows_total = 0;
    for (at, section) in sections.iter().enumerate() {
        let path = format!("interactive.action.sections[{at}]");
        let section = as_object(section, &path)?;
        match opt_str(section, "title", &path)? {
            Some(title) => max_chars(title, 24, &format!("{path}.title"))?,
            None if sections.len() > 1 => {
                return Err(GraphError::missing(&format!("{path}.title")));
            }
            None => {}
        }
        let rows = req_array(section, "rows", &path)?;
        for (index, row) in rows.iter().enumerate() {
            let row_path = format!("{path}.rows[{index}]");
            let row = as_object(row, &row_path)?;
            let id = req_str(row, "id", &row_path)?;
            max_chars(id, 200, &format!("{row_path}.id"))?;
            let title = req_str(row, "title", &row_path)?;
            max_chars(title, 24, &format!("{row_path}.title"))?;
            if let Some(description) = opt_str(row, "description", &row_path)? {
                max_chars(description, 72, &format!("{row_path}.description"))?;
            }
        }
        rows_total += rows.len();
    }
    if rows_total == 0 || rows_total > 10 {
        return Err(GraphError::invalid(
            "A list must hold 1 to 10 rows in total.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(value: Value) -> Result<(), u32> {
        check_send(value.as_object().unwrap())
            .map(|_| ())
            .map_err(|e| e.code)
    }

    #[test]
    fn text_rules() {
        let ok = json!({"messaging_product": "whatsapp", "to": "+1 555 123 4567", "type": "text", "text": {"body": "hi"}});
        assert_eq!(check(ok), Ok(()));
        assert_eq!(
            check(json!({"to": "15551234567", "type": "text"})),
            Err(131008)
        );
        assert_eq!(
            check(json!({"type": "text", "text": {"body": "x"}})),
            Err(131008)
        );
        assert_eq!(check(json!({"to": "abc", "text": {"body": "x"}})), Err(100));
        let long = "a".repeat(4097);
        assert_eq!(
            check(json!({"to": "15551234567", "text": {"body": long}})),
            Err(100)
        );
        let exact = "ש".repeat(4096);
        assert_eq!(
            check(json!({"to": "15551234567", "text": {"body": exact}})),
            Ok(())
        );
    }

    #[test]
    fn interactive_rules() {
        let buttons: Vec<Value> = (0..4)
            .map(|i| json!({"type": "reply", "reply": {"id": format!("b{i}"), "title": format!("B{i}")}}))
            .collect();
        let too_many = json!({"to": "15551234567", "type": "interactive", "interactive": {
            "type": "button", "body": {"text": "Pick"}, "action": {"buttons": buttons}}});
        assert_eq!(check(too_many), Err(100));
        let no_body = json!({"to": "15551234567", "type": "interactive", "interactive": {
            "type": "list", "action": {"button": "See", "sections": [{"rows": [{"id": "1", "title": "One"}]}]}}});
        assert_eq!(check(no_body), Err(131008));
    }

    fn flow(parameters: Value) -> Value {
        json!({"to": "15551234567", "type": "interactive", "interactive": {
            "type": "flow", "body": {"text": "Book a table"},
            "action": {"name": "flow", "parameters": parameters}}})
    }

    #[test]
    fn flow_rules() {
        let good = json!({"flow_message_version": "3", "flow_id": "1234", "flow_cta": "Book",
            "flow_action": "navigate", "flow_action_payload": {"screen": "WELCOME", "data": {"a": 1}}});
        assert_eq!(check(flow(good.clone())), Ok(()));
        let mut by_name = good.clone();
        by_name.as_object_mut().unwrap().remove("flow_id");
        by_name["flow_name"] = json!("booking");
        assert_eq!(check(flow(by_name.clone())), Ok(()));
        let mut both = by_name.clone();
        both["flow_id"] = json!("1234");
        assert_eq!(check(flow(both)), Err(100));
        let mut neither = by_name;
        neither.as_object_mut().unwrap().remove("flow_name");
        assert_eq!(check(flow(neither)), Err(131008));
        for (field, value) in [
            ("flow_message_version", json!("2")),
            ("flow_cta", json!("x".repeat(31))),
            ("mode", json!("live")),
            ("flow_action", json!("jump")),
            ("flow_action_payload", json!({"data": {}})),
        ] {
            let mut bad = good.clone();
            bad[field] = value;
            assert_eq!(check(flow(bad)), Err(100), "{field}");
        }
        let mut no_cta = good;
        no_cta.as_object_mut().unwrap().remove("flow_cta");
        assert_eq!(check(flow(no_cta)), Err(131008));
    }

    #[test]
    fn location_request_rules() {
        let request = |action: Value, body: Option<&str>| {
            let mut interactive = json!({"type": "location_request_message", "action": action});
            if let Some(text) = body {
                interactive["body"] = json!({"text": text});
            }
            json!({"to": "15551234567", "type": "interactive", "interactive": interactive})
        };
        let good = json!({"name": "send_location"});
        assert_eq!(check(request(good.clone(), Some("Where are you?"))), Ok(()));
        assert_eq!(check(request(good.clone(), None)), Err(131008));
        assert_eq!(check(request(good, Some(&"x".repeat(1025)))), Err(100));
        assert_eq!(
            check(request(json!({"name": "send_pin"}), Some("Where?"))),
            Err(100)
        );
    }

    #[test]
    fn call_permission_request_rules() {
        let request = |name: &str| {
            json!({"to": "15551234567", "type": "interactive", "interactive": {
                "type": "call_permission_request", "body": {"text": "May we call?"},
                "action": {"name": name}}})
        };
        assert_eq!(check(request("call_permission_request")), Ok(()));
        assert_eq!(check(request("voice_call")), Err(100));
    }

    #[test]
    fn media_needs_exactly_one_source() {
        assert_eq!(
            check(json!({"to": "15551234567", "type": "image", "image": {}})),
            Err(131008)
        );
        assert_eq!(
            check(
                json!({"to": "15551234567", "type": "image", "image": {"id": "1", "link": "https://x/y.png"}})
            ),
            Err(100)
        );
        assert_eq!(
            check(
                json!({"to": "15551234567", "type": "image", "image": {"link": "https://x/y.png"}})
            ),
            Ok(())
        );
    }
}
