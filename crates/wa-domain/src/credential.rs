//! Tenants' Meta credentials as the domain sees them: secrets that cannot leak by accident.
//!
//! Every secret is a [`secrecy::SecretString`]: its `Debug` is redacted and its memory is zeroed on
//! drop. Reading it takes an explicit `expose_secret()`, which only the Graph adapter does, at the
//! moment it writes the `Authorization` header.

use std::fmt;

pub use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

/// Which secret of a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CredentialKind {
    /// The business integration system user's access token: authorises every Graph call.
    AccessToken,
    /// The number's two-step verification PIN, set when registering it.
    RegistrationPin,
}

impl CredentialKind {
    /// Every kind.
    pub const ALL: [Self; 2] = [Self::AccessToken, Self::RegistrationPin];

    /// Stable name, as stored and bound into the ciphertext.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token",
            Self::RegistrationPin => "registration_pin",
        }
    }

    /// Reads a stored name back.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known about a stored credential, in clear: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialMetadata {
    /// Which secret.
    pub kind: CredentialKind,
    /// The vault key that sealed it.
    pub key_id: String,
    /// When it was stored.
    pub created_at: OffsetDateTime,
    /// When it was last re-sealed under a newer key.
    pub rotated_at: Option<OffsetDateTime>,
    /// When Meta said it expires (business tokens usually never do).
    pub expires_at: Option<OffsetDateTime>,
    /// When a Graph call last succeeded with it.
    pub last_verified_at: Option<OffsetDateTime>,
    /// Revoked credentials are kept for audit but never handed out.
    pub revoked: bool,
}
