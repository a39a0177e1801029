//! The API's errors: a stable machine code, a human message, the right HTTP status.
//!
//! Domain errors are mapped here and nowhere else. Internal failures answer with a generic
//! message and are logged once, here, with their cause; their text never reaches a client.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use time::OffsetDateTime;
use wa_domain::{
    ports::{StoreError, VaultError},
    usecase::{connect::ConnectError, send::SendError},
    validation::ValidationError,
};

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    closed_at: Option<OffsetDateTime>,
}

/// The JSON body of an error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable machine code: `invalid_input`, `unauthorized`, `forbidden`, `not_found`,
    /// `method_not_allowed`, `timeout`, `conflict`, `duplicate`, `too_large`,
    /// `unsupported_media_type`, `tenant_disabled`, `connection_not_active`, `window_closed`,
    /// `template_mismatch`, `rate_limited`, `meta_refused`, `meta_error`, `unavailable`, `internal`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// The offending field, for `invalid_input`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// When the customer-service window closed, for `window_closed` (RFC 3339).
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub window_closed_at: Option<OffsetDateTime>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            closed_at: None,
        }
    }

    /// 400 naming a field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut error = Self::new(StatusCode::BAD_REQUEST, "invalid_input", message);
        error.field = Some(field.into());
        error
    }

    /// 401: no or unknown credentials.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or invalid credentials",
        )
    }

    /// 403: valid credentials that do not reach this resource.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "these credentials do not give access to this resource",
        )
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 409.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 422: Meta refused the request as the caller made it; the message is Meta's.
    pub fn meta_refused(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "meta_refused", message)
    }

    /// 502: Meta refused or could not be reached.
    pub fn bad_gateway(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "meta_error", message)
    }

    /// 503: the database (or another dependency) is down.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the service is temporarily unavailable; try again",
        )
    }

    /// 500, logging the cause (which never reaches the client).
    pub fn internal(cause: &dyn std::error::Error) -> Self {
        tracing::error!(error = %error_chain(cause), "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong",
        )
    }

    /// 408: the request was not done within its deadline.
    pub fn timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the request was not completed in time",
        )
    }

    /// 413: a body over the route's limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is larger than {limit} bytes"),
        )
    }

    /// The error body for an answer that was made without one (a framework rejection, a bare
    /// status): the code follows the status, the message is the text the answer carried.
    pub fn for_status(status: StatusCode, text: &str) -> Self {
        let code = match status.as_u16() {
            400 | 422 => "invalid_input",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            408 | 504 => "timeout",
            409 => "conflict",
            413 => "too_large",
            415 => "unsupported_media_type",
            429 => "rate_limited",
            502 => "meta_error",
            503 => "unavailable",
            _ if status.is_server_error() => "internal",
            _ => "invalid_input",
        };
        let message = if text.trim().is_empty() {
            match status.as_u16() {
                404 => "no such route".to_owned(),
                405 => "this route does not take that method".to_owned(),
                _ => status
                    .canonical_reason()
                    .unwrap_or("the request failed")
                    .to_lowercase(),
            }
        } else {
            text.trim().chars().take(1000).collect()
        };
        Self::new(status, code, message)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

/// A cause and its sources on one line, for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code.to_owned(),
            message: self.message,
            field: self.field,
            window_closed_at: self.closed_at,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        Self::invalid(error.field(), error.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::not_found("resource"),
            StoreError::Duplicate => Self::conflict("duplicate", "it already exists"),
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %error_chain(cause.as_ref()), "database unavailable");
                Self::unavailable()
            }
            StoreError::Other(cause) => Self::internal(cause.as_ref()),
        }
    }
}

impl From<VaultError> for ApiError {
    fn from(error: VaultError) -> Self {
        match error {
            VaultError::Storage(store) => store.into(),
            other => Self::internal(&other),
        }
    }
}

impl From<SendError> for ApiError {
    fn from(error: SendError) -> Self {
        match error {
            SendError::Invalid(invalid) => invalid.into(),
            SendError::TenantNotFound => Self::not_found("tenant"),
            SendError::MessageNotFound => Self::not_found("message"),
            SendError::TenantDisabled => {
                Self::conflict("tenant_disabled", "the tenant is disabled")
            }
            SendError::NotConnected => Self::conflict(
                "connection_not_active",
                "the tenant has no WhatsApp connection",
            ),
            SendError::UnknownNumber(from) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_number",
                format!("`{from}` is not a WhatsApp number of this tenant"),
            ),
            SendError::ConnectionNotActive(health) => Self::conflict(
                "connection_not_active",
                format!(
                    "the WhatsApp connection is {} and cannot send",
                    health.as_str()
                ),
            ),
            SendError::WindowClosed(closed) => {
                let mut error = Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "window_closed",
                    closed.to_string(),
                );
                error.closed_at = closed.closed_at;
                error
            }
            SendError::TemplateMismatch(mismatch) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "template_mismatch",
                mismatch.to_string(),
            ),
            SendError::Vault(vault) => vault.into(),
            SendError::Store(store) => store.into(),
        }
    }
}

impl From<ConnectError> for ApiError {
    fn from(error: ConnectError) -> Self {
        match error {
            ConnectError::TenantNotFound => Self::not_found("tenant"),
            ConnectError::TenantDisabled => {
                Self::conflict("tenant_disabled", "the tenant is disabled")
            }
            ConnectError::NotConnected => Self::not_found("connection"),
            ConnectError::Vault(vault) => vault.into(),
            ConnectError::Store(store) => store.into(),
        }
    }
}
