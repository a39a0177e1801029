//! [`SimControl`]: the in-process handle to set up a scenario, inject customer behaviour and
//! faults, move time, and inspect what the simulator received and sent. The control API
//! (`/_sim/...`) calls exactly these methods.

pub(crate) mod account;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth::appsecret_proof;
use crate::clock::nanos;
use crate::config::{Faults, Limits, NumberConfig, TemplateConfig, WebhookBehaviour};
use crate::customer::CustomerRef;
use crate::ids::{digits, media_id, opaque_token};
use crate::inbound::{InboundRequest, InboundResult};
use crate::records::{AcceptedMessage, ReadMark, RecordedRequest, Totals, WebhookDelivery};
use crate::state::{SignupCode, Sim, lock, read, write};

/// A control operation that could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// The phone number id is not part of the scenario.
    #[error("unknown phone_number_id {0}")]
    UnknownNumber(String),
    /// The request is malformed or inconsistent.
    #[error("invalid control request: {0}")]
    Invalid(String),
    /// The callback URL failed Meta's verification handshake.
    #[error("callback verification failed: {0}")]
    Verification(String),
}

/// What Embedded Signup's front end would hand over: ids for a new number and WABA.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SignupRequest {
    /// WABA id (generated when absent).
    pub waba_id: Option<String>,
    /// Phone number id (generated when absent).
    pub phone_number_id: Option<String>,
    /// Display number (generated when absent).
    pub display_phone_number: Option<String>,
    /// Code lifetime in milliseconds (default 10 minutes).
    pub code_ttl_ms: Option<u64>,
}

/// The result of a simulated Embedded Signup: an authorisation code to exchange, and the
/// session info (`phone_number_id`, `waba_id`, `business_id`). The number starts unregistered
/// and the WABA unsubscribed, as after a real signup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupGrant {
    /// The code for `GET /oauth/access_token`.
    pub code: String,
    /// The new WABA.
    pub waba_id: String,
    /// The new number.
    pub phone_number_id: String,
    /// The new number as displayed.
    pub display_phone_number: String,
    /// The client's business portfolio id.
    pub business_id: String,
}

/// The control handle of a running simulator (cheap to clone).
#[derive(Debug, Clone)]
pub struct SimControl {
    sim: Arc<Sim>,
}

impl SimControl {
    pub(crate) fn new(sim: Arc<Sim>) -> Self {
        Self { sim }
    }

    /// Adds (or replaces) a business number; its token gets access to it and its WABA.
    pub fn add_number(&self, number: NumberConfig) {
        self.sim.add_number(number);
    }

    /// The numbers of the scenario.
    pub fn numbers(&self) -> Vec<NumberConfig> {
        let mut numbers: Vec<NumberConfig> = read(&self.sim.numbers)
            .values()
            .map(|n| {
                let mut config = n.config.clone();
                config.registered = n.registered.load(Ordering::Relaxed);
                config
            })
            .collect();
        numbers.sort_by(|a, b| a.phone_number_id.cmp(&b.phone_number_id));
        numbers
    }

    /// Adds (or replaces, by name, language and WABA) a template.
    ///
    /// # Errors
    /// [`ControlError::Invalid`] when the template has no name or language.
    pub fn add_template(&self, template: TemplateConfig) -> Result<(), ControlError> {
        self.sim
            .add_template(template)
            .map_err(ControlError::Invalid)
    }

    /// Registers or updates a customer (name, username, BSUID).
    ///
    /// # Errors
    /// [`ControlError::Invalid`] when neither `wa_id` nor `user_id` is given.
    pub fn add_customer(&self, customer: &CustomerRef) -> Result<(), ControlError> {
        write(&self.sim.customers)
            .upsert(customer)
            .map(|_| ())
            .map_err(ControlError::Invalid)
    }

    /// Revokes a token: its calls fail with 190 from now on (as when a client removes the app).
    pub fn revoke_token(&self, token: &str) {
        write(&self.sim.tokens)
            .entry(token.to_owned())
            .or_default()
            .revoked = true;
    }

    /// Sets the rate limits and the window rule.
    pub fn set_limits(&self, limits: Limits) {
        self.sim
            .update_settings(|settings| settings.limits = limits);
    }

    /// The rate limits and window rule in force.
    pub fn limits(&self) -> Limits {
        self.sim.settings().limits.clone()
    }

    /// Sets how webhooks are timed and delivered (applies to updates queued from now on).
    pub fn set_webhook_behaviour(&self, behaviour: WebhookBehaviour) {
        self.sim
            .update_settings(|settings| settings.webhooks = behaviour);
        self.sim.webhooks.reconfigure();
    }

    /// The webhook behaviour in force.
    pub fn webhook_behaviour(&self) -> WebhookBehaviour {
        self.sim.settings().webhooks.clone()
    }

    /// Sets (or clears) the app's callback URL.
    pub fn set_callback_url(&self, url: Option<String>) {
        self.sim
            .update_settings(|settings| settings.callback_url = url);
    }

    /// Sets the faults in force (an outage's duration counts from now).
    pub fn set_faults(&self, faults: Faults) {
        self.sim.set_faults(faults);
    }

    /// Clears every fault.
    pub fn clear_faults(&self) {
        self.sim.set_faults(Faults::default());
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        read(&self.sim.faults).config.clone()
    }

    /// A customer sends something to a business number: a webhook is queued and, for a user
    /// message, the 24 h window opens.
    ///
    /// # Errors
    /// [`ControlError::UnknownNumber`] or [`ControlError::Invalid`] (bad customer or media).
    pub fn inject_inbound(&self, request: InboundRequest) -> Result<InboundResult, ControlError> {
        if self.sim.number(&request.phone_number_id).is_none() {
            return Err(ControlError::UnknownNumber(request.phone_number_id));
        }
        let (result, update) =
            crate::inbound::build(&self.sim, request).map_err(ControlError::Invalid)?;
        self.sim.webhooks.schedule(vec![(Duration::ZERO, update)]);
        Ok(result)
    }

    /// Opens a customer's window on a number without a webhook (scenario setup).
    ///
    /// # Errors
    /// [`ControlError::UnknownNumber`] or [`ControlError::Invalid`].
    pub fn open_window(
        &self,
        phone_number_id: &str,
        customer: &CustomerRef,
    ) -> Result<(), ControlError> {
        let number = self
            .sim
            .number(phone_number_id)
            .ok_or_else(|| ControlError::UnknownNumber(phone_number_id.to_owned()))?;
        let customer = write(&self.sim.customers)
            .upsert(customer)
            .map_err(ControlError::Invalid)?;
        number.open_window(&customer.user_id, self.sim.now_ns());
        Ok(())
    }

    /// Closes a customer's window on a number.
    ///
    /// # Errors
    /// [`ControlError::UnknownNumber`] or [`ControlError::Invalid`].
    pub fn close_window(
        &self,
        phone_number_id: &str,
        customer: &CustomerRef,
    ) -> Result<(), ControlError> {
        let number = self
            .sim
            .number(phone_number_id)
            .ok_or_else(|| ControlError::UnknownNumber(phone_number_id.to_owned()))?;
        let customer = write(&self.sim.customers)
            .upsert(customer)
            .map_err(ControlError::Invalid)?;
        number.close_window(&customer.user_id);
        Ok(())
    }

    /// Moves simulator time forward (windows close, rate limits refill, codes expire).
    pub fn advance_clock(&self, by: Duration) {
        self.sim.clock.advance(by);
    }

    /// Simulator time since the Unix epoch.
    pub fn now(&self) -> Duration {
        self.sim.now()
    }

    /// Simulates a client finishing Embedded Signup: creates an unregistered number on an
    /// unsubscribed WABA with a fresh business token, and returns the code that exchanges for
    /// that token.
    pub fn create_signup(&self, request: SignupRequest) -> SignupGrant {
        let waba_id = request.waba_id.unwrap_or_else(media_id);
        let phone_number_id = request.phone_number_id.unwrap_or_else(media_id);
        let display = request.display_phone_number.unwrap_or_else(|| {
            let tail = digits(&media_id());
            format!("+1 555-{}-{}", &tail[..3], &tail[3..7])
        });
        let token = crate::account::new_business_token();
        self.sim.add_number(NumberConfig {
            registered: false,
            subscribed: false,
            ..NumberConfig::new(&phone_number_id, &waba_id, &token, &display)
        });
        let code = opaque_token("AQD");
        let ttl = Duration::from_millis(request.code_ttl_ms.unwrap_or(10 * 60 * 1000));
        lock(&self.sim.signup_codes).insert(
            code.clone(),
            SignupCode {
                access_token: token,
                expires_ns: nanos(self.sim.now() + ttl),
            },
        );
        SignupGrant {
            code,
            waba_id,
            phone_number_id,
            display_phone_number: display,
            business_id: media_id(),
        }
    }

    /// Meta's verification handshake: `GET {url}?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`
    /// must answer 200 with the challenge as its body. `url` defaults to the callback URL.
    ///
    /// # Errors
    /// [`ControlError::Invalid`] without a URL, [`ControlError::Verification`] when the receiver
    /// cannot be reached, answers another status, or echoes something else.
    pub async fn verify_callback(
        &self,
        url: Option<&str>,
        verify_token: &str,
    ) -> Result<(), ControlError> {
        let url = match url {
            Some(url) => url.to_owned(),
            None => self
                .sim
                .settings()
                .callback_url
                .clone()
                .ok_or_else(|| ControlError::Invalid("no callback URL is configured".into()))?,
        };
        let challenge = format!("{}", crate::rng::thread_u64() % 1_000_000_000);
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ControlError::Verification(e.to_string()))?;
        let response = client
            .get(&url)
            .query(&[
                ("hub.mode", "subscribe"),
                ("hub.challenge", challenge.as_str()),
                ("hub.verify_token", verify_token),
            ])
            .send()
            .await
            .map_err(|e| ControlError::Verification(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| ControlError::Verification(e.without_url().to_string()))?;
        if status != reqwest::StatusCode::OK {
            return Err(ControlError::Verification(format!("answered {status}")));
        }
        if body.trim() != challenge {
            return Err(ControlError::Verification(
                "the body is not the challenge".into(),
            ));
        }
        Ok(())
    }

    /// The `appsecret_proof` a client must send with `token` (if an app secret is set).
    pub fn appsecret_proof(&self, token: &str) -> Option<String> {
        self.sim
            .settings()
            .app_secret
            .as_deref()
            .map(|secret| appsecret_proof(secret, token))
    }

    /// Graph requests received (oldest first, bounded).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.sim.records.requests.snapshot()
    }

    /// Messages accepted (oldest first, bounded).
    pub fn messages(&self) -> Vec<AcceptedMessage> {
        self.sim.records.messages.snapshot()
    }

    /// Mark-as-read calls (oldest first, bounded).
    pub fn reads(&self) -> Vec<ReadMark> {
        self.sim.records.reads.snapshot()
    }

    /// Webhook POSTs with their attempts (oldest first, bounded).
    pub fn webhooks(&self) -> Vec<WebhookDelivery> {
        self.sim.records.deliveries()
    }

    /// How many Graph requests and webhook POSTs there were since start.
    pub fn totals(&self) -> Totals {
        self.sim.records.totals()
    }

    /// Returns to the initial scenario, forgetting records, windows, media, faults and changes.
    ///
    /// # Errors
    /// [`ControlError::Invalid`] if the initial scenario itself is invalid (it was checked at
    /// start, so this does not happen in practice).
    pub fn reset(&self) -> Result<(), ControlError> {
        self.sim.webhooks.clear();
        self.sim.load_scenario().map_err(ControlError::Invalid)?;
        self.sim.webhooks.reconfigure();
        Ok(())
    }
}
