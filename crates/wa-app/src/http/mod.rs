//! The HTTP edge: the tenant API under `/v1`, Meta's webhooks, health and metrics.
//!
//! [`api_router`] and [`webhook_router`] are separate so Meta's webhooks can be served on their
//! own listener (`WA_WEBHOOK_LISTEN`) and the API need not face the internet; [`router`] joins
//! them for a single listener.

pub mod auth;
pub mod connection;
pub mod connections;
pub mod conversations;
pub mod dto;
pub mod error;
pub mod error_body;
pub mod event_stream;
pub mod health;
pub mod inbox_admin;
pub mod limits;
pub mod messages;
pub mod nul_guard;
pub mod numbers;
pub mod openapi;
pub mod request_log;
pub mod signup;
pub mod signup_page;
pub mod templates;
pub mod tenants;
pub mod webhooks;

use std::time::Duration;

use axum::{
    Router,
    body::Body,
    extract::DefaultBodyLimit,
    middleware,
    routing::{get, patch, post},
};
use tower_http::trace::TraceLayer;

use crate::{
    events,
    http::{
        limits::{BodyDeadline, Deadline, enforce_body_deadline, enforce_deadline},
        nul_guard::API_BODY_LIMIT,
    },
    state::AppState,
};

/// What an event poll may wait on top of the API's deadline.
const POLL_WAIT: Duration = Duration::from_secs(event_stream::MAX_WAIT_SECONDS as u64);

/// The request log (its span never holds a query value) and the one error body, outermost.
fn edge(router: Router<AppState>) -> Router<AppState> {
    router
        .layer(TraceLayer::new_for_http().make_span_with(request_log::request_span::<Body>))
        .layer(middleware::from_fn(error_body::json_errors))
}

/// The tenant API, health, metrics and the OpenAPI document.
pub fn api_router(state: AppState) -> Router {
    let limits = state.http_limits;
    let api = Router::new()
        .route("/v1/tenants", post(tenants::create).get(tenants::list))
        .route("/v1/tenants/{tenant_id}", get(tenants::get))
        .route("/v1/tenants/{tenant_id}/disable", post(tenants::disable))
        .route("/v1/tenants/{tenant_id}/enable", post(tenants::enable))
        .route(
            "/v1/tenants/{tenant_id}/api-keys",
            post(tenants::create_api_key),
        )
        .route(
            "/v1/tenants/{tenant_id}/connection",
            get(connection::get).put(connection::put),
        )
        .route(
            "/v1/tenants/{tenant_id}/connection/verify",
            post(connection::verify),
        )
        .route(
            "/v1/tenants/{tenant_id}/numbers",
            get(numbers::list).post(numbers::add),
        )
        .route(
            "/v1/tenants/{tenant_id}/numbers/{phone_number_id}",
            axum::routing::put(numbers::update).delete(numbers::remove),
        )
        .route(
            "/v1/tenants/{tenant_id}/numbers/{phone_number_id}/default",
            post(numbers::set_default),
        )
        .route(
            "/v1/tenants/{tenant_id}/signup",
            post(signup::run).get(signup_page::progress),
        )
        .route(
            "/v1/tenants/{tenant_id}/signup/page",
            get(signup_page::page),
        )
        .route(
            "/v1/tenants/{tenant_id}/signup/page-link",
            post(signup::page_link),
        )
        .route(
            "/v1/tenants/{tenant_id}/templates",
            get(templates::list)
                .post(templates::create)
                .delete(templates::delete_by_name),
        )
        .route(
            "/v1/tenants/{tenant_id}/templates/{template_id}",
            patch(templates::edit).delete(templates::delete_one),
        )
        .route(
            "/v1/tenants/{tenant_id}/templates/sync",
            post(templates::sync),
        )
        .route(
            "/v1/tenants/{tenant_id}/messages",
            post(messages::send).get(messages::list),
        )
        .route(
            "/v1/tenants/{tenant_id}/messages/{message_id}",
            get(messages::get),
        )
        .route(
            "/v1/tenants/{tenant_id}/conversations",
            get(conversations::list_open),
        )
        .route(
            "/v1/tenants/{tenant_id}/conversations/{customer}",
            get(conversations::window),
        )
        .route(
            "/v1/tenants/{tenant_id}/event-endpoints",
            post(events::api::create).get(events::api::list),
        )
        .route(
            "/v1/tenants/{tenant_id}/event-endpoints/{endpoint_id}",
            get(events::api::get).delete(events::api::delete),
        )
        .route(
            "/v1/tenants/{tenant_id}/event-endpoints/{endpoint_id}/rotate-secret",
            post(events::api::rotate_secret),
        )
        .route(
            "/v1/tenants/{tenant_id}/event-endpoints/{endpoint_id}/dead-letters",
            get(events::api::dead_letters),
        )
        .route(
            "/v1/tenants/{tenant_id}/event-endpoints/{endpoint_id}/dead-letters/redeliver",
            post(events::api::redeliver),
        )
        .route(
            "/v1/admin/webhook-inbox/parked",
            get(inbox_admin::list_parked),
        )
        .route(
            "/v1/admin/webhook-inbox/parked/replay",
            post(inbox_admin::replay_all),
        )
        .route(
            "/v1/admin/webhook-inbox/parked/{inbox_id}/replay",
            post(inbox_admin::replay),
        )
        .route("/openapi.json", get(openapi::document))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(middleware::from_fn(nul_guard::refuse_nul))
        .layer(middleware::from_fn_with_state(
            BodyDeadline(limits.body_timeout),
            enforce_body_deadline,
        ))
        .layer(middleware::from_fn_with_state(
            Deadline(limits.request_timeout),
            enforce_deadline,
        ));
    // A poll may wait for its first event on top of the deadline; a stream's deadline covers
    // its start, then it stays open until the client leaves or the server stops.
    let feeds = Router::new()
        .route("/v1/tenants/{tenant_id}/events", get(event_stream::poll))
        .route(
            "/v1/tenants/{tenant_id}/events/stream",
            get(event_stream::stream),
        )
        .layer(middleware::from_fn_with_state(
            Deadline(limits.request_timeout + POLL_WAIT),
            enforce_deadline,
        ));
    edge(api.merge(feeds)).with_state(state)
}

/// Meta's webhooks.
pub fn webhook_router(state: AppState) -> Router {
    let limits = state.http_limits;
    edge(
        Router::new()
            .route(
                "/webhooks/whatsapp",
                get(webhooks::verify).post(webhooks::receive),
            )
            .layer(middleware::from_fn_with_state(
                BodyDeadline(limits.body_timeout),
                enforce_body_deadline,
            ))
            .layer(middleware::from_fn_with_state(
                Deadline(limits.webhook_request_timeout),
                enforce_deadline,
            )),
    )
    .with_state(state)
}

/// Both, for a single listener.
pub fn router(state: AppState) -> Router {
    api_router(state.clone()).merge(webhook_router(state))
}
