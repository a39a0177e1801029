//! Meta's error codes sorted into classes a sender can act on.
//!
//! Meta asks integrators to decide on the numeric `code`, never on the HTTP status, the deprecated
//! subcode or the title in `message` (cloud-api.md §2). The table below follows §2.2; a code we
//! do not know is `Permanent` unless Meta flagged it `is_transient`, because retrying an error we
//! do not understand risks a loop that hurts the number's quality rating.

use std::fmt;

/// What a caller should do about a failed Graph call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Try again later with backoff: Meta had a temporary problem, or the call timed out.
    Retryable,
    /// Slow down and try again later; the scope says what is being throttled.
    RateLimited {
        /// Which limit was hit.
        scope: RateLimitScope,
    },
    /// The credentials are expired, revoked or lack permission: stop this tenant until they change.
    AuthInvalid,
    /// More than 24 hours since the customer wrote: only a template may be sent.
    WindowClosed,
    /// Retrying cannot help: bad input, policy, recipient unreachable, configuration.
    Permanent,
}

impl ErrorClass {
    /// Stable lower-case name for logs, metrics and API responses.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Retryable => "retryable",
            Self::RateLimited { .. } => "rate_limited",
            Self::AuthInvalid => "auth_invalid",
            Self::WindowClosed => "window_closed",
            Self::Permanent => "permanent",
        }
    }

    /// Whether sending the same message again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable | Self::RateLimited { .. })
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RateLimited { scope } => write!(f, "rate_limited ({})", scope.as_str()),
            other => f.write_str(other.as_str()),
        }
    }
}

/// Which of Meta's limits a rate-limit error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateLimitScope {
    /// The business number's throughput (80 or 1,000 messages per second), or its spam limit.
    PhoneNumber,
    /// Too many messages to one user from one number (Meta: retry after 4^X seconds).
    RecipientPair,
    /// A WhatsApp Business Account limit (management calls, messaging limit).
    Waba,
    /// The Meta app's Graph call rate.
    App,
}

impl RateLimitScope {
    /// Stable lower-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::PhoneNumber => "phone_number",
            Self::RecipientPair => "recipient_pair",
            Self::Waba => "waba",
            Self::App => "app",
        }
    }
}

/// Classifies a Meta error code; `is_transient` (from Meta's envelope) only decides unknown codes.
pub fn classify_meta_code(code: i64, is_transient: bool) -> ErrorClass {
    use ErrorClass::{AuthInvalid, Permanent, RateLimited, Retryable, WindowClosed};
    match code {
        // Generic Graph codes.
        1 | 2 => Retryable,
        0 | 10 | 190 | 200..=299 => AuthInvalid,
        4 | 17 | 341 | 613 => RateLimited {
            scope: RateLimitScope::App,
        },
        3 | 100 | 368 => Permanent,
        80007 => RateLimited {
            scope: RateLimitScope::Waba,
        },
        // WhatsApp codes.
        130429 | 131048 => RateLimited {
            scope: RateLimitScope::PhoneNumber,
        },
        131056 => RateLimited {
            scope: RateLimitScope::RecipientPair,
        },
        131064 => RateLimited {
            scope: RateLimitScope::Waba,
        },
        133016 => RateLimited {
            scope: RateLimitScope::PhoneNumber,
        },
        131000 | 131016 | 131057 => Retryable,
        131005 => AuthInvalid,
        131047 => WindowClosed,
        130472
        | 130497
        | 131008
        | 131009
        | 131021
        | 131026
        | 131031
        | 131042
        | 131045
        | 131049
        | 131050
        | 131051
        | 131052
        | 131053
        | 131062
        | 132000..=132999
        | 133010
        | 135000 => Permanent,
        _ if is_transient => Retryable,
        _ => Permanent,
    }
}

#[cfg(test)]
mod tests;
