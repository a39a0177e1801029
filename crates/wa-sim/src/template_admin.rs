//! The template management API: list (`GET /{waba_id}/message_templates`, with `fields`,
//! filters, a cursor and `summary`), read (`GET /{template_id}`), create
//! (`POST /{waba_id}/message_templates`), edit (`POST /{template_id}`) and delete
//! (`DELETE /{waba_id}/message_templates?name=…[&hsm_id=…]`), and Meta's review: a created or
//! edited template is `PENDING`, then `APPROVED` or `REJECTED` with a reason after the
//! configured delay (`TemplateReview`), announced by `message_template_status_update`.
//!
//! Creation checks Meta's documented rules before anything is stored: the name (lowercase
//! letters, digits and underscores, at most 512 characters), the category and language, one
//! BODY of at most 1024 characters, a HEADER of at most 60 characters with at most one
//! variable (media headers need `example.header_handle`), a FOOTER of at most 60 characters
//! without variables, 1 to 10 buttons with texts of at most 25 characters, examples for every
//! variable, no variable at the very start or end of the body, and one template per name and
//! language.

use std::sync::Arc;
use std::time::Duration;

use axum::response::Response;
use base64::Engine;
use serde_json::{Map, Value, json};

use crate::auth::{authorize_any, authorize_waba};
use crate::config::TemplateConfig;
use crate::fields::{NodeType, select};
use crate::graph_call::{Call, json_ok};
use crate::graph_error::GraphError;
use crate::ids::media_id;
use crate::rng::thread_f64;
use crate::state::{Sim, read, write};
use crate::template::{Template, placeholder_names};
use crate::webhook::{Update, UpdateKind};

/// A template's fields (`message_template` node).
pub(crate) const TEMPLATE_NODE: NodeType = NodeType {
    name: "WhatsAppBusinessHSM",
    known: &[
        "id",
        "name",
        "language",
        "status",
        "category",
        "components",
        "parameter_format",
        "previous_category",
        "correct_category",
        "rejected_reason",
        "quality_score",
        "message_send_ttl_seconds",
        "library_template_name",
        "cta_url_link_tracking_opted_out",
        "sub_category",
        "degrees_of_freedom_spec",
    ],
    default: &[
        "name",
        "parameter_format",
        "components",
        "language",
        "status",
        "category",
        "id",
    ],
};

/// Templates a WABA may hold (Meta's limit for a business that is not verified).
const TEMPLATE_LIMIT: usize = 250;
/// Page size when the caller names none.
const DEFAULT_PAGE: usize = 25;
const MAX_NAME: usize = 512;
const MAX_BODY: usize = 1024;
const MAX_HEADER: usize = 60;
const MAX_FOOTER: usize = 60;
const MAX_BUTTONS: usize = 10;
const MAX_BUTTON_TEXT: usize = 25;
const MAX_URL: usize = 2000;

/// `GET /{waba_id}/message_templates`.
pub(crate) fn list(call: &Call<'_>, waba_id: &str) -> Result<Response, GraphError> {
    authorize_waba(call.sim, call.headers, call.params, None, "get", waba_id)?;
    let params = call.params;
    let any_of = |name: &str| -> Option<Vec<String>> {
        params.get(name).map(|v| {
            v.split(',')
                .map(|s| s.trim().to_ascii_uppercase())
                .collect()
        })
    };
    let statuses = any_of("status");
    let categories = any_of("category");
    let qualities = any_of("quality_score");
    let languages: Option<Vec<String>> = params
        .get("language")
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
    let name = params.get("name");
    let content = params.get("content");
    let name_or_content = params.get("name_or_content");
    let all: Vec<Arc<Template>> = read(&call.sim.templates)
        .iter()
        .filter(|t| t.visible_to(waba_id))
        .cloned()
        .collect();
    let matching: Vec<&Arc<Template>> = all
        .iter()
        .filter(|t| name.is_none_or(|n| t.config.name.contains(n)))
        .filter(|t| content.is_none_or(|c| body_text(&t.config).contains(c)))
        .filter(|t| {
            name_or_content
                .is_none_or(|c| t.config.name.contains(c) || body_text(&t.config).contains(c))
        })
        .filter(|t| {
            statuses
                .as_ref()
                .is_none_or(|s| s.contains(&t.config.status.to_ascii_uppercase()))
        })
        .filter(|t| {
            categories
                .as_ref()
                .is_none_or(|c| c.contains(&t.config.category.to_ascii_uppercase()))
        })
        .filter(|t| {
            languages
                .as_ref()
                .is_none_or(|l| l.contains(&t.config.language))
        })
        .filter(|t| {
            qualities.as_ref().is_none_or(|q| {
                q.contains(&t.config.quality_score.clone().unwrap_or("UNKNOWN".into()))
            })
        })
        .collect();
    let limit = match params.get("limit") {
        None => DEFAULT_PAGE,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| GraphError::param("Param limit must be an integer from 1 to 1000."))?,
    };
    let start = match params.get("after") {
        None => 0,
        Some(cursor) => decode_cursor(cursor)
            .ok_or_else(|| GraphError::param("Param after is not a valid cursor."))?,
    };
    let page: Vec<&&Arc<Template>> = matching.iter().skip(start).take(limit).collect();
    let mut data = Vec::with_capacity(page.len());
    for template in &page {
        let full = template.to_graph();
        let full = full.as_object().cloned().unwrap_or_default();
        data.push(Value::Object(select(
            &TEMPLATE_NODE,
            &full,
            params.get("fields"),
        )?));
    }
    let end = start + page.len();
    let mut paging = json!({"cursors": {
        "before": encode_cursor(start),
        "after": encode_cursor(end.saturating_sub(1).max(start)),
    }});
    if end < matching.len() {
        paging["cursors"]["after"] = json!(encode_cursor(end));
        paging["next"] = json!(format!(
            "{}/{waba_id}/message_templates?limit={limit}&after={}",
            call.sim.base_url,
            encode_cursor(end)
        ));
    }
    let mut body = json!({"data": data, "paging": paging});
    if let Some(summary) = params.get("summary") {
        let mut out = Map::new();
        for field in crate::fields::split(summary) {
            let value = match field.as_str() {
                "total_count" => json!(matching.len()),
                "message_template_count" => json!(all.len()),
                "message_template_limit" => json!(TEMPLATE_LIMIT),
                "are_translations_complete" => json!(true),
                other => {
                    return Err(GraphError::param(format!(
                        "Tried accessing nonexisting summary field ({other})"
                    )));
                }
            };
            out.insert(field, value);
        }
        body["summary"] = Value::Object(out);
    }
    Ok(json_ok(&body))
}

fn encode_cursor(index: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("sim-template-{index}"))
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("sim-template-")?
        .parse()
        .ok()
}

fn body_text(config: &TemplateConfig) -> String {
    config
        .components
        .iter()
        .filter(|c| {
            c["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("BODY"))
        })
        .filter_map(|c| c["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The template with Graph id `id`, if the caller's token may see it.
pub(crate) fn find_by_id(sim: &Sim, id: &str) -> Option<Arc<Template>> {
    read(&sim.templates).iter().find(|t| t.id == id).cloned()
}

/// Checks that the caller's token holds a WABA that sees `template`.
fn authorize_template(
    call: &Call<'_>,
    template: &Template,
    method: &str,
) -> Result<(), GraphError> {
    let token = authorize_any(call.sim, call.headers, call.params)?;
    let allowed = read(&call.sim.tokens).get(token).is_some_and(|grant| {
        grant
            .wabas
            .iter()
            .any(|waba| template.visible_to(waba.as_str()))
    });
    if allowed {
        Ok(())
    } else {
        Err(GraphError::unknown_object(method, &template.id))
    }
}

/// `GET /{template_id}`.
pub(crate) fn get(call: &Call<'_>, template: &Template) -> Result<Response, GraphError> {
    authorize_template(call, template, "get")?;
    let full = template.to_graph();
    let full = full.as_object().cloned().unwrap_or_default();
    let mut asked = call.params.get("fields").map(str::to_owned);
    if asked.is_none() {
        // A single template answers every field it holds when none are named.
        asked = Some(TEMPLATE_NODE.known.join(","));
    }
    Ok(json_ok(&Value::Object(select(
        &TEMPLATE_NODE,
        &full,
        asked.as_deref(),
    )?)))
}

/// `POST /{waba_id}/message_templates`.
pub(crate) fn create(call: &Call<'_>, waba_id: &str) -> Result<Response, GraphError> {
    let body = json_body(call)?;
    authorize_waba(
        call.sim,
        call.headers,
        call.params,
        body.get("appsecret_proof").and_then(Value::as_str),
        "post",
        waba_id,
    )?;
    let name = required_str(&body, "name")?;
    check_name(name)?;
    let language = required_str(&body, "language")?;
    check_language(language)?;
    let category = required_str(&body, "category")?.to_ascii_uppercase();
    check_category(&category)?;
    let parameter_format = parameter_format_of(&body)?;
    let components = match body.get("components") {
        None => return Err(GraphError::param_missing("components")),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err(GraphError::param("Param components must be an array.")),
    };
    check_components(&components, &category, &parameter_format)?;
    let exists = read(&call.sim.templates)
        .iter()
        .any(|t| t.visible_to(waba_id) && t.config.name == name && t.config.language == language);
    if exists {
        return Err(GraphError::user_error(
            2_388_024,
            "Content in this language already exists",
            format!(
                "Your template couldn't be submitted because content already exists in this language ({language}) for {name}."
            ),
        ));
    }
    let id = media_id();
    let config = TemplateConfig {
        id: Some(id.clone()),
        status: "PENDING".into(),
        components,
        waba_id: Some(waba_id.to_owned()),
        parameter_format: Some(parameter_format),
        ..TemplateConfig::new(name, language, &category, "")
    };
    call.sim.add_template(config).map_err(GraphError::param)?;
    schedule_review(call.sim, &id);
    Ok(json_ok(
        &json!({"id": id, "status": "PENDING", "category": category}),
    ))
}

/// `POST /{template_id}`: new components, category, parameter format or send TTL; the
/// template goes back to review.
pub(crate) fn edit(call: &Call<'_>, template: &Template) -> Result<Response, GraphError> {
    let body = json_body(call)?;
    authorize_template(call, template, "post")?;
    let mut config = template.config.clone();
    if config.status.eq_ignore_ascii_case("PENDING") {
        return Err(GraphError::user_error(
            2_388_025,
            "Template is in review",
            "A template cannot be edited while it is in review.",
        ));
    }
    if config.status.eq_ignore_ascii_case("DISABLED") {
        return Err(GraphError::user_error(
            2_388_026,
            "Template cannot be edited",
            "A disabled template cannot be edited.",
        ));
    }
    if let Some(category) = body.get("category") {
        let category = category
            .as_str()
            .ok_or_else(|| GraphError::param("Param category must be a string."))?
            .to_ascii_uppercase();
        check_category(&category)?;
        if category != config.category && config.status.eq_ignore_ascii_case("APPROVED") {
            return Err(GraphError::user_error(
                2_388_027,
                "Category cannot be edited",
                "The category of an approved template cannot be edited.",
            ));
        }
        config.category = category;
    }
    if body.get("parameter_format").is_some() {
        config.parameter_format = Some(parameter_format_of(&body)?);
    }
    if let Some(components) = body.get("components") {
        let Value::Array(items) = components else {
            return Err(GraphError::param("Param components must be an array."));
        };
        let format = config
            .parameter_format
            .clone()
            .unwrap_or_else(|| template.parameter_format());
        check_components(items, &config.category, &format)?;
        config.components = items.clone();
    }
    if body.get("components").is_none() && body.get("category").is_none() {
        return Err(GraphError::param(
            "Nothing to edit: give components or category.",
        ));
    }
    config.status = "PENDING".into();
    config.rejected_reason = None;
    config.id = Some(template.id.clone());
    call.sim.add_template(config).map_err(GraphError::param)?;
    schedule_review(call.sim, &template.id);
    Ok(json_ok(&json!({"success": true})))
}

/// `DELETE /{waba_id}/message_templates?name=…[&hsm_id=…]`: by id, or every language of a name.
pub(crate) fn delete(call: &Call<'_>, waba_id: &str) -> Result<Response, GraphError> {
    authorize_waba(call.sim, call.headers, call.params, None, "delete", waba_id)?;
    let name = call
        .params
        .get("name")
        .ok_or_else(|| GraphError::param_missing("name"))?;
    let hsm_id = call.params.get("hsm_id");
    let mut templates = write(&call.sim.templates);
    let before = templates.len();
    templates.retain(|t| {
        let hit =
            t.visible_to(waba_id) && t.config.name == name && hsm_id.is_none_or(|id| t.id == id);
        !hit
    });
    if templates.len() == before {
        return Err(GraphError::user_error(
            2_593_002,
            "Message template not found",
            match hsm_id {
                Some(id) => format!("No template {name} with id {id} exists in this account."),
                None => format!("No template {name} exists in this account."),
            },
        ));
    }
    Ok(json_ok(&json!({"success": true})))
}

fn json_body(call: &Call<'_>) -> Result<Map<String, Value>, GraphError> {
    match serde_json::from_slice::<Value>(call.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(GraphError::param("The request body must be a JSON object.")),
        Err(e) => Err(GraphError::param(format!(
            "The request body is not valid JSON: {e}."
        ))),
    }
}

fn required_str<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, GraphError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(GraphError::param_missing(field)),
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(GraphError::param(format!(
            "Param {field} must be a non-empty string."
        ))),
    }
}

fn check_name(name: &str) -> Result<(), GraphError> {
    let ok = name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(GraphError::param(format!(
            "Param name must be at most {MAX_NAME} characters of lowercase letters, digits and underscores."
        )))
    }
}

fn check_language(language: &str) -> Result<(), GraphError> {
    let (base, region) = match language.split_once('_') {
        Some((base, region)) => (base, Some(region)),
        None => (language, None),
    };
    let ok = (2..=3).contains(&base.len())
        && base.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| {
            (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    if ok {
        Ok(())
    } else {
        Err(GraphError::param(format!(
            "Param language must be a supported language code like en_US, not '{language}'."
        )))
    }
}

fn check_category(category: &str) -> Result<(), GraphError> {
    if matches!(category, "MARKETING" | "UTILITY" | "AUTHENTICATION") {
        Ok(())
    } else {
        Err(GraphError::param(format!(
            "Param category must be one of {{MARKETING, UTILITY, AUTHENTICATION}}, not '{category}'."
        )))
    }
}

fn parameter_format_of(body: &Map<String, Value>) -> Result<String, GraphError> {
    match body.get("parameter_format") {
        None | Some(Value::Null) => Ok("POSITIONAL".into()),
        Some(Value::String(s))
            if matches!(s.to_ascii_uppercase().as_str(), "POSITIONAL" | "NAMED") =>
        {
            Ok(s.to_ascii_uppercase())
        }
        Some(_) => Err(GraphError::param(
            "Param parameter_format must be one of {POSITIONAL, NAMED}.",
        )),
    }
}

fn text_of<'a>(
    component: &'a Map<String, Value>,
    path: &str,
) -> Result<Option<&'a str>, GraphError> {
    match component.get("text") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(GraphError::param(format!(
            "Param {path}.text must be a string."
        ))),
    }
}

/// Checks a text's variables: positional ones numbered 1, 2, … and named ones in lowercase, and
/// that the example gives one value per variable.
fn check_variables(
    text: &str,
    path: &str,
    format: &str,
    example: Option<&Value>,
    positional_key: &str,
    named_key: &str,
) -> Result<usize, GraphError> {
    let names = placeholder_names(text);
    if names.is_empty() {
        return Ok(0);
    }
    if format == "NAMED" {
        for name in &names {
            if !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                || name.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(GraphError::param(format!(
                    "Param {path}.text has variable {{{{{name}}}}}: named parameters are lowercase letters, digits and underscores."
                )));
            }
        }
        let given = example
            .and_then(|e| e.get(named_key))
            .and_then(Value::as_array)
            .ok_or_else(|| {
                GraphError::param(format!(
                    "Param {path}.example.{named_key} is required: the text has variables."
                ))
            })?;
        for name in &names {
            let found = given.iter().any(|item| {
                item["param_name"].as_str() == Some(name) && item["example"].is_string()
            });
            if !found {
                return Err(GraphError::param(format!(
                    "Param {path}.example.{named_key} has no example for {{{{{name}}}}}."
                )));
            }
        }
        return Ok(names.len());
    }
    for (at, name) in names.iter().enumerate() {
        if name.parse::<usize>().ok() != Some(at + 1) {
            return Err(GraphError::param(format!(
                "Param {path}.text has variable {{{{{name}}}}}: positional parameters are numbered {{{{1}}}}, {{{{2}}}}, … in order."
            )));
        }
    }
    let given = example.and_then(|e| e.get(positional_key)).ok_or_else(|| {
        GraphError::param(format!(
            "Param {path}.example.{positional_key} is required: the text has variables."
        ))
    })?;
    // Body examples are one list inside a list; header examples a flat list.
    let values = match given {
        Value::Array(items) if items.first().is_some_and(Value::is_array) => {
            items[0].as_array().map_or(0, Vec::len)
        }
        Value::Array(items) => items.len(),
        _ => 0,
    };
    if values != names.len() {
        return Err(GraphError::param(format!(
            "Param {path}.example.{positional_key} gives {values} values for {} variables.",
            names.len()
        )));
    }
    Ok(names.len())
}

fn check_components(components: &[Value], category: &str, format: &str) -> Result<(), GraphError> {
    let mut seen: Vec<String> = Vec::new();
    for (at, component) in components.iter().enumerate() {
        let path = format!("components[{at}]");
        let Some(object) = component.as_object() else {
            return Err(GraphError::param(format!(
                "Param {path} must be an object."
            )));
        };
        let kind = object
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| GraphError::param_missing(&format!("{path}.type")))?
            .to_ascii_uppercase();
        if seen.contains(&kind) {
            return Err(GraphError::param(format!(
                "Param components has more than one {kind} component."
            )));
        }
        seen.push(kind.clone());
        let example = object.get("example");
        match kind.as_str() {
            "BODY" => {
                let text = text_of(object, &path)?;
                let Some(text) = text else {
                    if category == "AUTHENTICATION" {
                        continue;
                    }
                    return Err(GraphError::param_missing(&format!("{path}.text")));
                };
                if text.chars().count() > MAX_BODY {
                    return Err(GraphError::param(format!(
                        "Param {path}.text must be at most {MAX_BODY} characters."
                    )));
                }
                let variables = check_variables(
                    text,
                    &path,
                    format,
                    example,
                    "body_text",
                    "body_text_named_params",
                )?;
                let trimmed = text.trim();
                if variables > 0 && (trimmed.starts_with("{{") || trimmed.ends_with("}}")) {
                    return Err(GraphError::user_error(
                        2_388_299,
                        "Variables can't be at the start or end of the template",
                        format!("The text of {path} starts or ends with a variable."),
                    ));
                }
            }
            "HEADER" => {
                let header_format = object
                    .get("format")
                    .and_then(Value::as_str)
                    .ok_or_else(|| GraphError::param_missing(&format!("{path}.format")))?
                    .to_ascii_uppercase();
                match header_format.as_str() {
                    "TEXT" => {
                        let text = text_of(object, &path)?
                            .ok_or_else(|| GraphError::param_missing(&format!("{path}.text")))?;
                        if text.chars().count() > MAX_HEADER {
                            return Err(GraphError::param(format!(
                                "Param {path}.text must be at most {MAX_HEADER} characters."
                            )));
                        }
                        let variables = check_variables(
                            text,
                            &path,
                            format,
                            example,
                            "header_text",
                            "header_text_named_params",
                        )?;
                        if variables > 1 {
                            return Err(GraphError::param(format!(
                                "Param {path}.text may have at most one variable."
                            )));
                        }
                    }
                    "IMAGE" | "VIDEO" | "DOCUMENT" => {
                        let handles = example
                            .and_then(|e| e.get("header_handle"))
                            .and_then(Value::as_array);
                        let ok = handles.is_some_and(|h| {
                            !h.is_empty()
                                && h.iter().all(|v| v.as_str().is_some_and(|s| !s.is_empty()))
                        });
                        if !ok {
                            return Err(GraphError::param(format!(
                                "Param {path}.example.header_handle is required: a media header needs a sample uploaded through the resumable upload API."
                            )));
                        }
                    }
                    "LOCATION" => {}
                    other => {
                        return Err(GraphError::param(format!(
                            "Param {path}.format must be one of {{TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION}}, not '{other}'."
                        )));
                    }
                }
            }
            "FOOTER" => {
                let text = text_of(object, &path)?;
                if let Some(text) = text {
                    if text.chars().count() > MAX_FOOTER {
                        return Err(GraphError::param(format!(
                            "Param {path}.text must be at most {MAX_FOOTER} characters."
                        )));
                    }
                    if !placeholder_names(text).is_empty() {
                        return Err(GraphError::param(format!(
                            "Param {path}.text may not have variables."
                        )));
                    }
                } else if category != "AUTHENTICATION" {
                    return Err(GraphError::param_missing(&format!("{path}.text")));
                }
            }
            "BUTTONS" => check_buttons(object, &path, format)?,
            "CAROUSEL" | "LIMITED_TIME_OFFER" => {}
            other => {
                return Err(GraphError::param(format!(
                    "Param {path}.type must be one of {{HEADER, BODY, FOOTER, BUTTONS, CAROUSEL, LIMITED_TIME_OFFER}}, not '{other}'."
                )));
            }
        }
    }
    if !seen.iter().any(|k| k == "BODY") {
        return Err(GraphError::param(
            "Param components must have a BODY component.",
        ));
    }
    Ok(())
}

fn check_buttons(object: &Map<String, Value>, path: &str, format: &str) -> Result<(), GraphError> {
    let buttons = object
        .get("buttons")
        .and_then(Value::as_array)
        .ok_or_else(|| GraphError::param_missing(&format!("{path}.buttons")))?;
    if buttons.is_empty() || buttons.len() > MAX_BUTTONS {
        return Err(GraphError::param(format!(
            "Param {path}.buttons must have 1 to {MAX_BUTTONS} buttons."
        )));
    }
    for (at, button) in buttons.iter().enumerate() {
        let path = format!("{path}.buttons[{at}]");
        let kind = button["type"]
            .as_str()
            .ok_or_else(|| GraphError::param_missing(&format!("{path}.type")))?
            .to_ascii_uppercase();
        let needs_text = !matches!(kind.as_str(), "OTP" | "COPY_CODE" | "CATALOG" | "MPM");
        match button["text"].as_str() {
            Some(text) if text.chars().count() > MAX_BUTTON_TEXT => {
                return Err(GraphError::param(format!(
                    "Param {path}.text must be at most {MAX_BUTTON_TEXT} characters."
                )));
            }
            None if needs_text => {
                return Err(GraphError::param_missing(&format!("{path}.text")));
            }
            _ => {}
        }
        match kind.as_str() {
            "URL" => {
                let url = button["url"]
                    .as_str()
                    .ok_or_else(|| GraphError::param_missing(&format!("{path}.url")))?;
                if url.len() > MAX_URL {
                    return Err(GraphError::param(format!(
                        "Param {path}.url must be at most {MAX_URL} characters."
                    )));
                }
                let variables = placeholder_names(url);
                if variables.len() > 1 || (variables.len() == 1 && !url.trim_end().ends_with("}}"))
                {
                    return Err(GraphError::param(format!(
                        "Param {path}.url may have one variable, at its end."
                    )));
                }
                if !variables.is_empty() && !button["example"].is_array() {
                    return Err(GraphError::param(format!(
                        "Param {path}.example is required: the URL has a variable."
                    )));
                }
            }
            "PHONE_NUMBER" => {
                let phone = button["phone_number"]
                    .as_str()
                    .ok_or_else(|| GraphError::param_missing(&format!("{path}.phone_number")))?;
                if phone.len() > 20 {
                    return Err(GraphError::param(format!(
                        "Param {path}.phone_number must be at most 20 characters."
                    )));
                }
            }
            "QUICK_REPLY" | "COPY_CODE" | "OTP" | "FLOW" | "CATALOG" | "MPM" | "VOICE_CALL" => {}
            other => {
                return Err(GraphError::param(format!(
                    "Param {path}.type '{other}' is not a template button type."
                )));
            }
        }
        let _ = format;
    }
    Ok(())
}

/// Meta's review of template `id`: after the configured delay it is approved, or rejected with
/// the configured reason at the configured rate, unless it changed or went in the meantime.
fn schedule_review(sim: &Arc<Sim>, id: &str) {
    let review = sim.settings().template_review.clone();
    let sim = Arc::clone(sim);
    let id = id.to_owned();
    tokio::spawn(async move {
        tokio::select! {
            () = sim.shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(review.delay_ms)) => {}
        }
        let Some(template) = find_by_id(&sim, &id) else {
            return;
        };
        if !template.config.status.eq_ignore_ascii_case("PENDING") {
            return;
        }
        let rejected = review.reject_rate > 0.0 && thread_f64() < review.reject_rate;
        let (status, reason) = if rejected {
            ("REJECTED", review.reject_reason.as_str())
        } else {
            ("APPROVED", "NONE")
        };
        let mut config = template.config.clone();
        config.status = status.into();
        config.rejected_reason = rejected.then(|| reason.to_owned());
        config.id = Some(template.id.clone());
        if sim.add_template(config).is_ok()
            && let Some(updated) = find_by_id(&sim, &id)
        {
            announce_status(&sim, &updated, status, reason);
        }
    });
}

/// Sends `message_template_status_update` for `template` to every WABA that sees it.
pub(crate) fn announce_status(sim: &Sim, template: &Template, event: &str, reason: &str) {
    let id: Value = template
        .id
        .parse::<u64>()
        .map_or_else(|_| json!(template.id), |n| json!(n));
    let value = json!({
        "event": event,
        "message_template_id": id,
        "message_template_name": template.config.name,
        "message_template_language": template.config.language,
        "message_template_category": template.config.category,
        "reason": reason,
    });
    announce(sim, template, "message_template_status_update", &value);
}

/// Sends `message_template_quality_update` for `template`.
pub(crate) fn announce_quality(sim: &Sim, template: &Template, previous: &str, new: &str) {
    let id: Value = template
        .id
        .parse::<u64>()
        .map_or_else(|_| json!(template.id), |n| json!(n));
    let value = json!({
        "previous_quality_score": previous,
        "new_quality_score": new,
        "message_template_id": id,
        "message_template_name": template.config.name,
        "message_template_language": template.config.language,
    });
    announce(sim, template, "message_template_quality_update", &value);
}

fn announce(sim: &Sim, template: &Template, field: &'static str, value: &Value) {
    let wabas: Vec<String> = match &template.config.waba_id {
        Some(waba) => vec![waba.clone()],
        None => read(&sim.wabas).keys().cloned().collect(),
    };
    let time = sim.now().as_secs();
    let updates = wabas
        .into_iter()
        .map(|waba_id| {
            (
                Duration::ZERO,
                Update {
                    waba_id,
                    phone_number_id: String::new(),
                    display_digits: String::new(),
                    kind: UpdateKind::Field {
                        field,
                        value: value.clone(),
                        time,
                    },
                },
            )
        })
        .collect();
    sim.webhooks.schedule(updates);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str, example: Value) -> Value {
        json!({"type": "BODY", "text": text, "example": example})
    }

    #[test]
    fn names_follow_meta_rules() {
        assert!(check_name("order_update_2").is_ok());
        for bad in ["Order", "order-update", "order update", &"a".repeat(513)] {
            let error = check_name(bad).unwrap_err();
            assert!(error.message.contains("Param name"), "{}", error.message);
        }
    }

    #[test]
    fn body_variables_need_examples_and_order() {
        let ok = [body(
            "Hi {{1}}, order {{2}} shipped.",
            json!({"body_text": [["Ada", "42"]]}),
        )];
        assert!(check_components(&ok, "UTILITY", "POSITIONAL").is_ok());
        let missing = [body("Hi {{1}} there", json!({}))];
        let error = check_components(&missing, "UTILITY", "POSITIONAL").unwrap_err();
        assert!(
            error.message.contains("example.body_text"),
            "{}",
            error.message
        );
        let gap = [body("Hi {{2}} there", json!({"body_text": [["x"]]}))];
        assert!(check_components(&gap, "UTILITY", "POSITIONAL").is_err());
        let edge = [body("{{1}} is here", json!({"body_text": [["x"]]}))];
        assert_eq!(
            check_components(&edge, "UTILITY", "POSITIONAL")
                .unwrap_err()
                .subcode,
            Some(2_388_299)
        );
        let named = [body(
            "Hi {{first_name}} there",
            json!({"body_text_named_params": [{"param_name": "first_name", "example": "Ada"}]}),
        )];
        assert!(check_components(&named, "MARKETING", "NAMED").is_ok());
    }

    #[test]
    fn sizes_are_limited() {
        let long = [body(&"x".repeat(1025), json!({}))];
        assert!(
            check_components(&long, "UTILITY", "POSITIONAL")
                .unwrap_err()
                .message
                .contains("at most 1024")
        );
        let no_body = [json!({"type": "FOOTER", "text": "bye"})];
        assert!(check_components(&no_body, "UTILITY", "POSITIONAL").is_err());
        let media = [
            json!({"type": "HEADER", "format": "IMAGE"}),
            body("Hello there", json!({})),
        ];
        assert!(
            check_components(&media, "MARKETING", "POSITIONAL")
                .unwrap_err()
                .message
                .contains("header_handle")
        );
    }
}
