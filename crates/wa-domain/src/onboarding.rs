//! Embedded Signup as the domain sees it: the steps, the progress kept per tenant so a retry
//! resumes, and what went wrong at which step (cloud-api.md §6).
//!
//! The steps run in order; each one's result is persisted before the next starts, so a retry
//! after a failure at step 4 starts at step 4 with the token stored at step 2 (the code of step
//! 1 is single-use and lives for seconds: it can never be exchanged twice).

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{
    connection::PhoneNumberInfo,
    credential::SecretString,
    error_class::ErrorClass,
    ids::{PhoneNumberId, TenantId, WabaId},
};

/// The steps of a signup, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignupStep {
    /// 1: exchange the code for the business token.
    ExchangeCode,
    /// 2: keep the token in the vault.
    StoreToken,
    /// 3: find the WABA and number when the session info was lost.
    Discover,
    /// 4: subscribe the app to the WABA's webhooks.
    Subscribe,
    /// 5: register the number on the Cloud API with its PIN.
    Register,
    /// 6: read the number's details and store the connection.
    Activate,
}

impl SignupStep {
    /// Every step, in order.
    pub const ALL: [Self; 6] = [
        Self::ExchangeCode,
        Self::StoreToken,
        Self::Discover,
        Self::Subscribe,
        Self::Register,
        Self::Activate,
    ];

    /// 1 to 6.
    pub fn number(self) -> u8 {
        match self {
            Self::ExchangeCode => 1,
            Self::StoreToken => 2,
            Self::Discover => 3,
            Self::Subscribe => 4,
            Self::Register => 5,
            Self::Activate => 6,
        }
    }

    /// Stable lower-case name, as stored and answered.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExchangeCode => "exchange_code",
            Self::StoreToken => "store_token",
            Self::Discover => "discover",
            Self::Subscribe => "subscribe",
            Self::Register => "register",
            Self::Activate => "activate",
        }
    }

    /// Reads a stored name back.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|step| step.as_str() == name)
    }
}

impl fmt::Display for SignupStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a signup stopped: the step, Meta's code and what the user should do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupFailure {
    /// The step that failed.
    pub step: SignupStep,
    /// Meta's error code, when Meta answered with one.
    pub meta_code: Option<i64>,
    /// What happened, for people (never a secret).
    pub message: String,
    /// What the user should do next.
    pub action: String,
    /// Whether trying again later may succeed without the user doing anything else.
    pub retryable: bool,
}

/// A tenant's signup progress (one row per tenant; a new signup replaces it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupState {
    /// The tenant.
    pub tenant_id: TenantId,
    /// A fingerprint of the code this attempt started with (never the code itself): a request
    /// with the same code resumes, another code starts over.
    pub code_fingerprint: Option<String>,
    /// The last step completed; `None` before the code was exchanged.
    pub reached: Option<SignupStep>,
    /// The WABA, once known.
    pub waba_id: Option<WabaId>,
    /// The number, once known.
    pub phone_number_id: Option<PhoneNumberId>,
    /// Meta's business portfolio id from the session info.
    pub business_id: Option<String>,
    /// The last failure, cleared when a step succeeds after it.
    pub failure: Option<SignupFailure>,
    /// When the attempt started.
    pub started_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

impl SignupState {
    /// A new attempt, nothing done yet.
    pub fn start(
        tenant_id: TenantId,
        code_fingerprint: Option<String>,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            tenant_id,
            code_fingerprint,
            reached: None,
            waba_id: None,
            phone_number_id: None,
            business_id: None,
            failure: None,
            started_at: now,
            updated_at: now,
        }
    }

    /// Whether `step` was completed.
    pub fn has_done(&self, step: SignupStep) -> bool {
        self.reached.is_some_and(|reached| reached >= step)
    }

    /// Whether every step was completed.
    pub fn is_complete(&self) -> bool {
        self.has_done(SignupStep::Activate)
    }
}

/// The code the front end received, and its fingerprint (computed by the caller, e.g. a hash).
pub struct SignupCode {
    /// The code: single-use, valid for seconds.
    pub code: SecretString,
    /// A one-way fingerprint of it, to recognise a retry with the same code.
    pub fingerprint: String,
}

impl fmt::Debug for SignupCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupCode")
            .field("code", &"[REDACTED]")
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

/// A business token from the code exchange.
pub struct ExchangedToken {
    /// The token.
    pub token: SecretString,
    /// When it expires, if it does (business tokens usually never do).
    pub expires_at: Option<OffsetDateTime>,
}

impl fmt::Debug for ExchangedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangedToken")
            .field("token", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What `debug_token` says about a business token.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenGrant {
    /// Whether it works.
    pub is_valid: bool,
    /// When it expires; `None` for tokens that never do.
    pub expires_at: Option<OffsetDateTime>,
    /// The WABAs the business shared with the app.
    pub waba_ids: Vec<WabaId>,
}

/// A business number of a WABA, with what Meta says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessNumber {
    /// Its id.
    pub id: PhoneNumberId,
    /// Its details.
    pub info: PhoneNumberInfo,
}

/// What the user should do after a failure at `step` with this class and Meta code.
pub fn advice(step: SignupStep, class: ErrorClass, meta_code: Option<i64>) -> String {
    let transient = matches!(
        class,
        ErrorClass::Retryable | ErrorClass::RateLimited { .. }
    );
    match (step, meta_code) {
        (SignupStep::ExchangeCode, _) if !transient => {
            "The signup code was refused (codes are single-use and expire within seconds): run \
             Embedded Signup again to get a new code."
                .to_owned()
        }
        (SignupStep::Register, Some(133_005)) => {
            "The number has two-step verification with another PIN: retry with that PIN in `pin`, \
             or reset it in WhatsApp Manager."
                .to_owned()
        }
        (SignupStep::Register, Some(133_016)) => {
            "Too many registration attempts for this number: wait (up to 72 hours) and retry."
                .to_owned()
        }
        (SignupStep::Discover, _) if !transient => {
            "Share a WhatsApp Business Account with a phone number with the app during signup, \
             or send waba_id and phone_number_id from the session info."
                .to_owned()
        }
        _ if class == ErrorClass::AuthInvalid => {
            "The business token lacks permission or was revoked: run Embedded Signup again and \
             grant whatsapp_business_management and whatsapp_business_messaging."
                .to_owned()
        }
        _ if transient => {
            "Meta is unavailable or limiting calls: retry the signup (POST again; the steps already \
             done are not repeated)."
                .to_owned()
        }
        _ => "Meta refused this step: check the account in WhatsApp Manager, then retry the signup."
            .to_owned(),
    }
}
