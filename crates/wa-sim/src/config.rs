//! Scenario types: the numbers, templates and customers a simulation starts with, its limits,
//! how it sends webhooks, and which faults it injects. All are plain serde types, so the same
//! shapes serve the library API, the control API and a scenario file for `wa-sim serve`.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::customer::CustomerRef;

/// Everything a simulation starts with; `reset` returns to it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// The Meta app id (used by the OAuth code exchange and `debug_token`).
    pub app_id: String,
    /// The app secret: signs webhooks and checks `appsecret_proof`. `None`: webhooks are unsigned
    /// and no proof is required.
    pub app_secret: Option<String>,
    /// Whether Graph calls must carry `appsecret_proof` (only meaningful with an app secret).
    pub require_appsecret_proof: bool,
    /// Where webhooks go (the app's callback URL); a WABA can override it through
    /// `subscribed_apps`.
    pub callback_url: Option<String>,
    /// Business phone numbers.
    pub numbers: Vec<NumberConfig>,
    /// Message templates (Meta's management shape).
    pub templates: Vec<TemplateConfig>,
    /// Customers known up front (others are derived from the phone numbers messages go to).
    pub customers: Vec<CustomerRef>,
    /// Rate limits and the window rule.
    pub limits: Limits,
    /// How webhooks are timed and delivered.
    pub webhooks: WebhookBehaviour,
    /// Faults active from the start.
    pub faults: Faults,
    /// How many received requests, accepted messages and webhook deliveries are kept.
    pub record_capacity: usize,
    /// The Graph version the app's webhooks are pinned to (`v25.0`): webhook shapes follow it
    /// (before `v24.0`, statuses carry `conversation`).
    pub webhook_version: String,
    /// How templates created or edited through the management API are reviewed.
    pub template_review: TemplateReview,
}

impl SimConfig {
    /// A ready scenario for demos: app secret `demo-app-secret`, one number
    /// `100000000000001` (WABA `200000000000001`, token `demo-token`, +1 555-010-0001) and the
    /// templates `hello_world` (no parameters) and `order_update` (body `{{1}}`, `{{2}}`, a URL
    /// button with one parameter).
    pub fn demo() -> Self {
        Self {
            app_id: "900000000000001".into(),
            app_secret: Some("demo-app-secret".into()),
            require_appsecret_proof: false,
            numbers: vec![NumberConfig::new(
                "100000000000001",
                "200000000000001",
                "demo-token",
                "+1 555-010-0001",
            )],
            templates: vec![
                TemplateConfig::new("hello_world", "en_US", "UTILITY", "Hello from wa!"),
                TemplateConfig {
                    components: vec![
                        json!({"type": "BODY", "text": "Hi {{1}}, your order {{2}} has shipped."}),
                        json!({"type": "BUTTONS", "buttons": [
                            {"type": "URL", "text": "Track", "url": "https://example.com/track/{{1}}"},
                            {"type": "QUICK_REPLY", "text": "Stop"}
                        ]}),
                    ],
                    ..TemplateConfig::new("order_update", "en_US", "UTILITY", "")
                },
            ],
            ..Self::base()
        }
    }

    /// No numbers, no templates, Meta's default limits.
    pub fn base() -> Self {
        Self {
            app_id: "900000000000001".into(),
            app_secret: None,
            require_appsecret_proof: false,
            callback_url: None,
            numbers: Vec::new(),
            templates: Vec::new(),
            customers: Vec::new(),
            limits: Limits::default(),
            webhooks: WebhookBehaviour::default(),
            faults: Faults::default(),
            record_capacity: 10_000,
            webhook_version: DEFAULT_WEBHOOK_VERSION.into(),
            template_review: TemplateReview::default(),
        }
    }
}

/// The webhook version of an app that pins none (the newest wa supports).
pub const DEFAULT_WEBHOOK_VERSION: &str = "v25.0";

/// How Meta's review of a created or edited template goes: after `delay_ms` the template is
/// `APPROVED`, or `REJECTED` with `reject_reason` with probability `reject_rate` (fault
/// injection); either way a `message_template_status_update` webhook follows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateReview {
    /// How long a template stays `PENDING`.
    pub delay_ms: u64,
    /// Probability in `[0, 1]` that a review rejects the template.
    pub reject_rate: f64,
    /// The reason a rejection gives (`INVALID_FORMAT`, `PROMOTIONAL`, `ABUSIVE_CONTENT`,
    /// `INCORRECT_CATEGORY`, `TAG_CONTENT_MISMATCH`, `SCAM`).
    pub reject_reason: String,
}

impl Default for TemplateReview {
    fn default() -> Self {
        Self {
            delay_ms: 200,
            reject_rate: 0.0,
            reject_reason: "INVALID_FORMAT".into(),
        }
    }
}

/// A business phone number and the token that may use it.
#[derive(Clone, Serialize, Deserialize)]
pub struct NumberConfig {
    /// Graph id of the number (the `{phone_number_id}` path segment).
    pub phone_number_id: String,
    /// The WhatsApp Business Account that owns it (webhook `entry[].id`).
    pub waba_id: String,
    /// The bearer token allowed to use this number (and its WABA).
    pub access_token: String,
    /// The number as shown, e.g. `+1 555-010-0001` (webhook metadata carries its digits).
    pub display_phone_number: String,
    /// Verified business name.
    #[serde(default = "default_verified_name")]
    pub verified_name: String,
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`.
    #[serde(default = "default_quality")]
    pub quality_rating: String,
    /// Messages per second for this number (default: the simulation's `throughput_per_number`).
    #[serde(default)]
    pub throughput_mps: Option<u32>,
    /// `TIER_250`, `TIER_2K`, `TIER_10K`, `TIER_100K` or `TIER_UNLIMITED`.
    #[serde(default = "default_tier")]
    pub messaging_limit_tier: String,
    /// Whether the number is registered for Cloud API (sends fail with 133010 until it is).
    #[serde(default = "yes")]
    pub registered: bool,
    /// Whether the WABA's webhooks are subscribed (`subscribed_apps`); no webhooks until then.
    #[serde(default = "yes")]
    pub subscribed: bool,
}

impl NumberConfig {
    /// A registered, subscribed number with GREEN quality.
    pub fn new(
        phone_number_id: impl Into<String>,
        waba_id: impl Into<String>,
        access_token: impl Into<String>,
        display_phone_number: impl Into<String>,
    ) -> Self {
        Self {
            phone_number_id: phone_number_id.into(),
            waba_id: waba_id.into(),
            access_token: access_token.into(),
            display_phone_number: display_phone_number.into(),
            verified_name: default_verified_name(),
            quality_rating: default_quality(),
            throughput_mps: None,
            messaging_limit_tier: default_tier(),
            registered: true,
            subscribed: true,
        }
    }
}

impl fmt::Debug for NumberConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a secret even in a simulator: keep it out of logs and panics.
        f.debug_struct("NumberConfig")
            .field("phone_number_id", &self.phone_number_id)
            .field("waba_id", &self.waba_id)
            .field("access_token", &"<redacted>")
            .field("display_phone_number", &self.display_phone_number)
            .field("registered", &self.registered)
            .field("subscribed", &self.subscribed)
            .finish_non_exhaustive()
    }
}

fn default_verified_name() -> String {
    "wa Simulated Business".into()
}
fn default_quality() -> String {
    "GREEN".into()
}
fn default_tier() -> String {
    "TIER_2K".into()
}
fn yes() -> bool {
    true
}

/// A message template as Meta's management API describes it.
///
/// Parameter counts come from the components, like Meta: `{{1}}`/`{{name}}` placeholders in the
/// HEADER (format TEXT) and BODY texts, one parameter for a media HEADER, one for a URL button
/// whose URL has a placeholder and for a COPY_CODE button.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateConfig {
    /// Template name.
    pub name: String,
    /// Language code, e.g. `en_US`.
    pub language: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED` or `DISABLED`.
    #[serde(default = "default_status")]
    pub status: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    #[serde(default = "default_category")]
    pub category: String,
    /// Graph id (generated when absent).
    #[serde(default)]
    pub id: Option<String>,
    /// Meta's component objects (`{"type":"BODY","text":"Hi {{1}}"}`, ...).
    #[serde(default)]
    pub components: Vec<Value>,
    /// The WABA that owns it; `None`: every WABA of the simulation.
    #[serde(default)]
    pub waba_id: Option<String>,
    /// `POSITIONAL` (`{{1}}`) or `NAMED` (`{{first_name}}`); `None`: read from the texts.
    #[serde(default)]
    pub parameter_format: Option<String>,
    /// Why review rejected it (`INVALID_FORMAT`, ...); `None` reads as `NONE`.
    #[serde(default)]
    pub rejected_reason: Option<String>,
    /// The quality score (`GREEN`, `YELLOW`, `RED`, `UNKNOWN`); `None` reads as `UNKNOWN`.
    #[serde(default)]
    pub quality_score: Option<String>,
    /// The category before Meta changed it, if it did.
    #[serde(default)]
    pub previous_category: Option<String>,
}

impl TemplateConfig {
    /// An approved template whose body is `body` (no component when `body` is empty).
    pub fn new(name: &str, language: &str, category: &str, body: &str) -> Self {
        let components = if body.is_empty() {
            Vec::new()
        } else {
            vec![json!({"type": "BODY", "text": body})]
        };
        Self {
            name: name.into(),
            language: language.into(),
            status: default_status(),
            category: category.into(),
            id: None,
            components,
            waba_id: None,
            parameter_format: None,
            rejected_reason: None,
            quality_score: None,
            previous_category: None,
        }
    }
}

fn default_status() -> String {
    "APPROVED".into()
}
fn default_category() -> String {
    "UTILITY".into()
}

/// Rate limits and the customer service window.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Messages per second per business number (Meta: 80 by default); above it → 130429.
    pub throughput_per_number: u32,
    /// Pair rate to one user: one message per this many milliseconds (Meta: ~6000).
    pub pair_interval_ms: u64,
    /// Pair rate burst allowance (Meta: 45); above it → 131056.
    pub pair_burst: u32,
    /// How long an inbound message keeps the customer service window open (Meta: 24 h).
    pub window_ms: u64,
    /// How a free-form message outside the window fails.
    pub window_error: WindowErrorMode,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            throughput_per_number: 80,
            pair_interval_ms: 6_000,
            pair_burst: 45,
            window_ms: 24 * 60 * 60 * 1000,
            window_error: WindowErrorMode::Sync,
        }
    }
}

/// How a free-form message to a user whose window is closed fails (131047).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowErrorMode {
    /// The send answers HTTP 400 with error 131047.
    #[default]
    Sync,
    /// The send is accepted (200 and a wamid), then a `failed` status webhook carries 131047,
    /// as Meta often does in practice.
    Webhook,
}

/// How webhooks are timed and delivered. Delays count from the moment a message is accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookBehaviour {
    /// Delay of the `sent` status.
    pub sent_delay_ms: u64,
    /// Delay of the `delivered` status.
    pub delivered_delay_ms: u64,
    /// Delay of the `read` status; `None`: the user never reads.
    pub read_delay_ms: Option<u64>,
    /// A random extra delay in `0..=jitter_ms` per update (reorders across POSTs).
    pub jitter_ms: u64,
    /// Most updates in one POST (Meta: up to 1000; usually 1).
    pub batch_max: usize,
    /// How long the first due update waits for others to share its POST.
    pub batch_window_ms: u64,
    /// Probability that an update is delivered a second time, in a later POST.
    pub duplicate_rate: f64,
    /// Probability that a POST's updates are permuted (never left in order).
    pub reorder_rate: f64,
    /// Probability that an update is never sent.
    pub drop_rate: f64,
    /// Probability that an accepted message fails after all: its only status is `failed`
    /// with `fail_code` (e.g. 131026, undeliverable).
    pub fail_rate: f64,
    /// The error code of those failures.
    pub fail_code: u32,
    /// First retry delay after an answer other than 200 (doubles each attempt).
    pub retry_initial_ms: u64,
    /// Cap on the retry delay.
    pub retry_max_ms: u64,
    /// Attempts per POST before giving up (Meta keeps trying for 7 days).
    pub max_attempts: u32,
    /// Per-attempt timeout.
    pub timeout_ms: u64,
    /// POSTs in flight at once.
    pub concurrency: usize,
    /// Seed for drops, duplicates, reordering and jitter; `None`: from entropy.
    pub seed: Option<u64>,
}

impl Default for WebhookBehaviour {
    fn default() -> Self {
        Self {
            sent_delay_ms: 20,
            delivered_delay_ms: 100,
            read_delay_ms: Some(800),
            jitter_ms: 0,
            batch_max: 1,
            batch_window_ms: 0,
            duplicate_rate: 0.0,
            reorder_rate: 0.0,
            drop_rate: 0.0,
            fail_rate: 0.0,
            fail_code: 131026,
            retry_initial_ms: 500,
            retry_max_ms: 60_000,
            max_attempts: 10,
            timeout_ms: 10_000,
            concurrency: 32,
            seed: None,
        }
    }
}

/// Faults injected into Graph calls.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Errors answered instead of accepting a message (`POST …/messages` only), each with its
    /// probability; checked in order after auth.
    pub error_rates: Vec<ErrorRate>,
    /// Added latency on every Graph call.
    pub latency_ms: u64,
    /// A random extra latency in `0..=latency_jitter_ms`.
    pub latency_jitter_ms: u64,
    /// An outage of every Graph call.
    pub outage: Option<Outage>,
    /// Onboarding calls that fail with a Meta error until cleared (Embedded Signup's steps).
    pub step_errors: Vec<StepError>,
    /// Probability in `[0, 1]` that an accepted message's answer is lost: the message is sent
    /// (its webhooks follow) but the connection closes before the answer, as when a timeout or
    /// a network cut hits after Meta took the request. The caller cannot know it was sent.
    pub lost_answer_rate: f64,
}

/// An onboarding call answered with a Meta error.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepError {
    /// Which call: `exchange_code` (`GET /oauth/access_token`), `debug_token`,
    /// `phone_numbers` (`GET /{waba}/phone_numbers`), `subscribe` (`POST /{waba}/subscribed_apps`),
    /// `register` (`POST /{number}/register`), `number` (`GET /{number}`) or `templates`
    /// (`GET /{waba}/message_templates`).
    pub step: String,
    /// The Graph error code answered (190 answers as an invalid token).
    pub code: u32,
}

/// One Graph error code answered with some probability.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorRate {
    /// The Graph error code, e.g. 131000, 131016, 130429, 2.
    pub code: u32,
    /// Probability in `[0, 1]`.
    pub rate: f64,
}

/// An outage: how calls fail, and for how long.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outage {
    /// What the caller sees.
    #[serde(flatten)]
    pub mode: OutageMode,
    /// How long from when it is set; `None`: until cleared.
    #[serde(default)]
    pub duration_ms: Option<u64>,
}

/// What a caller sees during an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum OutageMode {
    /// An HTTP error with an HTML body (not JSON), like a failing front end.
    Http {
        /// The status, e.g. 502 or 503.
        status: u16,
    },
    /// The connection is closed without an answer.
    Reset,
    /// No answer until the outage ends (the caller's timeout decides).
    Hang,
}
