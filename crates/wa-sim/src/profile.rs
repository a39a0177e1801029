//! The business profile of a number: `GET /{phone_number_id}/whatsapp_business_profile`
//! (honouring `fields`, answered as `{"data":[{…}]}`) and `POST` of the same path, checked
//! against Meta's `WhatsAppBusinessProfileUpdateRequest`: `messaging_product` `whatsapp`,
//! `about` 1 to 139 characters, `address` and `description` at most 256, `email` an address of
//! at most 128, at most 2 `websites` (http or https, at most 256 each), `vertical` one of
//! Meta's list, and a `profile_picture_handle` from the resumable upload API.

use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::auth::authorize_number;
use crate::fields::{NodeType, select};
use crate::graph_call::{Call, json_ok};
use crate::graph_error::GraphError;
use crate::state::{read, write};

/// The profile's fields (`WhatsAppBusinessProfile`).
const PROFILE_NODE: NodeType = NodeType {
    name: "WhatsAppBusinessProfile",
    known: &[
        "messaging_product",
        "about",
        "address",
        "description",
        "email",
        "profile_picture_url",
        "websites",
        "vertical",
    ],
    default: &[
        "messaging_product",
        "about",
        "address",
        "description",
        "email",
        "profile_picture_url",
        "websites",
        "vertical",
    ],
};

/// Meta's `WhatsAppBusinessVertical`.
const VERTICALS: &[&str] = &[
    "OTHER",
    "AUTO",
    "BEAUTY",
    "APPAREL",
    "EDU",
    "ENTERTAIN",
    "EVENT_PLAN",
    "FINANCE",
    "GROCERY",
    "GOVT",
    "HOTEL",
    "HEALTH",
    "NONPROFIT",
    "PROF_SERVICES",
    "RETAIL",
    "TRAVEL",
    "RESTAURANT",
    "ALCOHOL",
    "ONLINE_GAMBLING",
    "PHYSICAL_GAMBLING",
    "OTC_DRUGS",
];

/// A new number's profile: what Meta shows before the business writes one.
fn initial() -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("messaging_product".into(), json!("whatsapp"));
    map.insert("vertical".into(), json!("OTHER"));
    map
}

/// `GET /{phone_number_id}/whatsapp_business_profile`.
pub(crate) fn get(call: &Call<'_>, phone_number_id: &str) -> Result<Response, GraphError> {
    authorize_number(
        call.sim,
        call.headers,
        call.params,
        None,
        "get",
        phone_number_id,
    )?;
    let profile = read(&call.sim.profiles)
        .get(phone_number_id)
        .cloned()
        .unwrap_or_else(initial);
    let mut selected = select(&PROFILE_NODE, &profile, call.params.get("fields"))?;
    // Meta always names the product, whatever fields were asked for.
    selected.insert("messaging_product".into(), json!("whatsapp"));
    Ok(json_ok(&json!({"data": [selected]})))
}

/// `POST /{phone_number_id}/whatsapp_business_profile`.
pub(crate) fn update(call: &Call<'_>, phone_number_id: &str) -> Result<Response, GraphError> {
    let body: Map<String, Value> = match serde_json::from_slice::<Value>(call.body) {
        Ok(Value::Object(map)) => map,
        _ => {
            // Graph also takes form fields; they arrive as strings.
            let params = crate::graph_call::body_params(call.body);
            let mut map = Map::new();
            for name in PROFILE_NODE
                .known
                .iter()
                .chain(["profile_picture_handle"].iter())
            {
                if let Some(text) = params.get(name) {
                    let value = if *name == "websites" {
                        serde_json::from_str(text).unwrap_or_else(|_| json!(text))
                    } else {
                        json!(text)
                    };
                    map.insert((*name).to_owned(), value);
                }
            }
            map
        }
    };
    authorize_number(
        call.sim,
        call.headers,
        call.params,
        body.get("appsecret_proof").and_then(Value::as_str),
        "post",
        phone_number_id,
    )?;
    match body.get("messaging_product") {
        None => {
            if call.params.get("messaging_product") != Some("whatsapp") {
                return Err(GraphError::param_missing("messaging_product"));
            }
        }
        Some(Value::String(s)) if s == "whatsapp" => {}
        Some(_) => {
            return Err(GraphError::param(
                "Param messaging_product must be whatsapp.",
            ));
        }
    }
    let mut changes = Map::new();
    for (name, max) in [
        ("about", 139),
        ("address", 256),
        ("description", 256),
        ("email", 128),
    ] {
        let Some(value) = body.get(name) else {
            continue;
        };
        let Some(text) = value.as_str() else {
            return Err(GraphError::param(format!("Param {name} must be a string.")));
        };
        let length = text.chars().count();
        if length > max || (name == "about" && length == 0) {
            return Err(GraphError::param(format!(
                "Param {name} must be {} to {max} characters.",
                usize::from(name == "about")
            )));
        }
        if name == "email" && !text.is_empty() && !looks_like_email(text) {
            return Err(GraphError::param(
                "Param email must be a valid email address.",
            ));
        }
        changes.insert(name.to_owned(), json!(text));
    }
    if let Some(websites) = body.get("websites") {
        let ok = websites.as_array().is_some_and(|sites| {
            sites.len() <= 2
                && sites.iter().all(|site| {
                    site.as_str().is_some_and(|url| {
                        url.len() <= 256
                            && (url.starts_with("http://") || url.starts_with("https://"))
                    })
                })
        });
        if !ok {
            return Err(GraphError::param(
                "Param websites must be at most 2 http or https URLs of at most 256 characters.",
            ));
        }
        changes.insert("websites".into(), websites.clone());
    }
    if let Some(vertical) = body.get("vertical") {
        let valid = vertical.as_str().is_some_and(|v| VERTICALS.contains(&v));
        if !valid {
            return Err(GraphError::param(format!(
                "Param vertical must be one of {{{}}}.",
                VERTICALS.join(", ")
            )));
        }
        changes.insert("vertical".into(), vertical.clone());
    }
    if let Some(handle) = body.get("profile_picture_handle") {
        let Some(handle) = handle.as_str().filter(|h| !h.is_empty()) else {
            return Err(GraphError::param(
                "Param profile_picture_handle must be a handle from the resumable upload API.",
            ));
        };
        changes.insert(
            "profile_picture_url".into(),
            json!(format!(
                "{}/pps/profile_picture?handle={}",
                call.sim.base_url,
                url::form_urlencoded::byte_serialize(handle.as_bytes()).collect::<String>()
            )),
        );
    }
    let mut profiles = write(&call.sim.profiles);
    let profile = profiles
        .entry(phone_number_id.to_owned())
        .or_insert_with(initial);
    for (name, value) in changes {
        profile.insert(name, value);
    }
    Ok(json_ok(&json!({"success": true})))
}

fn looks_like_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !text.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_loosely() {
        assert!(looks_like_email("a@b.co"));
        assert!(!looks_like_email("a@b"));
        assert!(!looks_like_email("a b@c.d"));
        assert!(!looks_like_email("@c.d"));
    }
}
