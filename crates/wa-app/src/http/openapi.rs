//! The OpenAPI document of the tenant API, served at `/openapi.json`.

use axum::Json;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        ContentBuilder, Ref, RefOr, ResponseBuilder, Schema,
        path::Operation,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use crate::http::{
    connection, conversations, dto, error, event_stream, inbox_admin, messages, numbers, signup,
    signup_page, templates, tenants,
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
        inbox_admin::list_parked, inbox_admin::replay, inbox_admin::replay_all,
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
        inbox_admin::ParkedView, inbox_admin::ParkedList, inbox_admin::Replayed,
    )),
    modifiers(&SecuritySchemes, &ErrorResponses),
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

/// Describes, on every operation, the error answers any route can give, with the error body:
/// a bad path id or query value (400), credentials (401, 403), an unknown resource (404), the
/// deadline (408), a disabled tenant (409, on changes), the body's size, type and shape (413,
/// 415, 422, where there is a body), and the server's own failures (500, 503). Where a route
/// has its own error shape for a status, the error body is allowed beside it (`anyOf`).
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let reads = [&mut item.get, &mut item.head];
            for operation in reads.into_iter().flatten() {
                describe_errors(operation, false);
            }
            let changes = [
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in changes.into_iter().flatten() {
                describe_errors(operation, true);
            }
        }
    }
}

fn describe_errors(operation: &mut Operation, changes: bool) {
    let mut statuses = vec![
        (
            "400",
            "Invalid input: a path id, query value or field (`field` names it)",
        ),
        ("401", "Missing or unknown credentials"),
        ("403", "These credentials do not reach this resource"),
        ("404", "No such resource"),
        ("408", "The request was not completed within its deadline"),
        ("500", "Something went wrong on our side"),
        ("503", "The database is unreachable; try again"),
    ];
    if changes {
        statuses.push(("409", "A conflict, such as a disabled tenant"));
    }
    if operation.request_body.is_some() {
        statuses.push(("413", "The body is over the size limit"));
        statuses.push(("415", "The body is not `application/json`"));
        statuses.push(("422", "The body is JSON of the wrong shape"));
    }
    for (status, description) in statuses {
        if let Some(RefOr::T(response)) = operation.responses.responses.get_mut(status)
            && let Some(content) = response.content.get_mut("application/json")
        {
            // A route's own error shape (a failed signup step) or, from the framework, the
            // error body: either may come.
            if let Some(own) = content.schema.take() {
                let error_body: RefOr<Schema> = Ref::from_schema_name("ErrorBody").into();
                content.schema = Some(if own == error_body {
                    own
                } else {
                    utoipa::openapi::schema::AnyOfBuilder::new()
                        .item(own)
                        .item(error_body)
                        .into()
                });
            }
            continue;
        }
        let response = ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        operation
            .responses
            .responses
            .insert(status.to_owned(), RefOr::T(response));
    }
}

/// `GET /openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
