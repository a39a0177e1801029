//! The OpenAPI document of the tenant API, served at `/openapi.json`.

use axum::Json;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::http::{
    connection, conversations, dto, error, event_stream, messages, numbers, signup, signup_page,
    templates, tenants,
};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "wa", description = "WhatsApp Business Cloud API for many tenants: tenants, connections, messages, windows."),
    paths(
        tenants::create, tenants::list, tenants::get, tenants::disable, tenants::enable, tenants::create_api_key,
        connection::put, connection::get, connection::verify,
        numbers::list, numbers::add, numbers::update, numbers::set_default, numbers::remove,
        messages::send, messages::get, messages::list,
        conversations::window, conversations::list_open,
        signup::run, signup_page::progress, signup::page_link, templates::list, templates::sync, templates::create, templates::edit,
        templates::delete_one, templates::delete_by_name,
        crate::events::api::create, crate::events::api::list, crate::events::api::get, crate::events::api::delete,
        crate::events::api::rotate_secret, crate::events::api::dead_letters, crate::events::api::redeliver,
        event_stream::poll, event_stream::stream,
    ),
    components(schemas(
        dto::CreateTenant, dto::TenantView, dto::CreatedTenant, dto::CreatedApiKey, dto::TenantList,
        dto::ConnectBody, dto::ConnectionView, numbers::NumberBody, numbers::NumberList, dto::SendBody, dto::MessageView, dto::MessageList,
        dto::CustomerView, dto::FailureView, dto::TimestampsView, dto::PricingView, dto::WindowView, dto::WindowList,
        crate::events::api::CreateEndpoint, crate::events::api::EndpointView, crate::events::api::CreatedEndpoint,
        crate::events::api::EndpointList, crate::events::api::RotatedSecret, crate::events::api::DeadLetterView,
        crate::events::api::DeadLetterList, crate::events::api::RedeliverBody, crate::events::api::Redelivering,
        error::ErrorBody,
        signup::SignupBody, signup::SignupView, signup::SignupFailureBody, signup::PageLink, signup_page::SignupProgress,
        templates::TemplateView, templates::TemplateList, templates::Deleted,
        event_stream::EventPage, event_stream::EventSchema, event_stream::EventType,
    )),
    modifiers(&SecuritySchemes),
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer =
            || SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        components.add_security_scheme("admin", bearer());
        components.add_security_scheme("tenant_key", bearer());
        components.add_security_scheme(
            "signup_page_token",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
                utoipa::openapi::security::ApiKeyValue::new("X-WA-Signup-Token"),
            )),
        );
    }
}

/// `GET /openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
