//! Embedded Signup over HTTP: `POST /v1/tenants/{id}/signup` runs (or resumes) the signup use
//! case; the page that runs Meta's JavaScript SDK is in `signup_page.rs`.
//!
//! # How the page is authorised
//! A browser cannot put an API key in a header when it follows a link, and an API key in a URL
//! ends up in histories, proxies and logs. So the tenant's back end (holding its API key) asks
//! `POST /v1/tenants/{id}/signup/page-link` for a link; the link carries a **page token** valid
//! for 15 minutes and only for this tenant's signup: `HMAC-SHA256(key, tenant ‖ expiry)` where
//! the key is derived from `WA_ADMIN_TOKEN` (so every `wa serve` process of a deployment accepts
//! it). The page sends that token back as `X-WA-Signup-Token` when it posts the code; the signup
//! endpoint accepts either the token or the usual bearer credentials. The page is answered with
//! `Cache-Control: no-store`, `Referrer-Policy: no-referrer` and a content security policy that
//! allows only its own inline script and style (by nonce) and the SDK's origin.

use std::time::Duration;

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::{
    ids::{PhoneNumberId, TenantId, WabaId},
    onboarding::{SignupCode, SignupFailure},
    usecase::signup::{SignupError, SignupRequest, signup},
};

use crate::{
    http::{auth::Caller, dto::ConnectionView, error::ApiError},
    state::AppState,
};

/// How long a page link works.
pub const PAGE_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The header the page sends its token in.
pub const PAGE_TOKEN_HEADER: &str = "x-wa-signup-token";

/// What the signup page needs to know.
#[derive(Clone)]
pub struct SignupPageSettings {
    /// Where Meta's SDK is loaded from (`WA_SIGNUP_SDK_URL`).
    pub sdk_url: String,
    /// `WA_META_APP_ID`.
    pub app_id: Option<String>,
    /// `WA_SIGNUP_CONFIG_ID`.
    pub config_id: Option<String>,
    /// The Graph API version the SDK is initialised with.
    pub graph_version: String,
    /// Signs page tokens (derived from the admin token).
    pub token_key: Option<SecretString>,
    /// The SaaS's name, logo and accent colour on the page.
    pub branding: crate::http::signup_page::SignupBranding,
}

/// The key page tokens are signed with: SHA-256 of a label and the admin token.
pub fn page_token_key(admin_token: Option<&SecretString>) -> Option<SecretString> {
    admin_token.map(|admin| {
        let mut digest = Sha256::new();
        digest.update(b"wa-signup-page-token\0");
        digest.update(admin.expose_secret().as_bytes());
        SecretString::from(hex::encode(digest.finalize()))
    })
}

/// The MAC of a page token: over the tenant and the expiry, under the page-token key.
fn page_mac(key: &SecretString, tenant: TenantId, expires: i64) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose_secret().as_bytes()).ok()?;
    mac.update(format!("{tenant}:{expires}").as_bytes());
    Some(mac)
}

fn sign(key: &SecretString, tenant: TenantId, expires: i64) -> Option<String> {
    page_mac(key, tenant, expires).map(|mac| hex::encode(mac.finalize().into_bytes()))
}

/// A page token for the tenant, valid until `expires`.
pub fn issue_page_token(
    key: &SecretString,
    tenant: TenantId,
    expires: OffsetDateTime,
) -> Option<String> {
    let expires = expires.unix_timestamp();
    sign(key, tenant, expires).map(|signature| format!("{expires}.{signature}"))
}

/// Whether a page token is valid for the tenant at `now`.
pub fn check_page_token(
    key: &SecretString,
    tenant: TenantId,
    token: &str,
    now: OffsetDateTime,
) -> bool {
    let Some((expires, signature)) = token.split_once('.') else {
        return false;
    };
    let Ok(expires) = expires.parse::<i64>() else {
        return false;
    };
    if expires < now.unix_timestamp() {
        return false;
    }
    let Ok(given) = hex::decode(signature) else {
        return false;
    };
    page_mac(key, tenant, expires).is_some_and(|mac| mac.verify_slice(&given).is_ok())
}

/// The caller may act for the tenant: bearer credentials, or a valid page token.
pub(crate) async fn authorise(
    state: &AppState,
    headers: &HeaderMap,
    parts_caller: Result<Caller, ApiError>,
    tenant: TenantId,
    query_token: Option<&str>,
) -> Result<(), ApiError> {
    let token = headers
        .get(PAGE_TOKEN_HEADER)
        .and_then(|value| value.to_str().ok())
        .or(query_token);
    if let (Some(token), Some(key)) = (token, &state.signup_page.token_key) {
        if check_page_token(key, tenant, token, state.ports.clock.now()) {
            return Ok(());
        }
        return Err(ApiError::unauthorized());
    }
    parts_caller?.require_tenant(tenant)
}

/// `POST /v1/tenants/{id}/signup`: what the front end received from Embedded Signup.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SignupBody {
    /// The code from `FB.login` (single-use, valid for seconds). Omit to resume an unfinished
    /// signup.
    pub code: Option<String>,
    /// The WABA id from the `WA_EMBEDDED_SIGNUP` session info.
    pub waba_id: Option<String>,
    /// The phone number id from the session info.
    pub phone_number_id: Option<String>,
    /// The business portfolio id from the session info.
    pub business_id: Option<String>,
    /// The number's two-step verification PIN, when it has one (6 digits); otherwise one is
    /// generated and kept in the vault.
    pub pin: Option<String>,
}

/// A completed signup.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignupView {
    /// `active`: every step done.
    pub status: String,
    /// The last step done.
    pub step: String,
    /// The connection as stored.
    pub connection: ConnectionView,
    /// Templates synced after the connection (absent when the sync failed; it is retried).
    pub templates_synced: Option<usize>,
}

/// A failed step.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignupFailureBody {
    /// `signup_step_failed`.
    pub code: String,
    /// What happened.
    pub message: String,
    /// The step that failed: `exchange_code`, `store_token`, `discover`, `subscribe`, `register`
    /// or `activate`.
    pub step: String,
    /// Its number, 1 to 6.
    pub step_number: u8,
    /// Meta's error code, when Meta gave one.
    pub meta_code: Option<i64>,
    /// What the user should do.
    pub action: String,
    /// Whether a plain retry (POST again, without a code) may succeed.
    pub retryable: bool,
}

fn failure_response(failure: SignupFailure) -> Response {
    let status = if failure.retryable {
        StatusCode::BAD_GATEWAY
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, Json(failure_body(failure))).into_response()
}

/// A failed step as the API shows it.
pub(crate) fn failure_body(failure: SignupFailure) -> SignupFailureBody {
    SignupFailureBody {
        code: "signup_step_failed".to_owned(),
        message: format!(
            "signup failed at step {} ({}): {}",
            failure.step.number(),
            failure.step,
            failure.message
        ),
        step: failure.step.as_str().to_owned(),
        step_number: failure.step.number(),
        meta_code: failure.meta_code,
        action: failure.action,
        retryable: failure.retryable,
    }
}

fn optional_id<T>(
    field: &str,
    value: Option<String>,
    parse: impl Fn(String) -> Result<T, wa_domain::validation::ValidationError>,
) -> Result<Option<T>, ApiError> {
    match value.filter(|v| !v.trim().is_empty()) {
        Some(value) => parse(value)
            .map(Some)
            .map_err(|e| ApiError::invalid(field, e.to_string())),
        None => Ok(None),
    }
}

/// A random 6-digit PIN.
fn generate_pin() -> SecretString {
    SecretString::from(format!("{:06}", rand::rng().random_range(0..1_000_000u32)))
}

/// Runs the tenant's Embedded Signup, or resumes it after a failure.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/signup", request_body = SignupBody,
    responses((status = 200, body = SignupView), (status = 422, body = SignupFailureBody),
        (status = 502, body = SignupFailureBody), (status = 400, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = []), ("signup_page_token" = [])), tag = "connection")]
pub async fn run(
    State(state): State<AppState>,
    Path(tenant_id): Path<Uuid>,
    headers: HeaderMap,
    caller: Result<Caller, ApiError>,
    Json(body): Json<SignupBody>,
) -> Result<Response, ApiError> {
    let tenant_id = TenantId::from_uuid(tenant_id);
    authorise(&state, &headers, caller, tenant_id, None).await?;
    let pin = match body.pin.filter(|pin| !pin.is_empty()) {
        Some(pin) if pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) => {
            Some(SecretString::from(pin))
        }
        Some(_) => return Err(ApiError::invalid("pin", "pin must be 6 digits")),
        None => None,
    };
    let code = body
        .code
        .filter(|code| !code.trim().is_empty())
        .map(|code| {
            let fingerprint = hex::encode(Sha256::digest(code.as_bytes()));
            SignupCode {
                code: SecretString::from(code),
                fingerprint,
            }
        });
    let request = SignupRequest {
        code,
        waba_id: optional_id("waba_id", body.waba_id, WabaId::parse)?,
        phone_number_id: optional_id(
            "phone_number_id",
            body.phone_number_id,
            PhoneNumberId::parse,
        )?,
        business_id: body.business_id.filter(|id| !id.trim().is_empty()),
        pin,
        generated_pin: generate_pin(),
    };
    match signup(&state.ports, tenant_id, request).await {
        Ok(outcome) => {
            tracing::info!(tenant.id = %tenant_id, templates = ?outcome.templates_synced, "signup completed");
            state.delivery.wake();
            let view = SignupView {
                status: outcome.connection.health.as_str().to_owned(),
                step: outcome
                    .state
                    .reached
                    .map(|step| step.as_str().to_owned())
                    .unwrap_or_default(),
                connection: outcome.connection.into(),
                templates_synced: outcome.templates_synced,
            };
            Ok(Json(view).into_response())
        }
        Err(SignupError::Step(failure)) => {
            tracing::warn!(tenant.id = %tenant_id, step = failure.step.as_str(), meta_code = ?failure.meta_code,
                "signup step failed");
            Ok(failure_response(failure))
        }
        Err(SignupError::CodeRequired) => Err(ApiError::invalid(
            "code",
            "code is required: there is no unfinished signup to resume",
        )),
        Err(SignupError::TenantNotFound) => Err(ApiError::not_found("tenant")),
        Err(SignupError::TenantDisabled) => Err(ApiError::conflict(
            "tenant_disabled",
            "the tenant is disabled",
        )),
        Err(SignupError::Vault(vault)) => Err(vault.into()),
        Err(SignupError::Store(store)) => Err(store.into()),
    }
}

/// A link to the signup page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PageLink {
    /// The page's path with its token; open it in the business user's browser.
    pub path: String,
    /// When the link stops working (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// Issues a link to the signup page, valid for 15 minutes.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/signup/page-link",
    responses((status = 200, body = PageLink), (status = 403, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = [])), tag = "connection")]
pub async fn page_link(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<Uuid>,
) -> Result<Json<PageLink>, ApiError> {
    let tenant = TenantId::from_uuid(tenant_id);
    caller.require_tenant(tenant)?;
    let key = state
        .signup_page
        .token_key
        .as_ref()
        .ok_or_else(ApiError::unauthorized)?;
    let expires_at = state.ports.clock.now() + PAGE_TOKEN_LIFETIME;
    let token = issue_page_token(key, tenant, expires_at).ok_or_else(ApiError::unauthorized)?;
    Ok(Json(PageLink {
        path: format!("/v1/tenants/{tenant}/signup/page?token={token}"),
        expires_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_are_bound_to_tenant_and_time() {
        let key = SecretString::from("k".repeat(64));
        let tenant = TenantId::generate();
        let now = OffsetDateTime::now_utc();
        let token = issue_page_token(&key, tenant, now + time::Duration::minutes(15)).unwrap();
        assert!(check_page_token(&key, tenant, &token, now));
        assert!(!check_page_token(&key, TenantId::generate(), &token, now));
        assert!(!check_page_token(
            &key,
            tenant,
            &token,
            now + time::Duration::minutes(16)
        ));
        assert!(!check_page_token(
            &SecretString::from("other"),
            tenant,
            &token,
            now
        ));
        assert!(!check_page_token(&key, tenant, "garbage", now));
    }
}
