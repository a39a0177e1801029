//! `appsecret_proof`: lowercase hex HMAC-SHA256 of the access token under the app secret
//! (cloud-api.md §4), sent with every call when the app secret is configured.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The app secret, already turned into a keyed HMAC state; each proof clones it.
#[derive(Clone)]
pub(crate) struct ProofKey {
    keyed: Hmac<Sha256>,
}

impl ProofKey {
    pub(crate) fn new(app_secret: &SecretString) -> Self {
        // HMAC accepts keys of any length, including an empty one.
        let keyed = Hmac::<Sha256>::new_from_slice(app_secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC-SHA256 takes keys of any length"));
        Self { keyed }
    }

    /// Appends the proof for `token` to `out` as 64 lowercase hex digits.
    pub(crate) fn write_hex(&self, token: &SecretString, out: &mut String) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut mac = self.keyed.clone();
        mac.update(token.expose_secret().as_bytes());
        for byte in mac.finalize().into_bytes() {
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
}
