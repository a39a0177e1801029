//! The sealed record: the bytes stored in the `ciphertext` column.
//!
//! # Layout (version 1)
//! ```text
//! version (1 byte = 1) ‖ key id length (1 byte, 1..=64) ‖ key id (ASCII)
//!   ‖ nonce (12 bytes) ‖ AES-256-GCM ciphertext ‖ tag (16 bytes)
//! ```
//! The key id is length-prefixed because ids vary in length. The nonce is fresh from the
//! operating system's generator for every seal: with random 96-bit nonces one key may seal
//! about 2^32 records before the collision risk matters, far beyond what rotation leaves it.
//!
//! # Associated data
//! `"wa/credential/v1" ‖ tenant id (16 bytes) ‖ kind name` is authenticated with every record
//! but not stored in it: a record copied onto another tenant's row, or under another kind,
//! fails to open. The label carries the format version, so a record whose version byte is
//! changed cannot open under a later format either. The key id needs no binding: a record
//! relabelled with another key's id is opened with that key and fails authentication.
//!
//! The app's own secrets (event endpoints' signing secrets) use the same layout with
//! `"wa/sealed/v1" ‖ tenant id ‖ purpose` as associated data ([`Keyring::seal_for`]).

use std::fmt;

use aes_gcm::{
    Aes256Gcm,
    aead::{AeadInOut, Generate, Nonce, Tag},
};
use secrecy::{ExposeSecret, SecretString};
use wa_domain::{credential::CredentialKind, ids::TenantId};
use zeroize::Zeroizing;

use crate::keyring::{KeyId, Keyring, MAX_KEY_ID_LEN};

/// The format written today.
pub const RECORD_VERSION: u8 = 1;
/// The label at the front of the associated data; its `v1` matches [`RECORD_VERSION`].
const AAD_LABEL: &[u8] = b"wa/credential/v1";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why a secret could not be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The system random number generator failed to give a nonce.
    #[error("the system random number generator failed")]
    Random,
    /// The cipher refused the input (longer than AES-GCM allows).
    #[error("the secret is too long to encrypt")]
    TooLong,
}

/// Why a record did not open. Says nothing about the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Too short, or its lengths do not add up.
    #[error("the sealed record is malformed")]
    Malformed,
    /// A version byte this build does not know.
    #[error("the sealed record has unknown format version {0}")]
    UnsupportedVersion(u8),
    /// Sealed by a key that is not in the keyring (removed too early, or the id was altered).
    #[error("the sealed record names vault key {0}, which is not configured")]
    UnknownKey(KeyId),
    /// Authentication failed: tampered, moved to another tenant or kind, or wrong key material.
    #[error("the sealed record failed authentication")]
    Rejected,
}

/// The parts of a record, borrowed from its bytes.
struct Parts<'a> {
    key_id: &'a str,
    nonce: &'a [u8],
    ciphertext: &'a [u8],
    tag: &'a [u8],
}

/// The key id written in a record, read without decrypting.
///
/// # Errors
/// [`OpenError::Malformed`] or [`OpenError::UnsupportedVersion`].
pub fn record_key_id(record: &[u8]) -> Result<&str, OpenError> {
    split(record).map(|parts| parts.key_id)
}

fn split(record: &[u8]) -> Result<Parts<'_>, OpenError> {
    let (&version, rest) = record.split_first().ok_or(OpenError::Malformed)?;
    if version != RECORD_VERSION {
        return Err(OpenError::UnsupportedVersion(version));
    }
    let (&id_len, rest) = rest.split_first().ok_or(OpenError::Malformed)?;
    let id_len = usize::from(id_len);
    if id_len == 0 || id_len > MAX_KEY_ID_LEN || rest.len() < id_len + NONCE_LEN + TAG_LEN {
        return Err(OpenError::Malformed);
    }
    let (key_id, rest) = rest.split_at(id_len);
    let key_id = std::str::from_utf8(key_id).map_err(|_| OpenError::Malformed)?;
    let (nonce, rest) = rest.split_at(NONCE_LEN);
    let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
    Ok(Parts {
        key_id,
        nonce,
        ciphertext,
        tag,
    })
}

fn associated_data(tenant: TenantId, kind: CredentialKind) -> Vec<u8> {
    let kind = kind.as_str().as_bytes();
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + 16 + kind.len());
    aad.extend_from_slice(AAD_LABEL);
    aad.extend_from_slice(tenant.as_uuid().as_bytes());
    aad.extend_from_slice(kind);
    aad
}

/// The label of records sealed for the app's own purposes; distinct from [`AAD_LABEL`], so such
/// a record can never pass for a credential (or the reverse).
const PURPOSE_LABEL: &[u8] = b"wa/sealed/v1";

fn purpose_data(tenant: TenantId, purpose: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(PURPOSE_LABEL.len() + 16 + purpose.len());
    aad.extend_from_slice(PURPOSE_LABEL);
    aad.extend_from_slice(tenant.as_uuid().as_bytes());
    aad.extend_from_slice(purpose.as_bytes());
    aad
}

impl Keyring {
    /// Seals a tenant's secret under the newest key, with a fresh nonce.
    ///
    /// # Errors
    /// [`SealError`] when the random generator fails or the secret is absurdly long.
    pub fn seal(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        secret: &SecretString,
    ) -> Result<Vec<u8>, SealError> {
        self.seal_bound(&associated_data(tenant, kind), secret)
    }

    /// Seals a secret of the app's own (not a Meta credential) under the newest key, bound to
    /// the tenant and to `purpose` (say `event_endpoint/<id>`): it opens only with both.
    ///
    /// # Errors
    /// As [`Keyring::seal`].
    pub fn seal_for(
        &self,
        tenant: TenantId,
        purpose: &str,
        secret: &SecretString,
    ) -> Result<Vec<u8>, SealError> {
        self.seal_bound(&purpose_data(tenant, purpose), secret)
    }

    /// Opens a record sealed with [`Keyring::seal_for`] for this tenant and purpose.
    ///
    /// # Errors
    /// As [`Keyring::open`].
    pub fn open_for(
        &self,
        tenant: TenantId,
        purpose: &str,
        record: &[u8],
    ) -> Result<SecretString, OpenError> {
        self.open_bound(&purpose_data(tenant, purpose), record)
    }

    fn seal_bound(&self, aad: &[u8], secret: &SecretString) -> Result<Vec<u8>, SealError> {
        let key = self.newest();
        let key_id = key.id.as_str().as_bytes();
        let plaintext = secret.expose_secret().as_bytes();
        let nonce = Nonce::<Aes256Gcm>::try_generate().map_err(|_| SealError::Random)?;

        // One exact-size buffer, encrypted in place: no stray plaintext copy is left behind.
        let header_len = 2 + key_id.len() + NONCE_LEN;
        let mut record = Vec::with_capacity(header_len + plaintext.len() + TAG_LEN);
        record.push(RECORD_VERSION);
        record.push(u8::try_from(key_id.len()).map_err(|_| SealError::TooLong)?);
        record.extend_from_slice(key_id);
        record.extend_from_slice(&nonce);
        record.extend_from_slice(plaintext);
        let tag = key
            .cipher
            .encrypt_inout_detached(&nonce, aad, record[header_len..].as_mut().into())
            .map_err(|_| SealError::TooLong)?;
        record.extend_from_slice(&tag);
        Ok(record)
    }

    /// Opens a record sealed for this tenant and kind by any key of the ring.
    ///
    /// # Errors
    /// An [`OpenError`]: malformed, unknown version or key, or failed authentication.
    pub fn open(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        record: &[u8],
    ) -> Result<SecretString, OpenError> {
        self.open_bound(&associated_data(tenant, kind), record)
    }

    fn open_bound(&self, aad: &[u8], record: &[u8]) -> Result<SecretString, OpenError> {
        let parts = split(record)?;
        let key = self.find(parts.key_id).ok_or_else(|| {
            KeyId::parse(parts.key_id)
                .map(OpenError::UnknownKey)
                .unwrap_or(OpenError::Malformed)
        })?;
        let nonce = Nonce::<Aes256Gcm>::try_from(parts.nonce).map_err(|_| OpenError::Malformed)?;
        let tag = Tag::<Aes256Gcm>::try_from(parts.tag).map_err(|_| OpenError::Malformed)?;
        let mut plaintext = Zeroizing::new(parts.ciphertext.to_vec());
        key.cipher
            .decrypt_inout_detached(&nonce, aad, plaintext.as_mut_slice().into(), &tag)
            .map_err(|_| OpenError::Rejected)?;
        // Copies into an exact-size string (so `SecretString`'s boxing does not reallocate and
        // leave a copy behind); the decrypted buffer is zeroed when it drops.
        let text = std::str::from_utf8(&plaintext).map_err(|_| OpenError::Malformed)?;
        Ok(SecretString::from(text))
    }
}

/// A short description of a record for diagnostics: version, key id and length, no bytes.
pub struct RecordSummary<'a>(pub &'a [u8]);

impl fmt::Display for RecordSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match split(self.0) {
            Ok(parts) => write!(
                f,
                "v{RECORD_VERSION} record under key {} ({} bytes)",
                parts.key_id,
                self.0.len()
            ),
            Err(error) => write!(f, "unreadable record ({} bytes): {error}", self.0.len()),
        }
    }
}

#[cfg(test)]
mod tests;
