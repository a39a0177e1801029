//! Who is calling: the admin, or one tenant through one of its API keys.
//!
//! The admin token (`WA_ADMIN_TOKEN`) manages tenants. Each tenant gets API keys, shown once when
//! created and stored only as a SHA-256 hash, which reach that tenant's resources and nothing else.
//! Keys are 256 random bits, so a plain hash is enough (no password stretching needed) and the
//! lookup by hash reveals nothing about other keys. Comparisons are constant-time. A disabled
//! tenant's key is still accepted for reading, and refused (409 `tenant_disabled`) for anything
//! that would change something.

use axum::{
    extract::FromRequestParts,
    http::{header::AUTHORIZATION, request::Parts},
};
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use wa_domain::ids::TenantId;

use crate::{http::error::ApiError, state::AppState};

/// The prefix every API key starts with, so leaked keys are easy to recognise and scan for.
pub const API_KEY_PREFIX: &str = "wak_";

/// An authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// Holds the admin token.
    Admin,
    /// Holds an API key of this tenant.
    Tenant(TenantId),
}

impl Caller {
    /// Admin only.
    ///
    /// # Errors
    /// 403 for a tenant key.
    pub fn require_admin(self) -> Result<(), ApiError> {
        match self {
            Self::Admin => Ok(()),
            Self::Tenant(_) => Err(ApiError::forbidden()),
        }
    }

    /// The admin, or this tenant's own key.
    ///
    /// # Errors
    /// 403 for another tenant's key.
    pub fn require_tenant(self, tenant_id: TenantId) -> Result<(), ApiError> {
        match self {
            Self::Admin => Ok(()),
            Self::Tenant(own) if own == tenant_id => Ok(()),
            Self::Tenant(_) => Err(ApiError::forbidden()),
        }
    }
}

/// A new API key: the text shown once, and the hash that is stored.
pub struct NewApiKey {
    /// The key, for the caller; never stored or logged.
    pub key: SecretString,
    /// SHA-256 of the key.
    pub hash: [u8; 32],
    /// The first characters, to tell keys apart in listings.
    pub prefix: String,
}

/// Generates a key from the operating system's randomness.
pub fn generate_api_key() -> NewApiKey {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let key = format!(
        "{API_KEY_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash_key(&key);
    let prefix = key[..API_KEY_PREFIX.len() + 6].to_owned();
    NewApiKey {
        key: SecretString::from(key),
        hash,
        prefix,
    }
}

/// SHA-256 of a presented key or token.
pub fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Constant-time equality of a presented token and the configured one (compared as hashes, so
/// lengths leak nothing either).
pub fn token_matches(presented: &str, expected: &SecretString) -> bool {
    let presented = hash_key(presented);
    let expected = hash_key(expected.expose_secret());
    presented.ct_eq(&expected).into()
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        if let Some(admin) = &state.admin_token
            && token_matches(token, admin)
        {
            return Ok(Self::Admin);
        }
        if !token.starts_with(API_KEY_PREFIX) {
            return Err(ApiError::unauthorized());
        }
        let hash = hash_key(token);
        match state.api_keys.find_tenant(&hash).await? {
            Some(tenant_id) => {
                // A disabled tenant's key still reads, but changes nothing.
                if !parts.method.is_safe()
                    && let Some(tenant) = state.ports.tenants.get(tenant_id).await?
                    && !tenant.enabled
                {
                    return Err(ApiError::conflict(
                        "tenant_disabled",
                        "the tenant is disabled",
                    ));
                }
                Ok(Self::Tenant(tenant_id))
            }
            None => Err(ApiError::unauthorized()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_prefixed_and_hashed() {
        let a = generate_api_key();
        let b = generate_api_key();
        assert!(a.key.expose_secret().starts_with(API_KEY_PREFIX));
        assert_ne!(a.key.expose_secret(), b.key.expose_secret());
        assert_eq!(a.hash, hash_key(a.key.expose_secret()));
        assert!(a.key.expose_secret().starts_with(&a.prefix));
        assert_eq!(a.key.expose_secret().len(), API_KEY_PREFIX.len() + 43);
    }

    #[test]
    fn token_comparison() {
        let expected = SecretString::from("admin-token");
        assert!(token_matches("admin-token", &expected));
        assert!(!token_matches("admin-token2", &expected));
        assert!(!token_matches("", &expected));
    }

    #[test]
    fn callers_reach_only_their_tenant() {
        let mine = TenantId::generate();
        let other = TenantId::generate();
        assert!(Caller::Admin.require_tenant(other).is_ok());
        assert!(Caller::Tenant(mine).require_tenant(mine).is_ok());
        assert_eq!(
            Caller::Tenant(mine)
                .require_tenant(other)
                .unwrap_err()
                .code(),
            "forbidden"
        );
        assert_eq!(
            Caller::Tenant(mine).require_admin().unwrap_err().code(),
            "forbidden"
        );
    }
}
