//! The control API, JSON under `/_sim/...`: the same operations as [`SimControl`], for the CLI,
//! for tests in other processes and for a person with `curl`.
//!
//! | route | does |
//! |---|---|
//! | `GET /_sim/health` | `{"ok":true}` |
//! | `GET/POST /_sim/numbers` | list (tokens redacted) / add a number ([`crate::NumberConfig`]) |
//! | `POST /_sim/templates` | add a template ([`crate::TemplateConfig`]) |
//! | `POST /_sim/customers` | add a customer ([`crate::CustomerRef`]) |
//! | `POST /_sim/tokens/revoke` | `{"token":…}`: later calls fail with 190 |
//! | `GET/PUT /_sim/limits` | [`crate::Limits`] |
//! | `GET/PUT /_sim/webhooks/behaviour` | [`crate::WebhookBehaviour`] |
//! | `PUT /_sim/callback_url` | `{"url":…}` (or `null`) |
//! | `POST /_sim/callback/verify` | `{"verify_token":…,"url"?:…}`: Meta's GET handshake |
//! | `GET/PUT/DELETE /_sim/faults` | [`crate::Faults`] |
//! | `POST /_sim/inbound` | inject a customer event ([`crate::InboundRequest`]) |
//! | `POST /_sim/windows/open`, `/_sim/windows/close` | `{"phone_number_id","customer"}` |
//! | `POST /_sim/clock/advance` | `{"ms":…}` |
//! | `POST /_sim/signup` | simulate Embedded Signup; returns the code and ids |
//! | `GET /_sim/requests`, `/messages`, `/reads`, `/webhooks` | what was received and sent (`?since=N` on requests and webhooks) |
//! | `GET /_sim/totals` | [`crate::Totals`]: requests and webhook POSTs since start |
//! | `POST /_sim/reset` | back to the initial scenario |
//! | `POST /_sim/templates/status`, `/numbers/quality`, `/numbers/deregister`, `/account_update` | account changes and their webhooks (see `control_api/account.rs`) |

mod account;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::config::{Faults, Limits, NumberConfig, TemplateConfig, WebhookBehaviour};
use crate::control::{ControlError, SignupRequest, SimControl};
use crate::customer::CustomerRef;
use crate::inbound::InboundRequest;
use crate::state::Sim;

type SimState = State<Arc<Sim>>;

fn control(sim: Arc<Sim>) -> SimControl {
    SimControl::new(sim)
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::UnknownNumber(_) => StatusCode::NOT_FOUND,
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::Verification(_) => StatusCode::BAD_GATEWAY,
        };
        (status, Json(json!({"error": self.to_string()}))).into_response()
    }
}

/// The control routes, to be nested under `/_sim`.
pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/health", get(|| async { Json(json!({"ok": true})) }))
        .route("/numbers", get(numbers).post(add_number))
        .route("/templates", post(add_template))
        .route("/customers", post(add_customer))
        .route("/tokens/revoke", post(revoke_token))
        .route("/limits", get(limits).put(set_limits))
        .route(
            "/webhooks/behaviour",
            get(webhook_behaviour).put(set_webhook_behaviour),
        )
        .route("/callback_url", put(set_callback_url))
        .route("/callback/verify", post(verify_callback))
        .route("/faults", get(faults).put(set_faults).delete(clear_faults))
        .route("/inbound", post(inbound))
        .route("/windows/open", post(open_window))
        .route("/windows/close", post(close_window))
        .route("/clock/advance", post(advance_clock))
        .route("/signup", post(signup))
        .route("/requests", get(requests))
        .route("/messages", get(messages))
        .route("/reads", get(reads))
        .route("/webhooks", get(webhooks))
        .route("/totals", get(totals))
        .route("/reset", post(reset))
        .merge(account::routes())
}

async fn numbers(State(sim): SimState) -> Response {
    // Tokens are set by whoever wrote the scenario; they are not handed out again.
    let numbers: Vec<NumberConfig> = control(sim)
        .numbers()
        .into_iter()
        .map(|number| NumberConfig {
            access_token: "<redacted>".into(),
            ..number
        })
        .collect();
    Json(numbers).into_response()
}

async fn add_number(State(sim): SimState, Json(number): Json<NumberConfig>) -> Response {
    control(sim).add_number(number);
    StatusCode::NO_CONTENT.into_response()
}

async fn add_template(State(sim): SimState, Json(template): Json<TemplateConfig>) -> Response {
    match control(sim).add_template(template) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn add_customer(State(sim): SimState, Json(customer): Json<CustomerRef>) -> Response {
    match control(sim).add_customer(&customer) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
struct TokenBody {
    token: String,
}

async fn revoke_token(State(sim): SimState, Json(body): Json<TokenBody>) -> Response {
    control(sim).revoke_token(&body.token);
    StatusCode::NO_CONTENT.into_response()
}

async fn limits(State(sim): SimState) -> Response {
    Json(control(sim).limits()).into_response()
}

async fn set_limits(State(sim): SimState, Json(limits): Json<Limits>) -> Response {
    control(sim).set_limits(limits);
    StatusCode::NO_CONTENT.into_response()
}

async fn webhook_behaviour(State(sim): SimState) -> Response {
    Json(control(sim).webhook_behaviour()).into_response()
}

async fn set_webhook_behaviour(
    State(sim): SimState,
    Json(behaviour): Json<WebhookBehaviour>,
) -> Response {
    control(sim).set_webhook_behaviour(behaviour);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct UrlBody {
    url: Option<String>,
}

async fn set_callback_url(State(sim): SimState, Json(body): Json<UrlBody>) -> Response {
    control(sim).set_callback_url(body.url);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct VerifyBody {
    #[serde(default)]
    url: Option<String>,
    verify_token: String,
}

async fn verify_callback(State(sim): SimState, Json(body): Json<VerifyBody>) -> Response {
    match control(sim)
        .verify_callback(body.url.as_deref(), &body.verify_token)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn faults(State(sim): SimState) -> Response {
    Json(control(sim).faults()).into_response()
}

async fn set_faults(State(sim): SimState, Json(faults): Json<Faults>) -> Response {
    control(sim).set_faults(faults);
    StatusCode::NO_CONTENT.into_response()
}

async fn clear_faults(State(sim): SimState) -> Response {
    control(sim).clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

async fn inbound(State(sim): SimState, Json(request): Json<InboundRequest>) -> Response {
    match control(sim).inject_inbound(request) {
        Ok(result) => Json(result).into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
struct WindowBody {
    phone_number_id: String,
    customer: CustomerRef,
}

async fn open_window(State(sim): SimState, Json(body): Json<WindowBody>) -> Response {
    match control(sim).open_window(&body.phone_number_id, &body.customer) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn close_window(State(sim): SimState, Json(body): Json<WindowBody>) -> Response {
    match control(sim).close_window(&body.phone_number_id, &body.customer) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
struct AdvanceBody {
    ms: u64,
}

async fn advance_clock(State(sim): SimState, Json(body): Json<AdvanceBody>) -> Response {
    let control = control(sim);
    control.advance_clock(Duration::from_millis(body.ms));
    Json(json!({"now_ms": control.now().as_millis()})).into_response()
}

async fn signup(State(sim): SimState, body: Option<Json<SignupRequest>>) -> Response {
    let request = body.map(|Json(request)| request).unwrap_or_default();
    Json(control(sim).create_signup(request)).into_response()
}

/// `?since=N`: only entries after sequence number (or delivery id) `N`, for polling.
#[derive(Deserialize)]
struct Since {
    #[serde(default)]
    since: u64,
}

async fn requests(State(sim): SimState, Query(since): Query<Since>) -> Response {
    let mut requests = control(sim).requests();
    requests.retain(|r| r.seq > since.since);
    Json(requests).into_response()
}

async fn messages(State(sim): SimState) -> Response {
    Json(control(sim).messages()).into_response()
}

async fn reads(State(sim): SimState) -> Response {
    Json(control(sim).reads()).into_response()
}

async fn webhooks(State(sim): SimState, Query(since): Query<Since>) -> Response {
    let mut deliveries = control(sim).webhooks();
    deliveries.retain(|d| d.id > since.since);
    Json(deliveries).into_response()
}

async fn totals(State(sim): SimState) -> Response {
    Json(control(sim).totals()).into_response()
}

async fn reset(State(sim): SimState) -> Response {
    match control(sim).reset() {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}
