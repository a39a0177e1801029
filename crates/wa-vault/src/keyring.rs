//! The keyring: the AES-256 keys the vault knows, newest first, and where they come from.
//!
//! # Configuration format
//! `WA_VAULT_KEYS` (or the file named by `WA_VAULT_KEYS_FILE`) holds entries `id:base64key`,
//! separated by commas or new lines, **newest first**:
//!
//! ```text
//! WA_VAULT_KEYS=k2:3q2+7w...=,k1:AAECAwQ...=
//! ```
//!
//! - `id`: 1 to 64 letters, digits, `.`, `_` or `-`. It is written into every sealed record, so
//!   an id must never be reused for different key material.
//! - `base64key`: exactly 32 random bytes in standard base64 (padding optional), for example
//!   from `openssl rand -base64 32` or [`generate_key_entry`].
//! - Blank entries and lines starting with `#` are ignored; surrounding spaces are trimmed.
//!
//! The first entry seals every new secret; every entry opens. To rotate: put a new key first,
//! deploy it to every process, run `wa vault rotate`, then drop the old entry.
//!
//! Errors name the entry (by position or id) and the problem, never the key material: a key
//! pasted without its id would otherwise be echoed into the start-up log.

use std::{fmt, io::Read, path::Path, path::PathBuf};

use aes_gcm::{Aes256Gcm, Key, KeyInit, aead::Generate};
use base64::{
    Engine,
    alphabet::STANDARD,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};
use secrecy::SecretString;
use zeroize::{Zeroize, Zeroizing};

/// The environment variable that holds the keys.
pub const KEYS_ENV: &str = "WA_VAULT_KEYS";
/// The environment variable that names a file holding the keys, in the same format.
pub const KEYS_FILE_ENV: &str = "WA_VAULT_KEYS_FILE";
/// The id of the key made by [`Keyring::generate_dev`].
pub const DEV_KEY_ID: &str = "dev";

/// AES-256 keys are 32 bytes.
const KEY_LEN: usize = 32;
/// Longest key id; it is stored with a one-byte length in every record.
pub(crate) const MAX_KEY_ID_LEN: usize = 64;

/// Standard alphabet, padding optional: people paste keys with and without `=`.
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The name of a vault key: 1 to 64 characters among letters, digits, `.`, `_` and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

/// A key id that breaks the rules of [`KeyId`]. Does not repeat the text, which may be a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a vault key id must be 1 to 64 letters, digits, '.', '_' or '-'")]
pub struct InvalidKeyId;

impl KeyId {
    /// Checks a key id.
    ///
    /// # Errors
    /// [`InvalidKeyId`] when empty, longer than 64 or with other characters.
    pub fn parse(value: &str) -> Result<Self, InvalidKeyId> {
        let valid = !value.is_empty()
            && value.len() <= MAX_KEY_ID_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidKeyId)
        }
    }

    /// The id as written in configuration, records and the `key_id` column.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why the keys could not be loaded. Never contains key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// No entry at all.
    #[error("no vault key given: expected entries `id:base64key`, newest first")]
    Empty,
    /// An entry without the `:` between id and key.
    #[error("vault key entry {entry} is not of the form `id:base64key`")]
    MissingSeparator {
        /// Position of the entry, from 1.
        entry: usize,
    },
    /// An entry whose id breaks the rules of [`KeyId`].
    #[error("vault key entry {entry} has an invalid id: {source}")]
    InvalidId {
        /// Position of the entry, from 1.
        entry: usize,
        /// What is wrong with it.
        source: InvalidKeyId,
    },
    /// The key is not base64.
    #[error("vault key {id} is not valid standard base64")]
    BadBase64 {
        /// The key's id.
        id: KeyId,
    },
    /// The key decodes to the wrong number of bytes.
    #[error("vault key {id} is {actual} bytes long; AES-256 needs exactly 32")]
    WrongLength {
        /// The key's id.
        id: KeyId,
        /// How many bytes it decoded to.
        actual: usize,
    },
    /// Two entries share an id.
    #[error("vault key id {id} appears more than once")]
    DuplicateId {
        /// The repeated id.
        id: KeyId,
    },
    /// Both the variable and the file are set: which one wins would be a guess.
    #[error("both {KEYS_ENV} and {KEYS_FILE_ENV} are set; set only one")]
    BothSources,
    /// The variable or the file is not UTF-8.
    #[error("the vault keys are not valid UTF-8")]
    NotUnicode,
    /// The key file cannot be read or written.
    #[error("vault key file {path} cannot be used")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The system random number generator failed while making a key.
    #[error("the system random number generator failed")]
    Random,
}

/// A [`KeyringError`] in the keys of one configuration variable, named in the message:
/// `WA_VAULT_KEYS: vault key k1 is 16 bytes long; AES-256 needs exactly 32`.
///
/// Like every error of this crate it never contains key material.
#[derive(Debug)]
pub struct KeySourceError {
    /// The variable the keys came from: [`KEYS_ENV`] or [`KEYS_FILE_ENV`].
    pub variable: &'static str,
    /// What is wrong with them.
    pub error: KeyringError,
}

impl KeySourceError {
    fn new(variable: &'static str, error: KeyringError) -> Self {
        Self { variable, error }
    }
}

impl fmt::Display for KeySourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.error)
    }
}

/// The message already includes the inner error's, so the chain continues below it (with the
/// I/O error of an unreadable file) rather than repeating it.
impl std::error::Error for KeySourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// One key: its id and the cipher built from it (the raw bytes are not kept).
#[derive(Clone)]
pub(crate) struct VaultKey {
    pub(crate) id: KeyId,
    /// The expanded AES key; zeroized on drop through aes-gcm's `zeroize` feature.
    pub(crate) cipher: Aes256Gcm,
}

/// The vault's keys, newest first. The newest seals; every key opens.
///
/// `Debug` shows the ids only.
#[derive(Clone)]
pub struct Keyring {
    /// Never empty; ids unique.
    keys: Vec<VaultKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field(
                "ids",
                &self.keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Keyring {
    /// Parses `id:base64key` entries, newest first (see the module documentation).
    ///
    /// # Errors
    /// A [`KeyringError`] naming the first bad entry.
    pub fn parse(spec: &str) -> Result<Self, KeyringError> {
        let entries = spec
            .split([',', '\n'])
            .map(str::trim)
            .filter(|entry| !entry.is_empty() && !entry.starts_with('#'));
        let mut keys: Vec<VaultKey> = Vec::new();
        for (index, entry) in entries.enumerate() {
            let position = index + 1;
            let (id, encoded) = entry
                .split_once(':')
                .ok_or(KeyringError::MissingSeparator { entry: position })?;
            let id = KeyId::parse(id.trim()).map_err(|source| KeyringError::InvalidId {
                entry: position,
                source,
            })?;
            // The decoder's own error names the offending byte and its offset: key material.
            let bytes = Zeroizing::new(
                KEY_BASE64
                    .decode(encoded.trim())
                    .map_err(|_| KeyringError::BadBase64 { id: id.clone() })?,
            );
            // Built straight from the zeroized buffer: no other copy of the key is kept.
            let cipher = Aes256Gcm::new_from_slice(bytes.as_slice()).map_err(|_| {
                KeyringError::WrongLength {
                    id: id.clone(),
                    actual: bytes.len(),
                }
            })?;
            if keys.iter().any(|known| known.id == id) {
                return Err(KeyringError::DuplicateId { id });
            }
            keys.push(VaultKey { id, cipher });
        }
        if keys.is_empty() {
            return Err(KeyringError::Empty);
        }
        Ok(Self { keys })
    }

    /// Reads a key file in the same format as [`KEYS_ENV`].
    ///
    /// On Unix, a file that group or others may read is accepted with a warning.
    ///
    /// # Errors
    /// [`KeyringError::Io`] when unreadable, or a parse error.
    pub fn from_file(path: &Path) -> Result<Self, KeyringError> {
        let io_error = |source| KeyringError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io_error)?;
        warn_if_shared(path, &file);
        let mut bytes = Zeroizing::new(Vec::new());
        file.read_to_end(&mut bytes).map_err(io_error)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| KeyringError::NotUnicode)?;
        Self::parse(text)
    }

    /// The keys from the environment: [`KEYS_ENV`], or the file named by [`KEYS_FILE_ENV`].
    /// `Ok(None)` when neither is set, so the caller decides whether a dev key is acceptable.
    ///
    /// # Errors
    /// See [`Keyring::from_sources`]; a non-UTF-8 [`KEYS_ENV`] is [`KeyringError::NotUnicode`].
    pub fn from_environment() -> Result<Option<Self>, KeySourceError> {
        let inline = match std::env::var(KEYS_ENV) {
            Ok(value) => Some(Zeroizing::new(value)),
            Err(std::env::VarError::NotPresent) => None,
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(KeySourceError::new(KEYS_ENV, KeyringError::NotUnicode));
            }
        };
        let file = std::env::var_os(KEYS_FILE_ENV).map(PathBuf::from);
        Self::from_sources(inline.as_deref().map(String::as_str), file.as_deref())
    }

    /// The keys from whichever source is given: the inline value of [`KEYS_ENV`] or the path in
    /// [`KEYS_FILE_ENV`]. `Ok(None)` when neither is given.
    ///
    /// A source that is given but empty (or holds only blanks and comments) is an error, not a
    /// reason to fall back to a dev key: an empty variable usually means a secret that failed to
    /// reach the process.
    ///
    /// # Errors
    /// A [`KeySourceError`] naming the variable: [`KeyringError::BothSources`] when both are
    /// given, [`KeyringError::Empty`] for an empty one, or the error of reading and parsing it.
    pub fn from_sources(
        inline: Option<&str>,
        file: Option<&Path>,
    ) -> Result<Option<Self>, KeySourceError> {
        match (inline, file) {
            (Some(_), Some(_)) => Err(KeySourceError::new(KEYS_ENV, KeyringError::BothSources)),
            (Some(spec), None) => Self::parse(spec)
                .map(Some)
                .map_err(|error| KeySourceError::new(KEYS_ENV, error)),
            (None, Some(path)) if path.as_os_str().is_empty() => {
                Err(KeySourceError::new(KEYS_FILE_ENV, KeyringError::Empty))
            }
            (None, Some(path)) => Self::from_file(path)
                .map(Some)
                .map_err(|error| KeySourceError::new(KEYS_FILE_ENV, error)),
            (None, None) => Ok(None),
        }
    }

    /// A keyring with one fresh random key, id [`DEV_KEY_ID`], for the embedded demo default.
    ///
    /// Logs a loud warning: the key lives only in this process, so whatever it seals cannot be
    /// read after a restart. Never use it in production; configure [`KEYS_ENV`] instead, or use
    /// [`Keyring::load_or_create_dev_file`] to keep a dev key across restarts.
    ///
    /// # Errors
    /// [`KeyringError::Random`] when the system random number generator fails.
    pub fn generate_dev() -> Result<Self, KeyringError> {
        tracing::warn!(
            vault.key_id = DEV_KEY_ID,
            "USING A GENERATED DEVELOPMENT VAULT KEY: credentials stored now cannot be read after \
             a restart. Set {KEYS_ENV} (or {KEYS_FILE_ENV}) for any real use."
        );
        Ok(Self {
            keys: vec![generate_key(KeyId(DEV_KEY_ID.to_owned()))?],
        })
    }

    /// Reads the dev key file, or creates it (mode 0600 on Unix) with one fresh key, id
    /// [`DEV_KEY_ID`]. For `wa demo` with a persistent database; logs a loud warning either way.
    ///
    /// # Errors
    /// [`KeyringError::Io`] when the file cannot be read or created, or a parse error.
    pub fn load_or_create_dev_file(path: &Path) -> Result<Self, KeyringError> {
        tracing::warn!(
            vault.key_file = %path.display(),
            "USING A DEVELOPMENT VAULT KEY FILE beside the data: anyone who can read it can \
             decrypt every stored credential. Set {KEYS_ENV} (or {KEYS_FILE_ENV}) for any real use."
        );
        if path.exists() {
            return Self::from_file(path);
        }
        let entry = generate_key_entry(&KeyId(DEV_KEY_ID.to_owned()))?;
        write_new_private_file(path, secrecy::ExposeSecret::expose_secret(&entry)).map_err(
            |source| KeyringError::Io {
                path: path.to_owned(),
                source,
            },
        )?;
        Self::from_file(path)
    }

    /// The id of the key that seals.
    pub fn newest_id(&self) -> &KeyId {
        &self.keys[0].id
    }

    /// Every id, newest first.
    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|key| &key.id)
    }

    /// True when a key with this id is known.
    pub fn contains(&self, id: &str) -> bool {
        self.find(id).is_some()
    }

    pub(crate) fn newest(&self) -> &VaultKey {
        &self.keys[0]
    }

    pub(crate) fn find(&self, id: &str) -> Option<&VaultKey> {
        self.keys.iter().find(|key| key.id.as_str() == id)
    }
}

/// A new configuration entry `id:base64key` with 32 fresh random bytes, for `wa vault keygen`
/// and for tests. The result is the secret itself: show it once, to the operator only.
///
/// # Errors
/// [`KeyringError::Random`] when the system random number generator fails.
pub fn generate_key_entry(id: &KeyId) -> Result<SecretString, KeyringError> {
    let key = random_key()?;
    let encoded = Zeroizing::new(KEY_BASE64.encode(key.as_slice()));
    Ok(SecretString::from(format!("{id}:{}", encoded.as_str())))
}

fn random_key() -> Result<Zeroizing<[u8; KEY_LEN]>, KeyringError> {
    // The operating system's generator (getrandom); `try_` so a failure is an error, not a panic.
    let mut generated = Key::<Aes256Gcm>::try_generate().map_err(|_| KeyringError::Random)?;
    let mut key = Zeroizing::new([0; KEY_LEN]);
    key.copy_from_slice(&generated);
    generated[..].zeroize();
    Ok(key)
}

fn generate_key(id: KeyId) -> Result<VaultKey, KeyringError> {
    let key = random_key()?;
    // Cannot fail: the buffer is exactly 32 bytes.
    let cipher = Aes256Gcm::new_from_slice(key.as_slice()).map_err(|_| KeyringError::Random)?;
    Ok(VaultKey { id, cipher })
}

#[cfg(unix)]
fn warn_if_shared(path: &Path, file: &std::fs::File) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = file.metadata() {
        let mode = metadata.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                vault.key_file = %path.display(),
                file.mode = format_args!("{:o}", mode & 0o777),
                "the vault key file is readable by other users; chmod 600 it"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path, _file: &std::fs::File) {}

fn write_new_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    writeln!(file, "# wa development vault key: do not use in production")?;
    writeln!(file, "{contents}")?;
    file.sync_all()
}

#[cfg(test)]
mod tests;
