//! Account and onboarding endpoints: phone number fields, WABA edges (`phone_numbers`,
//! `message_templates`, `subscribed_apps`), `register`, and the Embedded Signup server calls
//! (`oauth/access_token` code exchange, `debug_token`).

use std::sync::atomic::Ordering;

use axum::http::Method;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::auth::{authorize_any, authorize_number, authorize_waba};
use crate::graph::{Call, body_params, json_ok};
use crate::graph_error::GraphError;
use crate::ids::opaque_token;
use crate::state::{NumberState, lock, read, write};

/// Fields a phone number answers when none are asked for.
const DEFAULT_NUMBER_FIELDS: &[&str] = &[
    "verified_name",
    "code_verification_status",
    "display_phone_number",
    "quality_rating",
    "platform_type",
    "throughput",
    "id",
];

/// `GET /{id}`: a phone number's fields, a media object, or a WABA.
pub(crate) fn get_object(call: &Call<'_>, id: &str) -> Result<Response, GraphError> {
    if read(&call.sim.media).contains_key(id) {
        return crate::media::info(call, id);
    }
    if call.sim.number(id).is_some() {
        let number = authorize_number(call.sim, call.headers, call.params, None, "get", id)?;
        return number_fields(call, &number);
    }
    if read(&call.sim.wabas).contains_key(id) {
        authorize_waba(call.sim, call.headers, call.params, None, "get", id)?;
        return Ok(json_ok(&json!({
            "id": id,
            "name": "wa Simulated WABA",
            "currency": "USD",
            "timezone_id": "1",
            "message_template_namespace": format!("sim_{id}"),
        })));
    }
    authorize_any(call.sim, call.headers, call.params)?;
    Err(GraphError::unknown_object("get", id))
}

fn number_fields(call: &Call<'_>, number: &NumberState) -> Result<Response, GraphError> {
    let asked: Vec<String> = match call.params.get("fields") {
        Some(fields) => split_fields(fields),
        None => DEFAULT_NUMBER_FIELDS
            .iter()
            .map(|f| (*f).to_owned())
            .collect(),
    };
    let mut object = Map::new();
    for field in &asked {
        let value = number_field(call, number, field).ok_or_else(|| {
            GraphError::invalid(format!(
                "Tried accessing nonexisting field ({field}) on node type (WhatsAppBusinessPhoneNumber)"
            ))
        })?;
        object.insert(field.clone(), value);
    }
    object.insert("id".into(), json!(number.config.phone_number_id));
    Ok(json_ok(&Value::Object(object)))
}

/// `a,b{c,d},e` → `[a, b, e]`: sub-field selections are answered in full.
fn split_fields(fields: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for ch in fields.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                if !current.trim().is_empty() {
                    out.push(current.trim().to_owned());
                }
                current.clear();
            }
            _ if depth == 0 => current.push(ch),
            _ => {}
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

fn number_field(call: &Call<'_>, number: &NumberState, field: &str) -> Option<Value> {
    let config = &number.config;
    let mps = config
        .throughput_mps
        .unwrap_or(call.sim.settings().limits.throughput_per_number);
    let registered = number.registered.load(Ordering::Relaxed);
    Some(match field {
        "id" => json!(config.phone_number_id),
        "display_phone_number" => json!(config.display_phone_number),
        "verified_name" => json!(config.verified_name),
        "quality_rating" => json!(config.quality_rating),
        "code_verification_status" => json!("VERIFIED"),
        "name_status" => json!("APPROVED"),
        "status" => json!(if registered { "CONNECTED" } else { "PENDING" }),
        "platform_type" => json!(if registered {
            "CLOUD_API"
        } else {
            "NOT_APPLICABLE"
        }),
        "throughput" => json!({"level": if mps >= 1000 { "HIGH" } else { "STANDARD" }}),
        "whatsapp_business_manager_messaging_limit" | "messaging_limit_tier" => {
            json!(config.messaging_limit_tier)
        }
        "account_mode" => json!("LIVE"),
        "is_official_business_account" => json!(false),
        "country_dial_code" => json!(number.display_digits.chars().take(1).collect::<String>()),
        _ => return None,
    })
}

fn paging() -> Value {
    json!({"cursors": {"before": "QVFIUmxyc2ltYmVmb3Jl", "after": "QVFIUmxyc2ltYWZ0ZXI="}})
}

/// `GET /{waba_id}/phone_numbers`.
pub(crate) fn phone_numbers(call: &Call<'_>, waba_id: &str) -> Result<Response, GraphError> {
    authorize_waba(call.sim, call.headers, call.params, None, "get", waba_id)?;
    let numbers = read(&call.sim.numbers);
    let mut data = Vec::new();
    let mut owned: Vec<_> = numbers
        .values()
        .filter(|n| n.config.waba_id == waba_id)
        .collect();
    owned.sort_by(|a, b| a.config.phone_number_id.cmp(&b.config.phone_number_id));
    for number in owned {
        let mut object = Map::new();
        for field in DEFAULT_NUMBER_FIELDS {
            if let Some(value) = number_field(call, number, field) {
                object.insert((*field).to_owned(), value);
            }
        }
        data.push(Value::Object(object));
    }
    Ok(json_ok(&json!({"data": data, "paging": paging()})))
}

/// `GET /{waba_id}/message_templates` (optional `name` and `status` filters).
pub(crate) fn templates(call: &Call<'_>, waba_id: &str) -> Result<Response, GraphError> {
    authorize_waba(call.sim, call.headers, call.params, None, "get", waba_id)?;
    let name = call.params.get("name");
    let status = call.params.get("status");
    let data: Vec<Value> = read(&call.sim.templates)
        .iter()
        .filter(|t| t.visible_to(waba_id))
        .filter(|t| name.is_none_or(|n| t.config.name == n))
        .filter(|t| status.is_none_or(|s| t.config.status.eq_ignore_ascii_case(s)))
        .map(|t| t.to_graph())
        .collect();
    Ok(json_ok(&json!({"data": data, "paging": paging()})))
}

/// `POST|GET|DELETE /{waba_id}/subscribed_apps`.
pub(crate) fn subscribed_apps(
    call: &Call<'_>,
    method: &Method,
    waba_id: &str,
) -> Result<Response, GraphError> {
    let fields = body_params(call.body);
    let proof = fields.get("appsecret_proof");
    authorize_waba(
        call.sim,
        call.headers,
        call.params,
        proof,
        method.as_str(),
        waba_id,
    )?;
    let settings = call.sim.settings();
    match *method {
        Method::GET => {
            let subscribed = read(&call.sim.wabas)
                .get(waba_id)
                .is_some_and(|w| w.subscribed);
            let data: Vec<Value> = if subscribed {
                vec![json!({"whatsapp_business_api_data": {
                    "id": settings.app_id,
                    "link": format!("https://www.facebook.com/games/?app_id={}", settings.app_id),
                    "name": "wa",
                }})]
            } else {
                Vec::new()
            };
            Ok(json_ok(&json!({"data": data})))
        }
        Method::DELETE => {
            if let Some(waba) = write(&call.sim.wabas).get_mut(waba_id) {
                waba.subscribed = false;
            }
            Ok(json_ok(&json!({"success": true})))
        }
        _ => {
            let override_uri = fields
                .get("override_callback_uri")
                .or_else(|| call.params.get("override_callback_uri"))
                .map(str::to_owned);
            if override_uri.is_some()
                && fields
                    .get("verify_token")
                    .or_else(|| call.params.get("verify_token"))
                    .is_none()
            {
                return Err(GraphError::missing("verify_token"));
            }
            if let Some(waba) = write(&call.sim.wabas).get_mut(waba_id) {
                waba.subscribed = true;
                if override_uri.is_some() {
                    waba.callback_override = override_uri;
                }
            }
            Ok(json_ok(&json!({"success": true})))
        }
    }
}

/// `POST /{phone_number_id}/register` with `messaging_product` and a six-digit `pin`.
pub(crate) fn register(call: &Call<'_>, phone_number_id: &str) -> Result<Response, GraphError> {
    let fields = body_params(call.body);
    let number = authorize_number(
        call.sim,
        call.headers,
        call.params,
        fields.get("appsecret_proof"),
        "post",
        phone_number_id,
    )?;
    match fields.get("messaging_product") {
        None => return Err(GraphError::missing("messaging_product")),
        Some("whatsapp") => {}
        Some(_) => {
            return Err(GraphError::invalid(
                "Param messaging_product must be whatsapp.",
            ));
        }
    }
    let Some(pin) = fields.get("pin") else {
        return Err(GraphError::missing("pin"));
    };
    if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GraphError::invalid("Param pin must be a 6-digit number."));
    }
    number.registered.store(true, Ordering::Relaxed);
    Ok(json_ok(&json!({"success": true})))
}

/// `GET /oauth/access_token?client_id&client_secret&code`: Embedded Signup's code exchange.
/// Codes are single-use and expire (see `SimControl::create_signup`).
pub(crate) fn oauth_exchange(call: &Call<'_>) -> Result<Response, GraphError> {
    let settings = call.sim.settings();
    let params = call.params;
    let client_id = params
        .get("client_id")
        .ok_or_else(|| GraphError::missing("client_id"))?;
    if client_id != settings.app_id {
        return Err(GraphError {
            code: 101,
            ..GraphError::graph_method("Error validating application. Invalid application ID.")
        });
    }
    let secret = params
        .get("client_secret")
        .ok_or_else(|| GraphError::missing("client_secret"))?;
    if settings.app_secret.as_deref() != Some(secret) {
        return Err(GraphError {
            code: 1,
            kind: "OAuthException",
            ..GraphError::graph_method("Error validating client secret.")
        });
    }
    let code = params
        .get("code")
        .ok_or_else(|| GraphError::missing("code"))?;
    let grant = lock(&call.sim.signup_codes).remove(code);
    let Some(grant) = grant else {
        return Err(GraphError {
            kind: "OAuthException",
            subcode: Some(36009),
            ..GraphError::graph_method("This authorization code has been used or is invalid.")
        });
    };
    if call.sim.now_ns() > grant.expires_ns {
        return Err(GraphError {
            kind: "OAuthException",
            subcode: Some(36007),
            ..GraphError::graph_method("This authorization code has expired.")
        });
    }
    Ok(json_ok(&json!({
        "access_token": grant.access_token,
        "token_type": "bearer",
    })))
}

/// `GET /debug_token?input_token=…`: which WABAs a business token was granted.
pub(crate) fn debug_token(call: &Call<'_>) -> Result<Response, GraphError> {
    authorize_any(call.sim, call.headers, call.params)?;
    let input = call
        .params
        .get("input_token")
        .ok_or_else(|| GraphError::missing("input_token"))?;
    let settings = call.sim.settings();
    let grant = read(&call.sim.tokens).get(input).cloned();
    let data = match grant {
        Some(grant) if !grant.revoked => {
            let mut wabas: Vec<&String> = grant.wabas.iter().collect();
            wabas.sort();
            json!({
                "app_id": settings.app_id,
                "type": "SYSTEM_USER",
                "application": "wa",
                "data_access_expires_at": 0,
                "expires_at": 0,
                "is_valid": true,
                "scopes": ["whatsapp_business_management", "whatsapp_business_messaging"],
                "granular_scopes": [
                    {"scope": "whatsapp_business_management", "target_ids": wabas},
                    {"scope": "whatsapp_business_messaging", "target_ids": wabas},
                ],
                "user_id": format!("{}", 10_000_000_000_000u64 + u64::from(input.len() as u32)),
            })
        }
        _ => json!({
            "app_id": settings.app_id,
            "is_valid": false,
            "error": {"code": 190, "message": "Invalid OAuth access token."},
            "scopes": [],
        }),
    };
    Ok(json_ok(&json!({"data": data})))
}

/// A fresh business token for a signup.
pub(crate) fn new_business_token() -> String {
    opaque_token("EAASIM")
}
