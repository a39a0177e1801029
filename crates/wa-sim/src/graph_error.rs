//! Meta's Graph error envelope and the errors the simulator answers with.
//!
//! ```text
//! {"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,
//!           "error_data":{"messaging_product":"whatsapp","details":"…"},"fbtrace_id":"…"}}
//! ```
//! Callers must classify by `code`; the HTTP status is only a hint (Meta sends most as 400).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::ascii_json::to_ascii_json;
use crate::ids::fbtrace_id;

/// An error as Graph answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GraphError {
    pub(crate) http: StatusCode,
    pub(crate) code: u32,
    pub(crate) subcode: Option<u32>,
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    pub(crate) details: Option<String>,
    pub(crate) transient: Option<bool>,
    /// `error_user_title` and `error_user_msg`, which Meta adds to errors a person must fix
    /// (template review, for example).
    pub(crate) user: Option<Box<(String, String)>>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    code: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_subcode: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_data: Option<ErrorData<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_transient: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_user_title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_user_msg: Option<&'a str>,
    fbtrace_id: String,
}

#[derive(Serialize)]
struct ErrorData<'a> {
    messaging_product: &'static str,
    details: &'a str,
}

impl GraphError {
    /// A WhatsApp error (`(#code) title`, details in `error_data`), HTTP status from the code.
    pub(crate) fn whatsapp(code: u32, details: impl Into<String>) -> Self {
        Self {
            http: http_status_of(code),
            code,
            subcode: None,
            kind: "OAuthException",
            message: format!("(#{code}) {}", title_of(code)),
            details: Some(details.into()),
            transient: matches!(code, 1 | 2).then_some(true),
            user: None,
        }
    }

    /// 190: the token is unknown, revoked or missing.
    pub(crate) fn invalid_token(message: &str, subcode: Option<u32>) -> Self {
        Self {
            http: StatusCode::UNAUTHORIZED,
            code: 190,
            subcode,
            kind: "OAuthException",
            message: message.into(),
            details: None,
            transient: None,
            user: None,
        }
    }

    /// 131008: a required field is absent.
    pub(crate) fn missing(field: &str) -> Self {
        Self::whatsapp(131008, format!("The parameter {field} is required."))
    }

    /// 100: a field has a bad value.
    pub(crate) fn invalid(details: impl Into<String>) -> Self {
        Self::whatsapp(100, details)
    }

    /// 100 as Graph answers a bad parameter outside the messages endpoint: the text is the
    /// `message` itself (`(#100) …`), with no `error_data`.
    pub(crate) fn param(text: impl Into<String>) -> Self {
        Self {
            http: StatusCode::BAD_REQUEST,
            code: 100,
            subcode: None,
            kind: "OAuthException",
            message: format!("(#100) {}", text.into()),
            details: None,
            transient: None,
            user: None,
        }
    }

    /// 100: a required parameter is absent, outside the messages endpoint.
    pub(crate) fn param_missing(field: &str) -> Self {
        Self::param(format!("The parameter {field} is required."))
    }

    /// 100 with a subcode and the title and text a person reads (`error_user_title`,
    /// `error_user_msg`), as Meta refuses a template: `message` is `Invalid parameter`.
    pub(crate) fn user_error(subcode: u32, title: &str, text: impl Into<String>) -> Self {
        Self {
            subcode: Some(subcode),
            message: "Invalid parameter".into(),
            transient: Some(false),
            user: Some(Box::new((title.to_owned(), text.into()))),
            ..Self::param("")
        }
    }

    /// 100 with Graph's generic wording (no WhatsApp `error_data`), e.g. for `appsecret_proof`.
    pub(crate) fn graph_method(message: impl Into<String>) -> Self {
        Self {
            http: StatusCode::BAD_REQUEST,
            code: 100,
            subcode: None,
            kind: "GraphMethodException",
            message: message.into(),
            details: None,
            transient: None,
            user: None,
        }
    }

    /// 100/33: the object does not exist, or this token may not see it.
    pub(crate) fn unknown_object(method: &str, id: &str) -> Self {
        Self {
            subcode: Some(33),
            ..Self::graph_method(format!(
                "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            ))
        }
    }

    /// The JSON body, in Meta's escaped-Unicode encoding.
    pub(crate) fn body(&self) -> Vec<u8> {
        let envelope = Envelope {
            error: Body {
                message: &self.message,
                kind: self.kind,
                code: self.code,
                error_subcode: self.subcode,
                error_data: self.details.as_deref().map(|details| ErrorData {
                    messaging_product: "whatsapp",
                    details,
                }),
                is_transient: self.transient,
                error_user_title: self.user.as_ref().map(|user| user.0.as_str()),
                error_user_msg: self.user.as_ref().map(|user| user.1.as_str()),
                fbtrace_id: fbtrace_id(),
            },
        };
        to_ascii_json(&envelope)
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let mut response = (self.http, self.body()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=UTF-8"),
        );
        if self.code == 190 {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("OAuth \"Facebook Platform\" \"invalid_token\""),
            );
        }
        response
    }
}

/// Meta's title for a code (the part after `(#code)` in `message`).
pub(crate) fn title_of(code: u32) -> &'static str {
    match code {
        1 => "An unknown error occurred",
        2 => "Service temporarily unavailable",
        4 => "Application request limit reached",
        10 => "Permission denied",
        100 => "Invalid parameter",
        190 => "Access token has expired",
        200 => "Permission error",
        368 => "Temporarily blocked for policies violations",
        80007 => "Rate limit issues",
        130429 => "Rate limit hit",
        130472 => "User's number is part of an experiment",
        131000 => "Something went wrong",
        131005 => "Access denied",
        131008 => "Required parameter is missing",
        131009 => "Parameter value is not valid",
        131016 => "Service unavailable",
        131021 => "Recipient cannot be sender",
        131026 => "Message Undeliverable",
        131031 => "Business Account locked",
        131042 => "Business eligibility payment issue",
        131045 => "Incorrect certificate",
        131047 => "Re-engagement message",
        131048 => "Spam rate limit hit",
        131049 => "Meta chose not to deliver",
        131051 => "Unsupported message type",
        131052 => "Media download error",
        131053 => "Media upload error",
        131056 => "(Business Account, Consumer Account) pair rate limit hit",
        131057 => "Account in maintenance mode",
        131062 => "Business-scoped user ID recipient not supported",
        132000 => "Number of parameters does not match the expected number of params",
        132001 => "Template name does not exist in the translation",
        132012 => "Parameter format does not match format in the created template",
        132015 => "Template is Paused",
        132016 => "Template is Disabled",
        133010 => "Phone number Not Registered",
        133016 => "Account has been registered or deregistered too many times",
        _ => "Unknown error",
    }
}

/// The HTTP status Meta tends to use for a code (observed or from its older table).
fn http_status_of(code: u32) -> StatusCode {
    match code {
        1 | 131000 => StatusCode::INTERNAL_SERVER_ERROR,
        2 | 131016 | 131057 => StatusCode::SERVICE_UNAVAILABLE,
        10 | 200..=299 | 131005 | 131031 | 368 => StatusCode::FORBIDDEN,
        190 => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_meta_fields() {
        let error = GraphError::whatsapp(131047, "More than 24 hours have passed.");
        let body: serde_json::Value = serde_json::from_slice(&error.body()).unwrap();
        assert_eq!(body["error"]["code"], 131047);
        assert_eq!(body["error"]["type"], "OAuthException");
        assert_eq!(body["error"]["message"], "(#131047) Re-engagement message");
        assert_eq!(body["error"]["error_data"]["messaging_product"], "whatsapp");
        assert_eq!(body["error"]["fbtrace_id"].as_str().unwrap().len(), 23);
        assert_eq!(error.http, StatusCode::BAD_REQUEST);
    }
}
