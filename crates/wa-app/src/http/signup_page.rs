//! The hosted signup page a business user opens to connect WhatsApp, and the progress it polls.
//!
//! `GET /v1/tenants/{id}/signup/page` serves one self-contained HTML page (no build step, no
//! external stylesheet): branded with the SaaS's product name, logo and accent colour
//! (`WA_SIGNUP_PRODUCT_NAME`, `WA_SIGNUP_LOGO_URL`, `WA_SIGNUP_ACCENT_COLOR`) and addressed to the
//! tenant by name. It shows each state plainly: loading Meta's SDK, ready, waiting for Meta's
//! window, connecting (the step being done, from `GET /v1/tenants/{id}/signup`), connected (the
//! number and its verified name), failed (the step, what to do, and a retry that resumes).
//!
//! Its content security policy allows exactly its own inline script and stylesheet, by a nonce
//! made fresh for each response, plus Meta's SDK origin for scripts, frames and requests.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine;
use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wa_domain::{
    ids::TenantId,
    onboarding::{SignupState, SignupStep},
};

use crate::{
    http::{
        auth::Caller,
        error::ApiError,
        signup::{SignupFailureBody, SignupPageSettings, authorise},
    },
    state::AppState,
};

/// How the SaaS presents itself on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignupBranding {
    /// `WA_SIGNUP_PRODUCT_NAME`: the SaaS's name as the business knows it.
    pub product_name: String,
    /// `WA_SIGNUP_LOGO_URL`: an `https://` (or `http://` for development) image.
    pub logo_url: Option<String>,
    /// `WA_SIGNUP_ACCENT_COLOR`: `#rrggbb`.
    pub accent_color: String,
}

impl Default for SignupBranding {
    fn default() -> Self {
        Self {
            product_name: "wa".to_owned(),
            logo_url: None,
            accent_color: DEFAULT_ACCENT.to_owned(),
        }
    }
}

/// The accent colour when none is configured (a dark teal that keeps white text readable).
pub const DEFAULT_ACCENT: &str = "#0b6e5f";

/// Whether `value` is a `#rrggbb` colour.
pub fn is_hex_colour(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].bytes().all(|b| b.is_ascii_hexdigit())
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
    let tenant_name = state
        .ports
        .tenants
        .get(tenant)
        .await?
        .map(|found| found.name)
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    let settings = &state.signup_page;
    let nonce = fresh_nonce();
    let html = render_page(
        settings,
        tenant,
        &tenant_name,
        query.token.as_deref().unwrap_or_default(),
        &nonce,
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
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(value) = HeaderValue::from_str(&content_security_policy(settings, &nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}

/// The page's policy: its own script and style by nonce, Meta's SDK origin, nothing else.
pub fn content_security_policy(settings: &SignupPageSettings, nonce: &str) -> String {
    let sdk = origin_of(&settings.sdk_url);
    let logo = settings
        .branding
        .logo_url
        .as_deref()
        .map(|url| format!(" {}", origin_of(url)))
        .unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}' {sdk}; style-src 'nonce-{nonce}'; \
         connect-src 'self' {sdk}; frame-src {sdk} https://www.facebook.com https://web.facebook.com; \
         img-src 'self' data: {sdk}{logo}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

fn fresh_nonce() -> String {
    let bytes: [u8; 18] = rand::rng().random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Where the tenant's signup stands, for the page (and any front end) to show.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignupProgress {
    /// `not_started`, `in_progress`, `failed` or `completed`.
    pub status: String,
    /// The last step completed (`exchange_code` … `activate`), if any.
    pub reached: Option<String>,
    /// The step being done or to do next, with its number (1 to 6), unless completed.
    pub next: Option<String>,
    /// The next step's number.
    pub next_number: Option<u8>,
    /// The last failure, while it stands.
    pub failure: Option<SignupFailureBody>,
}

impl From<Option<SignupState>> for SignupProgress {
    fn from(state: Option<SignupState>) -> Self {
        let Some(state) = state else {
            return Self {
                status: "not_started".to_owned(),
                reached: None,
                next: Some(SignupStep::ExchangeCode.as_str().to_owned()),
                next_number: Some(SignupStep::ExchangeCode.number()),
                failure: None,
            };
        };
        let next = match state.reached {
            None => Some(SignupStep::ExchangeCode),
            Some(reached) => SignupStep::ALL
                .iter()
                .copied()
                .find(|step| step.number() == reached.number() + 1),
        };
        let status = match (&state.failure, next) {
            (Some(_), _) => "failed",
            (None, None) => "completed",
            (None, Some(_)) => "in_progress",
        };
        Self {
            status: status.to_owned(),
            reached: state.reached.map(|step| step.as_str().to_owned()),
            next: next.map(|step| step.as_str().to_owned()),
            next_number: next.map(SignupStep::number),
            failure: state.failure.map(crate::http::signup::failure_body),
        }
    }
}

/// Where the tenant's Embedded Signup stands (the page polls this while it connects).
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/signup",
    responses((status = 200, body = SignupProgress), (status = 401, body = crate::http::error::ErrorBody),
        (status = 403, body = crate::http::error::ErrorBody)),
    security(("admin" = []), ("tenant_key" = []), ("signup_page_token" = [])), tag = "connection")]
pub async fn progress(
    State(state): State<AppState>,
    Path(tenant_id): Path<Uuid>,
    headers: HeaderMap,
    caller: Result<Caller, ApiError>,
) -> Result<Json<SignupProgress>, ApiError> {
    let tenant = TenantId::from_uuid(tenant_id);
    authorise(&state, &headers, caller, tenant, None).await?;
    let current = state.ports.signups.get(tenant).await?;
    Ok(Json(current.into()))
}

/// `scheme://host[:port]` of a URL (the whole text when it does not parse).
pub fn origin_of(url: &str) -> String {
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

/// Escapes text for HTML content and attribute values.
fn html(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The page's HTML for one tenant and one response's nonce.
pub fn render_page(
    settings: &SignupPageSettings,
    tenant: TenantId,
    tenant_name: &str,
    token: &str,
    nonce: &str,
) -> String {
    let branding = &settings.branding;
    let accent = if is_hex_colour(&branding.accent_color) {
        branding.accent_color.as_str()
    } else {
        DEFAULT_ACCENT
    };
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
    let logo = branding
        .logo_url
        .as_deref()
        .map(|url| format!("<img class=\"logo\" src=\"{}\" alt=\"\">", html(url)))
        .unwrap_or_else(|| {
            let initial = branding
                .product_name
                .chars()
                .next()
                .map(|c| c.to_uppercase().collect::<String>())
                .unwrap_or_default();
            format!(
                "<span class=\"logo mark\" aria-hidden=\"true\">{}</span>",
                html(&initial)
            )
        });
    PAGE_TEMPLATE
        .replace("__NONCE__", nonce)
        .replace("__ACCENT__", accent)
        .replace("__LOGO__", &logo)
        .replace("__PRODUCT__", &html(&branding.product_name))
        .replace("__TENANT__", &html(tenant_name))
        .replace("__WA_CONFIG__", &config)
}

const PAGE_TEMPLATE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connect WhatsApp · __PRODUCT__</title>
<style nonce="__NONCE__">
:root{--accent:__ACCENT__;--ink:#1d2327;--muted:#5b6670;--line:#e3e7ea;--bg:#f4f6f7;--ok:#0f7b3f;--bad:#b3261e}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;display:flex;align-items:flex-start;justify-content:center;padding:6vh 1rem 2rem}
.card{width:100%;max-width:34rem;background:#fff;border:1px solid var(--line);border-radius:14px;box-shadow:0 6px 24px rgba(16,24,40,.08);padding:2rem 2rem 1.5rem}
.brand{display:flex;align-items:center;gap:.6rem;margin-bottom:1.5rem;font-weight:600;color:var(--muted)}
.logo{width:36px;height:36px;border-radius:9px;object-fit:contain}
.mark{display:inline-flex;align-items:center;justify-content:center;background:var(--accent);color:#fff;font-size:1.1rem}
h1{font-size:1.45rem;line-height:1.25;margin:0 0 .6rem}
.lead{margin:0 0 1.4rem;color:var(--muted)}
button{font:inherit;font-weight:600;border:0;border-radius:10px;padding:.8rem 1.4rem;cursor:pointer;min-width:12rem}
button.primary{background:var(--accent);color:#fff}
button.primary:disabled{opacity:.45;cursor:default}
button.secondary{background:#fff;color:var(--accent);border:2px solid var(--accent)}
.status{margin:1.2rem 0 0;padding:.9rem 1rem;border-radius:10px;background:var(--bg);border-left:4px solid var(--line)}
.status[data-state=ready],.status[data-state=waiting],.status[data-state=connecting]{border-left-color:var(--accent)}
.status[data-state=connected]{border-left-color:var(--ok);background:#eaf6ef}
.status[data-state=failed],.status[data-state=error]{border-left-color:var(--bad);background:#fbeceb}
.status .title{display:block;font-weight:600}
.status .detail{display:block;color:var(--muted);margin-top:.2rem;white-space:pre-wrap}
.steps{list-style:none;margin:1rem 0 0;padding:0;font-size:.93rem;color:var(--muted)}
.steps li{padding:.25rem 0 .25rem 1.7rem;position:relative}
.steps li::before{content:"";position:absolute;left:.2rem;top:.6rem;width:.7rem;height:.7rem;border-radius:50%;border:2px solid var(--line)}
.steps li.done{color:var(--ink)}
.steps li.done::before{background:var(--ok);border-color:var(--ok)}
.steps li.current{color:var(--ink);font-weight:600}
.steps li.current::before{border-color:var(--accent);background:var(--accent)}
.steps li.failed::before{border-color:var(--bad);background:var(--bad)}
.actions{display:flex;flex-wrap:wrap;gap:.7rem;margin-top:1.4rem}
footer{margin-top:1.6rem;padding-top:1rem;border-top:1px solid var(--line);font-size:.85rem;color:var(--muted)}
[hidden]{display:none!important}
@media (max-width:480px){body{padding:0}.card{border-radius:0;border:0;box-shadow:none;min-height:100vh;padding:1.5rem 1.2rem}button{width:100%}}
</style>
</head>
<body>
<main class="card">
<div class="brand">__LOGO__<span class="product">__PRODUCT__</span></div>
<h1>Connect WhatsApp for <span id="tenant">__TENANT__</span></h1>
<p class="lead">__PRODUCT__ will send and receive WhatsApp messages for __TENANT__ through Meta's WhatsApp Business Platform. Sign in with Facebook, then choose the business, the WhatsApp account and the phone number to connect.</p>
<div class="actions">
<button id="start" class="primary" type="button" disabled>Connect WhatsApp</button>
<button id="retry" class="secondary" type="button" hidden>Try again</button>
</div>
<div id="outcome" class="status" role="status" aria-live="polite" data-state="loading"><span class="title">Loading Meta's sign-in…</span><span class="detail"></span></div>
<ol id="steps" class="steps" hidden>
<li data-step="exchange_code">Confirming your sign-in with Meta</li>
<li data-step="store_token">Keeping your access key safe</li>
<li data-step="discover">Finding your WhatsApp account</li>
<li data-step="subscribe">Subscribing to your messages</li>
<li data-step="register">Registering your phone number</li>
<li data-step="activate">Checking the number and finishing</li>
</ol>
<footer>Your Facebook password is never shared with __PRODUCT__. You can remove this connection at any time in Meta Business Suite.</footer>
</main>
<script nonce="__NONCE__">
(function () {
  "use strict";
  var config = __WA_CONFIG__;
  var session = {};
  var outcome = document.getElementById("outcome");
  var start = document.getElementById("start");
  var retry = document.getElementById("retry");
  var steps = document.getElementById("steps");
  var polling = null;
  var STEPS = ["exchange_code", "store_token", "discover", "subscribe", "register", "activate"];
  function show(state, title, detail) {
    outcome.dataset.state = state;
    outcome.firstChild.textContent = title;
    outcome.lastChild.textContent = detail || "";
  }
  function label(step) {
    var item = steps.querySelector('[data-step="' + step + '"]');
    return item ? item.textContent : step;
  }
  // Marks the steps done up to `reached`, `current` as the one being done, `failed` as failed.
  function mark(current, failed) {
    steps.hidden = false;
    var index = STEPS.indexOf(failed || current);
    Array.prototype.forEach.call(steps.children, function (item, i) {
      item.className = i < index ? "done" : (i === index ? (failed ? "failed" : "current") : "");
    });
  }
  function headers() {
    var h = { "Content-Type": "application/json" };
    if (config.token) { h["X-WA-Signup-Token"] = config.token; }
    return h;
  }
  function poll() {
    fetch(config.endpoint, { headers: headers(), credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!polling || !p || p.status !== "in_progress" || !p.next) { return; }
        mark(p.next);
        show("connecting", "Connecting…", "Step " + p.next_number + " of 6: " + label(p.next));
      })
      .catch(function () {});
  }
  function stopPolling() { if (polling) { clearInterval(polling); polling = null; } }
  // Session info arrives as a message event from Meta's origins (or the configured SDK's).
  window.addEventListener("message", function (event) {
    var trusted = /^https:\/\/([a-z0-9-]+\.)*facebook\.com$/.test(event.origin) || event.origin === config.sdkOrigin;
    if (!trusted) { return; }
    var data = event.data;
    if (typeof data === "string") { try { data = JSON.parse(data); } catch (e) { return; } }
    if (!data || data.type !== "WA_EMBEDDED_SIGNUP") { return; }
    if (data.event === "CANCEL") {
      show("cancelled", "Signup was not finished", "Meta's window was closed at " + (data.data && data.data.current_step || "an unknown step") + ". You can start again.");
      start.disabled = false;
      return;
    }
    if (data.event === "ERROR") { show("error", "Meta reported an error", data.data && data.data.error_message || "unknown"); start.disabled = false; return; }
    session = data.data || {};
  });
  function post(code) {
    retry.hidden = true;
    start.disabled = true;
    mark("exchange_code");
    show("connecting", "Connecting…", "Step 1 of 6: " + label("exchange_code"));
    polling = setInterval(poll, 500);
    var body = code ? { code: code, waba_id: session.waba_id || null,
      phone_number_id: session.phone_number_id || null, business_id: session.business_id || null } : {};
    fetch(config.endpoint, { method: "POST", headers: headers(), credentials: "same-origin", body: JSON.stringify(body) })
      .then(function (response) { return response.json().then(function (b) { return { ok: response.ok, body: b }; }); })
      .then(function (result) {
        stopPolling();
        var b = result.body;
        if (result.ok) {
          steps.hidden = true;
          start.hidden = true;
          var c = b.connection || {};
          show("connected", "Connected: " + c.display_phone_number + (c.business_name ? " · " + c.business_name : ""),
            "WhatsApp messages for this number now reach " + document.querySelector(".product").textContent + ". You can close this page.");
        } else if (b.step) {
          mark(null, b.step);
          show("failed", "Step " + b.step_number + " of 6 failed: " + label(b.step),
            (b.action || "") + (b.meta_code ? " (Meta error " + b.meta_code + ")" : ""));
          retry.hidden = !b.retryable;
          start.disabled = false;
        } else {
          show("failed", "The signup failed", b.message || "");
          start.disabled = false;
        }
      })
      .catch(function () { stopPolling(); show("failed", "The server could not be reached", "Check your connection and try again."); retry.hidden = false; start.disabled = false; });
  }
  window.fbAsyncInit = function () {
    FB.init({ appId: config.appId, autoLogAppEvents: true, xfbml: false, version: config.version });
    start.disabled = false;
    show("ready", "Ready", "You will sign in with Facebook in a window from Meta.");
  };
  // A failed step resumes where it stopped: the steps already done are not redone.
  retry.addEventListener("click", function () { post(null); });
  start.addEventListener("click", function () {
    start.disabled = true;
    show("waiting", "Waiting for Meta", "Finish the steps in Meta's window; this page continues by itself.");
    FB.login(function (response) {
      if (response && response.authResponse && response.authResponse.code) {
        // The code lives for seconds: post it at once (session info may arrive just before).
        setTimeout(function () { post(response.authResponse.code); }, 0);
      } else {
        show("cancelled", "Signup was not finished", "Meta's window was closed before the end. You can start again.");
        start.disabled = false;
      }
    }, { config_id: config.configId, response_type: "code", override_default_response_type: true,
         extras: { setup: {}, featureType: "", sessionInfoVersion: "3" } });
  });
  var script = document.createElement("script");
  script.async = true; script.defer = true; script.crossOrigin = "anonymous"; script.src = config.sdkUrl;
  script.onerror = function () { show("error", "Meta's sign-in could not be loaded", "Check your connection, or allow connect.facebook.net, then reload this page."); };
  document.head.appendChild(script);
})();
</script>
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SignupPageSettings {
        SignupPageSettings {
            sdk_url: "https://connect.facebook.net/en_US/sdk.js".to_owned(),
            app_id: Some("900100".to_owned()),
            config_id: Some("</script><b>".to_owned()),
            graph_version: "v25.0".to_owned(),
            token_key: None,
            branding: SignupBranding {
                product_name: "Acme <Chat>".to_owned(),
                logo_url: Some("https://cdn.acme.example/logo.png".to_owned()),
                accent_color: "#aa3300".to_owned(),
            },
        }
    }

    #[test]
    fn the_page_embeds_its_settings_safely() {
        let html = render_page(
            &settings(),
            TenantId::generate(),
            "Cafe \"Aviv\"",
            "t",
            "N0nce",
        );
        assert!(html.contains("\"appId\":\"900100\""));
        assert!(!html.contains("</script><b>"));
        assert!(html.contains("\"sdkOrigin\":\"https://connect.facebook.net\""));
        assert!(html.contains("Acme &lt;Chat&gt;") && !html.contains("Acme <Chat>"));
        assert!(html.contains("Cafe &quot;Aviv&quot;"));
        assert!(html.contains("--accent:#aa3300"));
        assert_eq!(html.matches("nonce=\"N0nce\"").count(), 2);
    }

    #[test]
    fn the_policy_allows_only_its_own_inline_code() {
        let csp = content_security_policy(&settings(), "N0nce");
        assert!(csp.contains("style-src 'nonce-N0nce';"));
        assert!(csp.contains("script-src 'nonce-N0nce' https://connect.facebook.net;"));
        assert!(csp.contains(
            "img-src 'self' data: https://connect.facebook.net https://cdn.acme.example;"
        ));
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.starts_with("default-src 'none';"));
    }

    #[test]
    fn a_bad_accent_falls_back_and_colours_are_checked() {
        let mut bad = settings();
        bad.branding.accent_color = "red;}body{display:none".to_owned();
        let html = render_page(&bad, TenantId::generate(), "T", "", "n");
        assert!(html.contains(&format!("--accent:{DEFAULT_ACCENT}")));
        assert!(is_hex_colour("#0b6e5f") && !is_hex_colour("0b6e5f") && !is_hex_colour("#0b6e5g"));
    }

    #[test]
    fn progress_says_what_is_next() {
        let none = SignupProgress::from(None);
        assert_eq!(none.status, "not_started");
        assert_eq!(none.next_number, Some(1));
    }
}
