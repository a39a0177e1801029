//! Control routes for accounts (nested under `/_sim` with the others):
//!
//! | route | does |
//! |---|---|
//! | `POST /_sim/templates/status` | `{"name","language","status","reason"?}`: sets it and sends `message_template_status_update` |
//! | `POST /_sim/templates/quality` | `{"name","language","score"}`: sets it and sends `message_template_quality_update` |
//! | `GET/PUT /_sim/templates/review` | [`crate::TemplateReview`]: how created and edited templates are reviewed |
//! | `POST /_sim/numbers/quality` | `{"phone_number_id", …[`crate::QualityChange`]}`: sends `phone_number_quality_update` |
//! | `POST /_sim/numbers/deregister` | `{"phone_number_id"}` |
//! | `POST /_sim/account_update` | `{"waba_id","event","phone_number"?}`: sends `account_update` |

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::{SimState, control};
use crate::config::TemplateReview;
use crate::control::account::QualityChange;
use crate::state::Sim;

pub(super) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/templates/status", post(template_status))
        .route("/templates/quality", post(template_quality))
        .route("/templates/review", get(review).put(set_review))
        .route("/numbers/quality", post(quality))
        .route("/numbers/deregister", post(deregister))
        .route("/account_update", post(account_update))
}

#[derive(Deserialize)]
struct TemplateStatus {
    name: String,
    language: String,
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

async fn template_status(State(sim): SimState, Json(body): Json<TemplateStatus>) -> Response {
    match control(sim).set_template_status(
        &body.name,
        &body.language,
        &body.status,
        body.reason.as_deref(),
    ) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
struct TemplateQuality {
    name: String,
    language: String,
    score: String,
}

async fn template_quality(State(sim): SimState, Json(body): Json<TemplateQuality>) -> Response {
    match control(sim).set_template_quality(&body.name, &body.language, &body.score) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}

async fn review(State(sim): SimState) -> Json<TemplateReview> {
    Json(control(sim).template_review())
}

async fn set_review(State(sim): SimState, Json(body): Json<TemplateReview>) -> Response {
    control(sim).set_template_review(body);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct Quality {
    phone_number_id: String,
    #[serde(flatten)]
    change: QualityChange,
}

async fn quality(State(sim): SimState, Json(body): Json<Quality>) -> Response {
    match control(sim).update_number_quality(&body.phone_number_id, body.change) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
struct Number {
    phone_number_id: String,
}

async fn deregister(State(sim): SimState, Json(body): Json<Number>) -> Response {
    match control(sim).deregister_number(&body.phone_number_id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
struct AccountUpdate {
    waba_id: String,
    event: String,
    #[serde(default)]
    phone_number: Option<String>,
}

async fn account_update(State(sim): SimState, Json(body): Json<AccountUpdate>) -> Response {
    control(sim).account_update(&body.waba_id, &body.event, body.phone_number.as_deref());
    StatusCode::NO_CONTENT.into_response()
}
