//! `POST /{phone_number_id}/messages`: sends and mark-as-read.
//!
//! Order of checks, as a caller meets them at Meta: token and proof (190/100), injected errors,
//! body shape (131008/100), registration (133010), template (132001/132015/132016/132000),
//! per-number throughput (130429), the customer service window (131047), the pair rate (131056).
//! An accepted message is answered at once; its `sent`/`delivered`/`read` webhooks are queued.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::response::Response;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::auth::authorize_number;
use crate::config::WindowErrorMode;
use crate::graph_call::{Call, json_ok};
use crate::graph_error::GraphError;
use crate::ids::wamid;
use crate::records::{AcceptedMessage, ReadMark};
use crate::rng::thread_f64;
use crate::shape::{SendShape, check_send, req_str};
use crate::state::{ActiveFaults, Customer, NumberState, Sim, lock, read};
use crate::template::Template;
use crate::webhook::{Update, UpdateKind};

#[derive(Serialize)]
struct SendAnswer<'a> {
    messaging_product: &'static str,
    contacts: [ContactAnswer<'a>; 1],
    messages: [MessageAnswer<'a>; 1],
}

#[derive(Serialize)]
struct ContactAnswer<'a> {
    input: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    wa_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
}

#[derive(Serialize)]
struct MessageAnswer<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_status: Option<&'static str>,
}

/// Handles `POST /{phone_number_id}/messages`.
pub(crate) fn messages(
    call: &Call<'_>,
    phone_number_id: &str,
    faults: Option<&ActiveFaults>,
) -> Result<Response, GraphError> {
    let parsed = serde_json::from_slice::<Value>(call.body);
    let body_proof = parsed
        .as_ref()
        .ok()
        .and_then(|body| body.get("appsecret_proof"))
        .and_then(Value::as_str);
    let number = authorize_number(
        call.sim,
        call.headers,
        call.params,
        body_proof,
        "post",
        phone_number_id,
    )?;
    if let Some(faults) = faults {
        for rate in &faults.config.error_rates {
            if thread_f64() < rate.rate {
                return Err(GraphError::whatsapp(
                    rate.code,
                    "Error injected by the simulator.",
                ));
            }
        }
    }
    let body = parsed.map_err(|_| GraphError::invalid("The request body is not valid JSON."))?;
    let object = body
        .as_object()
        .ok_or_else(|| GraphError::invalid("The request body must be a JSON object."))?;
    let product = req_str(object, "messaging_product", "")?;
    if product != "whatsapp" {
        return Err(GraphError::invalid(
            "Param messaging_product must be whatsapp.",
        ));
    }
    if object.contains_key("status") {
        return mark_read(call.sim, &number, object);
    }
    if !number.registered.load(Ordering::Relaxed) {
        return Err(GraphError::whatsapp(
            133010,
            "The phone number is not registered on the WhatsApp Business Platform.",
        ));
    }
    let shape = check_send(object)?;
    send(call.sim, &number, shape, &body)
}

fn mark_read(
    sim: &Sim,
    number: &NumberState,
    object: &Map<String, Value>,
) -> Result<Response, GraphError> {
    let status = req_str(object, "status", "")?;
    if status != "read" {
        return Err(GraphError::invalid("Param status must be read."));
    }
    let message_id = req_str(object, "message_id", "")?;
    if !lock(&sim.inbound_ids).contains(message_id) {
        return Err(GraphError::whatsapp(
            131009,
            format!("Invalid message_id: {message_id} is not a message this number received."),
        ));
    }
    let typing = match object.get("typing_indicator") {
        None | Some(Value::Null) => false,
        Some(Value::Object(indicator)) => {
            let kind = req_str(indicator, "type", "typing_indicator")?;
            if kind != "text" {
                return Err(GraphError::invalid(
                    "Param typing_indicator.type must be text.",
                ));
            }
            true
        }
        Some(_) => {
            return Err(GraphError::invalid(
                "Param typing_indicator must be an object.",
            ));
        }
    };
    sim.records.reads.push(ReadMark {
        phone_number_id: number.config.phone_number_id.clone(),
        message_id: message_id.to_owned(),
        typing_indicator: typing,
        at_ms: sim.now_ms(),
    });
    Ok(json_ok(&json!({"success": true})))
}

fn find_template(
    sim: &Sim,
    number: &NumberState,
    name: &str,
    language: &str,
) -> Result<Arc<Template>, GraphError> {
    let templates = read(&sim.templates);
    let template = templates
        .iter()
        .find(|t| {
            t.config.name == name
                && t.config.language == language
                && t.visible_to(&number.config.waba_id)
        })
        .cloned()
        .ok_or_else(|| {
            GraphError::whatsapp(
                132001,
                format!("template name ({name}) does not exist in {language}"),
            )
        })?;
    match template.config.status.to_ascii_uppercase().as_str() {
        "APPROVED" => Ok(template),
        "PAUSED" => Err(GraphError::whatsapp(
            132015,
            format!("Template {name} is paused."),
        )),
        "DISABLED" => Err(GraphError::whatsapp(
            132016,
            format!("Template {name} is disabled."),
        )),
        _ => Err(GraphError::whatsapp(
            132001,
            format!("template name ({name}) is not approved in {language}"),
        )),
    }
}

fn send(
    sim: &Sim,
    number: &NumberState,
    shape: SendShape<'_>,
    body: &Value,
) -> Result<Response, GraphError> {
    let template = match &shape.template {
        Some(reference) => {
            let template = find_template(sim, number, reference.name, reference.language)?;
            template.check_components(reference.components)?;
            Some(template)
        }
        None => None,
    };
    if let Some(media_id) = shape.media_id
        && !read(&sim.media).contains_key(media_id)
    {
        return Err(GraphError::whatsapp(
            131053,
            format!("Unable to find media with id {media_id}."),
        ));
    }
    if shape.to_digits.as_deref() == Some(number.display_digits.as_str()) {
        return Err(GraphError::whatsapp(
            131021,
            "Recipient cannot be the sender.",
        ));
    }
    let settings = sim.settings();
    let now = sim.now();
    let now_ns = crate::clock::nanos(now);
    number
        .take_throughput(&settings.limits, now_ns)
        .map_err(|_| {
            GraphError::whatsapp(130429, "Cloud API message throughput has been reached.")
        })?;
    let customer = sim.customer_for_send(shape.to_digits.as_deref(), shape.recipient);
    let window = Duration::from_millis(settings.limits.window_ms);
    let window_open = number.window_open(&customer.user_id, now_ns, window);
    let mut window_failure = false;
    if template.is_none() && !window_open {
        match settings.limits.window_error {
            WindowErrorMode::Sync => return Err(window_error()),
            WindowErrorMode::Webhook => window_failure = true,
        }
    }
    number
        .take_pair(&settings.pair, &customer.user_id, now_ns)
        .map_err(|_| {
            GraphError::whatsapp(
                131056,
                "Too many messages sent from the sender phone number to the same phone number in a short period of time.",
            )
        })?;

    let id = wamid(customer.wa_id.as_deref().unwrap_or(&customer.user_id));
    let at_ms = u64::try_from(now.as_millis()).unwrap_or(u64::MAX);
    sim.records.messages.push(AcceptedMessage {
        wamid: id.clone(),
        phone_number_id: number.config.phone_number_id.clone(),
        to: shape.to.map(str::to_owned),
        recipient: shape.recipient.map(str::to_owned),
        user_id: customer.user_id.clone(),
        message_type: shape.kind.to_owned(),
        body: body.clone(),
        biz_opaque_callback_data: shape.biz_opaque.map(str::to_owned),
        at_ms,
    });
    let plan = StatusPlan {
        number,
        wamid: &id,
        customer: &customer,
        sent_to_bsuid: shape.recipient.is_some(),
        biz_opaque: shape.biz_opaque,
        pricing: pricing_of(template.as_deref(), window_open),
        conversation: legacy_conversation(sim, number, &customer, template.as_deref()),
        accepted_at: now,
    };
    sim.webhooks
        .schedule(plan.updates(sim, shape.kind == "reaction", window_failure));

    let input = shape.to.or(shape.recipient).unwrap_or_default();
    let answer = SendAnswer {
        messaging_product: "whatsapp",
        contacts: [ContactAnswer {
            input,
            wa_id: customer.wa_id.as_deref(),
            user_id: shape.recipient.map(|_| customer.user_id.as_str()),
        }],
        messages: [MessageAnswer {
            id: &id,
            message_status: template.is_some().then_some("accepted"),
        }],
    };
    Ok(json_ok(&answer))
}

fn window_error() -> GraphError {
    GraphError::whatsapp(
        131047,
        "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
    )
}

/// `pricing` of a message's statuses under per-message pricing (PMP).
fn pricing_of(template: Option<&Template>, window_open: bool) -> Value {
    match template {
        None => json!({
            "billable": false,
            "pricing_model": "PMP",
            "type": "free_customer_service",
            "category": "service",
        }),
        Some(template) => {
            let category = template.config.category.to_ascii_lowercase();
            // Utility templates inside an open customer service window are free.
            let free = category == "utility" && window_open;
            json!({
                "billable": !free,
                "pricing_model": "PMP",
                "type": if free { "free_customer_service" } else { "regular" },
                "category": category,
            })
        }
    }
}

/// The `conversation` object statuses carried before webhook version `v24.0` (the app's pinned
/// version decides); `None` from `v24.0` on, where Meta dropped it.
fn legacy_conversation(
    sim: &Sim,
    number: &NumberState,
    customer: &Customer,
    template: Option<&Template>,
) -> Option<Value> {
    if sim.settings().webhook_version >= (24, 0) {
        return None;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(
        format!("{}:{}", number.config.phone_number_id, customer.user_id).as_bytes(),
    );
    let origin = template.map_or_else(
        || "service".to_owned(),
        |t| t.config.category.to_ascii_lowercase(),
    );
    Some(json!({"id": hex::encode(&digest[..16]), "origin": {"type": origin}}))
}

/// What the status webhooks of one accepted message need.
struct StatusPlan<'a> {
    number: &'a NumberState,
    wamid: &'a str,
    customer: &'a Customer,
    sent_to_bsuid: bool,
    biz_opaque: Option<&'a str>,
    pricing: Value,
    conversation: Option<Value>,
    accepted_at: Duration,
}

impl StatusPlan<'_> {
    fn updates(&self, sim: &Sim, reaction: bool, window_failure: bool) -> Vec<(Duration, Update)> {
        let behaviour = &sim.settings().webhooks;
        let mut updates = Vec::with_capacity(3);
        let failure = if window_failure {
            Some(window_error())
        } else if behaviour.fail_rate > 0.0 && thread_f64() < behaviour.fail_rate {
            Some(GraphError::whatsapp(
                behaviour.fail_code,
                "Failure injected by the simulator.",
            ))
        } else {
            None
        };
        if let Some(failure) = failure {
            let delay = Duration::from_millis(behaviour.sent_delay_ms);
            let title = crate::graph_error::title_of(failure.code);
            let errors = json!([{
                "code": failure.code,
                "title": title,
                "message": title,
                "error_data": {"details": failure.details.unwrap_or_default()},
            }]);
            updates.push((delay, self.update("failed", delay, None, Some(errors))));
            return updates;
        }
        let sent = Duration::from_millis(behaviour.sent_delay_ms);
        updates.push((sent, self.update("sent", sent, Some(&self.pricing), None)));
        // Meta sends only `sent` for reactions.
        if reaction {
            return updates;
        }
        let delivered = Duration::from_millis(behaviour.delivered_delay_ms);
        updates.push((
            delivered,
            self.update("delivered", delivered, Some(&self.pricing), None),
        ));
        if let Some(read_ms) = behaviour.read_delay_ms {
            let read = Duration::from_millis(read_ms);
            updates.push((read, self.update("read", read, None, None)));
        }
        updates
    }

    fn update(
        &self,
        status: &str,
        delay: Duration,
        pricing: Option<&Value>,
        errors: Option<Value>,
    ) -> Update {
        let mut item = Map::new();
        item.insert("id".into(), json!(self.wamid));
        item.insert("status".into(), json!(status));
        item.insert(
            "timestamp".into(),
            json!((self.accepted_at + delay).as_secs().to_string()),
        );
        if let Some(phone) = &self.customer.wa_id {
            item.insert("recipient_id".into(), json!(phone));
        }
        if self.sent_to_bsuid {
            item.insert("recipient_user_id".into(), json!(self.customer.user_id));
        }
        if let Some(data) = self.biz_opaque {
            item.insert("biz_opaque_callback_data".into(), json!(data));
        }
        if let Some(pricing) = pricing {
            if let Some(conversation) = &self.conversation {
                let mut conversation = conversation.clone();
                if status == "sent" {
                    // Meta gives the expiry on `sent` only: 24 h after the conversation opened.
                    conversation["expiration_timestamp"] =
                        json!((self.accepted_at + delay).as_secs() + 24 * 60 * 60);
                }
                item.insert("conversation".into(), conversation);
            }
            item.insert("pricing".into(), pricing.clone());
        }
        let contact = if let Some(errors) = errors {
            item.insert("errors".into(), errors);
            // A `failed` status carries no contacts block.
            None
        } else {
            let mut contact = Map::new();
            if let Some(phone) = &self.customer.wa_id {
                contact.insert("wa_id".into(), json!(phone));
            }
            contact.insert("user_id".into(), json!(self.customer.user_id));
            if let (Some(username), true) = (&self.customer.username, status != "sent") {
                contact.insert("profile".into(), json!({"username": username}));
            }
            Some(Value::Object(contact))
        };
        Update {
            waba_id: self.number.config.waba_id.clone(),
            phone_number_id: self.number.config.phone_number_id.clone(),
            display_digits: self.number.display_digits.clone(),
            kind: UpdateKind::Status {
                status: Value::Object(item),
                contact,
            },
        }
    }
}
