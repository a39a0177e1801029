//! Who a customer is (by phone number, or by business-scoped user id only): shared by the
//! scenario, the state and customer events, so it sits below them all.

use serde::{Deserialize, Serialize};

/// Who a customer is. At least one of `wa_id` (phone digits) and `user_id` (BSUID) is needed; a
/// username-only user has a `user_id` and a `username` and no `wa_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomerRef {
    /// The user's phone number (digits; `+` and separators are ignored).
    pub wa_id: Option<String>,
    /// The business-scoped user id (`CC.…`); derived from the phone when absent.
    pub user_id: Option<String>,
    /// The parent BSUID (`CC.ENT.…`), for linked portfolios.
    pub parent_user_id: Option<String>,
    /// Profile name.
    pub name: Option<String>,
    /// WhatsApp username (`@…`).
    pub username: Option<String>,
}

impl CustomerRef {
    /// A user known by phone number.
    pub fn phone(wa_id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            wa_id: Some(wa_id.into()),
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// A username-only user: a BSUID, no phone number.
    pub fn username_only(user_id: impl Into<String>, username: impl Into<String>) -> Self {
        Self {
            user_id: Some(user_id.into()),
            username: Some(username.into()),
            ..Self::default()
        }
    }
}
