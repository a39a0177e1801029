//! Signing outbound events: `X-Wa-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`.
//!
//! Each `v1` is `hex(HMAC-SHA256(secret, "<t>.<raw body>"))`, one per valid secret (two during
//! a rotation's grace period), so a receiver that knows either secret can verify. The
//! timestamp is inside the signed text: a receiver that rejects timestamps older than its
//! tolerance (five minutes in the guide) rejects a captured request replayed later, and a
//! changed timestamp breaks the signature. The secret's text (`whsec_…`) is the HMAC key as is.

use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The prefix of every signing secret, so a leaked one is easy to recognise.
pub const SECRET_PREFIX: &str = "whsec_";

/// A fresh signing secret: the prefix and 32 random bytes in hex.
pub fn generate_secret() -> SecretString {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    SecretString::from(format!("{SECRET_PREFIX}{}", hex::encode(bytes)))
}

/// `hex(HMAC-SHA256(secret, "<timestamp>.<body>"))`.
pub fn sign(secret: &SecretString, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The `X-Wa-Signature` value: the timestamp and one `v1` per secret, newest first.
pub fn header(secrets: &[SecretString], timestamp: i64, body: &[u8]) -> String {
    let mut value = format!("t={timestamp}");
    for secret in secrets {
        value.push_str(",v1=");
        value.push_str(&sign(secret, timestamp, body));
    }
    value
}

#[cfg(test)]
mod tests;
