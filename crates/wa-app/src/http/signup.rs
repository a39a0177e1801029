//! Embedded Signup over HTTP: `POST /v1/tenants/{id}/signup` runs (or resumes) the signup use
//! case, and `GET /v1/tenants/{id}/signup/page` serves the page that runs Meta's JavaScript SDK.
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
//! allows scripts only from itself and the SDK's origin.

use std::time::Duration;

use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
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
async fn authorise(
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
    let body = SignupFailureBody {
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
    };
    (status, Json(body)).into_response()
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

/// `?token=` of the page.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    token: Option<String>,
}

/// The signup page (HTML) that runs Meta's SDK and posts the result to the signup endpoint.
pub async fn page(
    State(state): State<AppState>,
    Path(tenant_id): Path<Uuid>,
    headers: HeaderMap,
    caller: Result<Caller, ApiError>,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let tenant = TenantId::from_uuid(tenant_id);
    authorise(&state, &headers, caller, tenant, query.token.as_deref()).await?;
    let settings = &state.signup_page;
    let html = render_page(settings, tenant, query.token.as_deref().unwrap_or_default());
    let sdk_origin = origin_of(&settings.sdk_url);
    let csp = format!(
        "default-src 'self'; script-src 'self' 'unsafe-inline' {sdk_origin}; connect-src 'self' {sdk_origin}; \
         frame-src {sdk_origin} https://www.facebook.com https://web.facebook.com; img-src 'self' data: {sdk_origin}; \
         base-uri 'none'; form-action 'none'"
    );
    let mut response = (StatusCode::OK, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}

/// `scheme://host[:port]` of a URL (the whole text when it does not parse).
fn origin_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => parsed.origin().ascii_serialization(),
        Err(_) => url.to_owned(),
    }
}

/// JSON-encodes a value for embedding in a `<script>` (no `</script>` can close it early).
fn js(value: &str) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "\"\"".to_owned())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn render_page(settings: &SignupPageSettings, tenant: TenantId, token: &str) -> String {
    let config = format!(
        "{{\"sdkUrl\":{},\"appId\":{},\"configId\":{},\"version\":{},\"endpoint\":{},\"token\":{},\"sdkOrigin\":{}}}",
        js(&settings.sdk_url),
        js(settings.app_id.as_deref().unwrap_or_default()),
        js(settings.config_id.as_deref().unwrap_or_default()),
        js(&settings.graph_version),
        js(&format!("/v1/tenants/{tenant}/signup")),
        js(token),
        js(&origin_of(&settings.sdk_url)),
    );
    PAGE_TEMPLATE.replace("__WA_CONFIG__", &config)
}

const PAGE_TEMPLATE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connect WhatsApp</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}
button{font-size:1rem;padding:.6rem 1.2rem}#outcome{margin-top:1.5rem;white-space:pre-wrap}</style>
</head>
<body>
<h1>Connect your WhatsApp Business account</h1>
<p>Sign in with Facebook and choose the business, WhatsApp account and phone number to connect.</p>
<button id="start" type="button" disabled>Connect WhatsApp</button>
<div id="outcome" role="status" data-state="idle"></div>
<script>
(function () {
  "use strict";
  var config = __WA_CONFIG__;
  var session = {};
  var outcome = document.getElementById("outcome");
  var start = document.getElementById("start");
  function show(state, text) { outcome.dataset.state = state; outcome.textContent = text; }
  // Session info arrives as a message event from Meta's origins (or the configured SDK's).
  window.addEventListener("message", function (event) {
    var trusted = /^https:\/\/([a-z0-9-]+\.)*facebook\.com$/.test(event.origin) || event.origin === config.sdkOrigin;
    if (!trusted) { return; }
    var data = event.data;
    if (typeof data === "string") { try { data = JSON.parse(data); } catch (e) { return; } }
    if (!data || data.type !== "WA_EMBEDDED_SIGNUP") { return; }
    if (data.event === "CANCEL") { show("cancelled", "Signup cancelled at " + (data.data && data.data.current_step || "an unknown step") + "."); return; }
    if (data.event === "ERROR") { show("error", "Meta reported an error: " + (data.data && data.data.error_message || "unknown")); return; }
    session = data.data || {};
  });
  function post(code) {
    show("working", "Connecting…");
    var headers = { "Content-Type": "application/json" };
    if (config.token) { headers["X-WA-Signup-Token"] = config.token; }
    fetch(config.endpoint, { method: "POST", headers: headers, credentials: "same-origin",
      body: JSON.stringify({ code: code, waba_id: session.waba_id || null,
        phone_number_id: session.phone_number_id || null, business_id: session.business_id || null }) })
      .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
      .then(function (result) {
        if (result.ok) {
          show("connected", "Connected: " + result.body.connection.display_phone_number + " (" + result.body.status + ")");
        } else if (result.body.step) {
          show("failed", "Step " + result.body.step_number + " (" + result.body.step + ") failed" +
            (result.body.meta_code ? " with Meta code " + result.body.meta_code : "") + ". " + result.body.action);
        } else {
          show("failed", result.body.message || "The signup failed.");
        }
      })
      .catch(function () { show("failed", "The server could not be reached."); });
  }
  window.fbAsyncInit = function () {
    FB.init({ appId: config.appId, autoLogAppEvents: true, xfbml: false, version: config.version });
    start.disabled = false;
  };
  start.addEventListener("click", function () {
    FB.login(function (response) {
      if (response && response.authResponse && response.authResponse.code) {
        // The code lives for seconds: post it at once (session info may arrive just before).
        setTimeout(function () { post(response.authResponse.code); }, 0);
      } else {
        show("cancelled", "Signup was not completed.");
      }
    }, { config_id: config.configId, response_type: "code", override_default_response_type: true,
         extras: { setup: {}, featureType: "", sessionInfoVersion: "3" } });
  });
  var script = document.createElement("script");
  script.async = true; script.defer = true; script.crossOrigin = "anonymous"; script.src = config.sdkUrl;
  document.head.appendChild(script);
})();
</script>
</body>
</html>
"#;

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

    #[test]
    fn the_page_embeds_its_settings_safely() {
        let settings = SignupPageSettings {
            sdk_url: "https://connect.facebook.net/en_US/sdk.js".to_owned(),
            app_id: Some("900100".to_owned()),
            config_id: Some("</script><b>".to_owned()),
            graph_version: "v25.0".to_owned(),
            token_key: None,
        };
        let html = render_page(&settings, TenantId::generate(), "t");
        assert!(html.contains("\"appId\":\"900100\""));
        assert!(!html.contains("</script><b>"));
        assert!(html.contains("\"sdkOrigin\":\"https://connect.facebook.net\""));
    }
}
