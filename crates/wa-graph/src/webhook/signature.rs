//! `X-Hub-Signature-256`: Meta's HMAC-SHA256 of the raw body under the app secret.
//!
//! The check runs over the exact bytes received, never over re-serialised JSON: Meta signs its
//! own serialisation, which escapes non-ASCII as `\uXXXX`, and any re-encoding changes the bytes.
//! Several secrets may be configured at once so an app secret can be rotated without dropping
//! deliveries: the body is accepted when any of them matches.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

type HmacSha256 = Hmac<Sha256>;

/// The name of the header Meta signs webhooks with.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// Why a signature was refused. Says nothing about the secrets or the expected value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Hub-Signature-256` header.
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits.
    #[error("the X-Hub-Signature-256 header is not `sha256=<64 hex digits>`")]
    Malformed,
    /// No configured app secret produces this signature for this body.
    #[error("the X-Hub-Signature-256 signature does not match the body")]
    Mismatch,
}

/// Checks webhook signatures against one or more app secrets.
///
/// Each secret is turned into its keyed HMAC state once, here; a check clones that state, which
/// saves hashing the key's two padding blocks on every delivery.
#[derive(Clone)]
pub struct SignatureVerifier {
    keyed: Vec<HmacSha256>,
}

impl fmt::Debug for SignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureVerifier")
            .field("secrets", &self.keyed.len())
            .finish()
    }
}

/// A verifier needs at least one non-empty app secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a webhook signature verifier needs at least one non-empty app secret")]
pub struct NoSecrets;

impl SignatureVerifier {
    /// A verifier accepting signatures made with any of `secrets` (current first, then the ones
    /// being rotated out).
    ///
    /// # Errors
    /// [`NoSecrets`] when no secret is given or one is empty.
    pub fn new<I, S>(secrets: I) -> Result<Self, NoSecrets>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut keyed = Vec::new();
        for secret in secrets {
            let secret = secret.as_ref();
            if secret.is_empty() {
                return Err(NoSecrets);
            }
            // HMAC takes keys of any length, so this cannot fail.
            keyed.push(HmacSha256::new_from_slice(secret).map_err(|_| NoSecrets)?);
        }
        if keyed.is_empty() {
            return Err(NoSecrets);
        }
        Ok(Self { keyed })
    }

    /// Checks the `X-Hub-Signature-256` header value against the raw body.
    ///
    /// Every configured secret is tried and the results combined without branching on them, so
    /// the time taken does not say which secret matched or how much of a guess was right.
    ///
    /// # Errors
    /// [`SignatureError`] when the header is missing, malformed or does not match.
    pub fn verify(&self, body: &[u8], header: Option<&str>) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let expected = parse_header(header)?;
        let mut matched = Choice::from(0);
        for keyed in &self.keyed {
            let mut mac = keyed.clone();
            mac.update(body);
            let computed = mac.finalize().into_bytes();
            matched |= computed.as_slice().ct_eq(&expected);
        }
        if bool::from(matched) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// The header value Meta would send for `body` under the first secret; for tests and tools.
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = self.keyed[0].clone();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }
}

/// Reads `sha256=<hex>` (hex digits in either case, surrounding spaces ignored).
fn parse_header(header: &str) -> Result<[u8; 32], SignatureError> {
    let hex_digits = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    let mut expected = [0u8; 32];
    hex::decode_to_slice(hex_digits, &mut expected).map_err(|_| SignatureError::Malformed)?;
    Ok(expected)
}
