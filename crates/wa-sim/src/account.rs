//! Account and onboarding endpoints: phone number and WABA fields (honouring `fields`), WABA
//! edges (`phone_numbers`, `subscribed_apps`; `message_templates` is `template_admin`),
//! `register`, `conversational_automation`, and the Embedded Signup server calls
//! (`oauth/access_token` code exchange, `debug_token`).

use std::sync::atomic::Ordering;

use axum::http::Method;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::auth::{authorize_any, authorize_number, authorize_waba};
use crate::fields::{NodeType, select};
use crate::graph_call::{Call, body_params, json_ok};
use crate::graph_error::GraphError;
use crate::ids::opaque_token;
use crate::state::{NumberState, lock, read, write};

/// A phone number's fields (`WhatsAppBusinessPhoneNumber`); the default is Meta's answer to a
/// call that names none.
pub(crate) const NUMBER_NODE: NodeType = NodeType {
    name: "WhatsAppBusinessPhoneNumber",
    known: &[
        "id",
        "verified_name",
        "display_phone_number",
        "quality_rating",
        "quality_score",
        "code_verification_status",
        "name_status",
        "new_name_status",
        "status",
        "platform_type",
        "throughput",
        "whatsapp_business_manager_messaging_limit",
        "messaging_limit_tier",
        "account_mode",
        "is_official_business_account",
        "is_pin_enabled",
        "is_preverified_number",
        "is_on_biz_app",
        "conversational_automation",
        "webhook_configuration",
        "search_visibility",
        "eligibility_for_api_business_global_search",
        "health_status",
        "certificate",
        "new_certificate",
        "new_display_name",
        "last_onboarded_time",
        "country_code",
        "country_dial_code",
        "official_business_account",
    ],
    default: &[
        "verified_name",
        "code_verification_status",
        "display_phone_number",
        "quality_rating",
        "platform_type",
        "throughput",
        "id",
    ],
};

/// The same node listed under a WABA: Meta's `WhatsAppBusinessAccountPhoneNumber` requires
/// `status` in each item, so the listing's default adds it.
const NUMBER_LIST_NODE: NodeType = NodeType {
    default: &[
        "verified_name",
        "code_verification_status",
        "display_phone_number",
        "quality_rating",
        "platform_type",
        "throughput",
        "status",
        "id",
    ],
    ..NUMBER_NODE
};

/// A WABA's fields (`WhatsAppBusinessAccount`).
const WABA_NODE: NodeType = NodeType {
    name: "WhatsAppBusinessAccount",
    known: &[
        "id",
        "name",
        "currency",
        "timezone_id",
        "message_template_namespace",
        "status",
        "account_review_status",
        "business_verification_status",
        "ownership_type",
        "country",
        "health_status",
        "is_enabled_for_insights",
        "subscribed_apps",
        "owner_business_info",
        "on_behalf_of_business_info",
        "primary_business_location",
        "marketing_messages_lite_api_status",
        "marketing_messages_onboarding_status",
        "disable_marketing_messages_on_cloud_api",
        "analytics",
        "conversation_analytics",
    ],
    default: &[
        "id",
        "name",
        "currency",
        "timezone_id",
        "message_template_namespace",
    ],
};

/// `GET /{id}`: a phone number's fields, a media object, a template, or a WABA.
pub(crate) fn get_object(call: &Call<'_>, id: &str) -> Result<Response, GraphError> {
    if read(&call.sim.media).contains_key(id) {
        return crate::media::info(call, id);
    }
    if call.sim.number(id).is_some() {
        let number = authorize_number(call.sim, call.headers, call.params, None, "get", id)?;
        let full = number_view(call, &number);
        return Ok(json_ok(&Value::Object(select(
            &NUMBER_NODE,
            &full,
            call.params.get("fields"),
        )?)));
    }
    if read(&call.sim.wabas).contains_key(id) {
        authorize_waba(call.sim, call.headers, call.params, None, "get", id)?;
        let full = waba_view(call, id);
        return Ok(json_ok(&Value::Object(select(
            &WABA_NODE,
            &full,
            call.params.get("fields"),
        )?)));
    }
    if let Some(template) = crate::template_admin::find_by_id(call.sim, id) {
        return crate::template_admin::get(call, &template);
    }
    authorize_any(call.sim, call.headers, call.params)?;
    Err(GraphError::unknown_object("get", id))
}

/// `POST /{id}`: a template's edit; other objects are not written through this path here.
pub(crate) fn post_object(call: &Call<'_>, id: &str) -> Result<Response, GraphError> {
    if let Some(template) = crate::template_admin::find_by_id(call.sim, id) {
        return crate::template_admin::edit(call, &template);
    }
    authorize_any(call.sim, call.headers, call.params)?;
    Err(GraphError::unknown_object("post", id))
}

/// Every field of a number that holds a value, as Meta answers it.
fn number_view(call: &Call<'_>, number: &NumberState) -> Map<String, Value> {
    let config = &number.config;
    let settings = call.sim.settings();
    let mps = config
        .throughput_mps
        .unwrap_or(settings.limits.throughput_per_number);
    let registered = number.registered.load(Ordering::Relaxed);
    let id = &config.phone_number_id;
    let can_send = if registered { "AVAILABLE" } else { "BLOCKED" };
    let mut view = json!({
        "id": id,
        "display_phone_number": config.display_phone_number,
        "verified_name": config.verified_name,
        "quality_rating": config.quality_rating,
        "quality_score": {"score": config.quality_rating},
        "code_verification_status": "VERIFIED",
        "name_status": "APPROVED",
        "new_name_status": "NONE",
        "status": if registered { "CONNECTED" } else { "PENDING" },
        "platform_type": if registered { "CLOUD_API" } else { "NOT_APPLICABLE" },
        "throughput": {"level": if mps >= 1000 { "HIGH" } else { "STANDARD" }},
        "whatsapp_business_manager_messaging_limit": config.messaging_limit_tier,
        "messaging_limit_tier": config.messaging_limit_tier,
        "account_mode": "LIVE",
        "is_official_business_account": false,
        "is_pin_enabled": registered,
        "is_preverified_number": false,
        "is_on_biz_app": false,
        "search_visibility": "VISIBLE",
        "health_status": {
            "can_send_message": can_send,
            "entities": [
                {"entity_type": "PHONE_NUMBER", "id": id, "can_send_message": can_send},
                {"entity_type": "WABA", "id": config.waba_id, "can_send_message": "AVAILABLE"},
            ],
        },
        "country_dial_code": number.display_digits.chars().take(1).collect::<String>(),
    });
    let callback = read(&call.sim.wabas)
        .get(&config.waba_id)
        .and_then(|w| w.callback_override.clone());
    let mut hooks = Map::new();
    if let Some(url) = &settings.callback_url {
        hooks.insert("application".into(), json!(url));
    }
    if let Some(url) = callback {
        hooks.insert("whatsapp_business_account".into(), json!(url));
    }
    if !hooks.is_empty() {
        view["webhook_configuration"] = Value::Object(hooks);
    }
    if let Some(automation) = read(&call.sim.automation).get(id) {
        view["conversational_automation"] = automation.clone();
    }
    match view {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn waba_view(call: &Call<'_>, waba_id: &str) -> Map<String, Value> {
    let settings = call.sim.settings();
    let subscribed = read(&call.sim.wabas)
        .get(waba_id)
        .is_some_and(|w| w.subscribed);
    let apps: Vec<Value> = if subscribed {
        vec![subscribed_app(&settings.app_id)]
    } else {
        Vec::new()
    };
    let view = json!({
        "id": waba_id,
        "name": "wa Simulated WABA",
        "currency": "USD",
        "timezone_id": "1",
        "message_template_namespace": format!("sim_{waba_id}"),
        "status": "ACTIVE",
        "account_review_status": "APPROVED",
        "business_verification_status": "verified",
        "ownership_type": "CLIENT_OWNED",
        "country": "US",
        "health_status": {
            "can_send_message": "AVAILABLE",
            "entities": [{"entity_type": "WABA", "id": waba_id, "can_send_message": "AVAILABLE"}],
        },
        "is_enabled_for_insights": false,
        "subscribed_apps": {"data": apps},
        "owner_business_info": {"id": format!("3{}", waba_id.trim_start_matches('2')), "name": "wa Simulated Business"},
    });
    match view {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn paging() -> Value {
    json!({"cursors": {"before": "QVFIUmxyc2ltYmVmb3Jl", "after": "QVFIUmxyc2ltYWZ0ZXI="}})
}

/// `GET /{waba_id}/phone_numbers` (with `fields`).
pub(crate) fn phone_numbers(call: &Call<'_>, waba_id: &str) -> Result<Response, GraphError> {
    authorize_waba(call.sim, call.headers, call.params, None, "get", waba_id)?;
    let mut owned: Vec<_> = read(&call.sim.numbers)
        .values()
        .filter(|n| n.config.waba_id == waba_id)
        .cloned()
        .collect();
    owned.sort_by(|a, b| a.config.phone_number_id.cmp(&b.config.phone_number_id));
    let mut data = Vec::new();
    for number in owned {
        let full = number_view(call, &number);
        data.push(Value::Object(select(
            &NUMBER_LIST_NODE,
            &full,
            call.params.get("fields"),
        )?));
    }
    Ok(json_ok(&json!({"data": data, "paging": paging()})))
}

/// `POST /{phone_number_id}/conversational_automation`: the welcome message switch, up to 4
/// prompts (ice breakers) and up to 30 commands.
pub(crate) fn conversational_automation(
    call: &Call<'_>,
    phone_number_id: &str,
) -> Result<Response, GraphError> {
    let fields = body_params(call.body);
    authorize_number(
        call.sim,
        call.headers,
        call.params,
        fields.get("appsecret_proof"),
        "post",
        phone_number_id,
    )?;
    let value = |name: &str| -> Option<Value> {
        let text = fields.get(name).or_else(|| call.params.get(name))?;
        Some(serde_json::from_str(text).unwrap_or_else(|_| json!(text)))
    };
    let mut current = read(&call.sim.automation)
        .get(phone_number_id)
        .cloned()
        .unwrap_or_else(|| json!({"enable_welcome_message": false}));
    if let Some(enable) = value("enable_welcome_message") {
        let Some(enable) = enable.as_bool() else {
            return Err(GraphError::param(
                "Param enable_welcome_message must be a boolean.",
            ));
        };
        current["enable_welcome_message"] = json!(enable);
    }
    if let Some(prompts) = value("prompts") {
        let ok = prompts.as_array().is_some_and(|p| {
            p.len() <= 4
                && p.iter()
                    .all(|i| i.as_str().is_some_and(|s| s.chars().count() <= 80))
        });
        if !ok {
            return Err(GraphError::param(
                "Param prompts must be at most 4 strings of at most 80 characters.",
            ));
        }
        current["prompts"] = prompts;
    }
    if let Some(commands) = value("commands") {
        let ok = commands.as_array().is_some_and(|c| {
            c.len() <= 30
                && c.iter().all(|i| {
                    i["command_name"].as_str().is_some_and(|n| {
                        !n.is_empty()
                            && n.chars().count() <= 32
                            && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    }) && i["command_description"]
                        .as_str()
                        .is_some_and(|d| d.chars().count() <= 256)
                })
        });
        if !ok {
            return Err(GraphError::param(
                "Param commands must be at most 30 objects with command_name (letters, digits, underscores; at most 32) and command_description (at most 256).",
            ));
        }
        current["commands"] = commands;
    }
    write(&call.sim.automation).insert(phone_number_id.to_owned(), current);
    Ok(json_ok(&json!({"success": true})))
}

/// `GET /{waba_id}/message_templates`: see `template_admin::list`.
pub(crate) fn templates(call: &Call<'_>, waba_id: &str) -> Result<Response, GraphError> {
    crate::template_admin::list(call, waba_id)
}

fn subscribed_app(app_id: &str) -> Value {
    json!({"whatsapp_business_api_data": {
        "id": app_id,
        "link": format!("https://www.facebook.com/games/?app_id={app_id}"),
        "name": "wa",
    }})
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
                vec![subscribed_app(&settings.app_id)]
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
                return Err(GraphError::param_missing("verify_token"));
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
        None => return Err(GraphError::param_missing("messaging_product")),
        Some("whatsapp") => {}
        Some(_) => {
            return Err(GraphError::param(
                "Param messaging_product must be whatsapp.",
            ));
        }
    }
    let Some(pin) = fields.get("pin") else {
        return Err(GraphError::param_missing("pin"));
    };
    if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GraphError::param("Param pin must be a 6-digit number."));
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
        .ok_or_else(|| GraphError::param_missing("client_id"))?;
    if client_id != settings.app_id {
        return Err(GraphError {
            code: 101,
            ..GraphError::graph_method("Error validating application. Invalid application ID.")
        });
    }
    let secret = params
        .get("client_secret")
        .ok_or_else(|| GraphError::param_missing("client_secret"))?;
    if settings.app_secret.as_deref() != Some(secret) {
        return Err(GraphError {
            code: 1,
            kind: "OAuthException",
            ..GraphError::graph_method("Error validating client secret.")
        });
    }
    let code = params
        .get("code")
        .ok_or_else(|| GraphError::param_missing("code"))?;
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
        .ok_or_else(|| GraphError::param_missing("input_token"))?;
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
