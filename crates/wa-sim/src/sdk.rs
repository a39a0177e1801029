//! A stand-in for Meta's JavaScript SDK, so a signup page runs without Meta.
//!
//! `GET /sdk.js` creates a simulated Embedded Signup (as `POST /_sim/signup` does) and answers a
//! script defining `FB.init` and `FB.login`. `FB.login` checks the options Embedded Signup needs
//! (`config_id`, `response_type: "code"`, `override_default_response_type: true`), then loads
//! `GET /sdk/session` in a hidden frame from the simulator's origin, which posts the
//! `WA_EMBEDDED_SIGNUP` `FINISH` message to the page (as Meta's frame does from
//! `facebook.com`), and finally calls the login callback with the code.
//!
//! `GET /sdk.js?session=none` leaves the session message out (lost session info);
//! `?session=cancel` posts `CANCEL` and completes no login.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::control::{SignupRequest, SimControl};
use crate::state::Sim;

/// `?session=`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ScriptQuery {
    #[serde(default)]
    session: Option<String>,
}

/// Embeds a value in a script.
fn js(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
}

/// `GET /sdk.js`.
pub(crate) async fn script(
    State(sim): State<Arc<Sim>>,
    Query(query): Query<ScriptQuery>,
) -> Response {
    let grant = SimControl::new(sim.clone()).create_signup(SignupRequest::default());
    let mode = query.session.unwrap_or_else(|| "finish".to_owned());
    let settings = json!({
        "origin": sim.base_url.trim_end_matches('/'),
        "mode": mode,
        "code": grant.code,
        "waba_id": grant.waba_id,
        "phone_number_id": grant.phone_number_id,
        "business_id": grant.business_id,
    });
    let body = SCRIPT.replace("__SIM__", &js(&settings));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/javascript; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// `?event=&waba_id=&phone_number_id=&business_id=` of the session frame.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SessionQuery {
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    waba_id: Option<String>,
    #[serde(default)]
    phone_number_id: Option<String>,
    #[serde(default)]
    business_id: Option<String>,
}

/// `GET /sdk/session`: a frame that posts the session message to its parent.
pub(crate) async fn session(Query(query): Query<SessionQuery>) -> Response {
    let event = query.event.unwrap_or_else(|| "FINISH".to_owned());
    let message = if event == "CANCEL" {
        json!({"type": "WA_EMBEDDED_SIGNUP", "event": "CANCEL",
            "data": {"current_step": "PHONE_NUMBER_SETUP"}, "version": "3"})
    } else {
        json!({"type": "WA_EMBEDDED_SIGNUP", "event": event, "data": {
            "phone_number_id": query.phone_number_id, "waba_id": query.waba_id,
            "business_id": query.business_id}, "version": "3"})
    };
    let html = format!(
        "<!DOCTYPE html><html><body><script>parent.postMessage(JSON.stringify({}), \"*\");</script></body></html>",
        js(&message)
    );
    let mut response = html.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

const SCRIPT: &str = r#"/* wa-sim: a stand-in for Meta's JavaScript SDK (Embedded Signup only). */
(function () {
  "use strict";
  var sim = __SIM__;
  var initialised = null;
  function frame(query, done) {
    var element = document.createElement("iframe");
    element.style.display = "none";
    element.src = sim.origin + "/sdk/session?" + query;
    element.onload = function () { setTimeout(done, 50); };
    document.body.appendChild(element);
  }
  window.FB = {
    init: function (options) {
      if (!options || !options.appId) { throw new Error("FB.init: appId is required"); }
      initialised = options;
    },
    login: function (callback, options) {
      var ok = initialised && options && options.config_id && options.response_type === "code" &&
        options.override_default_response_type === true;
      if (!ok) { setTimeout(function () { callback({ authResponse: null, status: "unknown" }); }, 0); return; }
      var connected = function () {
        callback({ authResponse: { code: sim.code, userID: "", expiresIn: 0 }, status: "connected" });
      };
      if (sim.mode === "none") { setTimeout(connected, 0); return; }
      if (sim.mode === "cancel") {
        frame("event=CANCEL", function () { callback({ authResponse: null, status: "unknown" }); });
        return;
      }
      frame("event=FINISH&waba_id=" + encodeURIComponent(sim.waba_id) +
        "&phone_number_id=" + encodeURIComponent(sim.phone_number_id) +
        "&business_id=" + encodeURIComponent(sim.business_id), connected);
    }
  };
  if (typeof window.fbAsyncInit === "function") { setTimeout(window.fbAsyncInit, 0); }
})();
"#;
