//! Key rotation: re-seal every credential that is not under the newest key, in batches.
//!
//! This is the library side of `wa vault rotate`. It is safe to run while the system serves:
//! - reads keep working throughout, because every configured key still opens;
//! - each re-seal is a compare-and-swap on the old ciphertext, so a secret replaced meanwhile
//!   (by an operator or a re-connection) is never overwritten with the old one;
//! - it keeps no state of its own: after a crash, running it again skips everything already
//!   under the newest key and finishes the rest.
//!
//! Before rotating, every process must already know the new key (put it first in
//! `WA_VAULT_KEYS` and redeploy), or a process with the old keyring would be unable to open
//! what was just re-sealed. When the report is complete, the old key can be removed.

use std::fmt;

use wa_domain::{
    credential::CredentialKind,
    ids::TenantId,
    ports::{RotationCursor, SealedCredential, VaultError},
};

use crate::{
    keyring::KeyId,
    vault::{Vault, seal_failure},
};

/// How many times one row is retried when its compare-and-swap keeps losing to other writers.
const MAX_ATTEMPTS: usize = 3;

/// What a rotation did. Ids and counts only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// The key everything was re-sealed under.
    pub target_key: KeyId,
    /// Batches read.
    pub batches: usize,
    /// Rows found under an older key.
    pub examined: usize,
    /// Rows re-sealed under the target key.
    pub resealed: usize,
    /// Rows replaced or deleted by someone else while rotating; the newer write was kept.
    pub replaced_concurrently: usize,
    /// Rows that no configured key opens: they keep their old record (and need the old key,
    /// or a new secret).
    pub undecryptable: Vec<(TenantId, CredentialKind)>,
    /// Rows whose compare-and-swap lost to other writers on every attempt; run again.
    pub contended: Vec<(TenantId, CredentialKind)>,
}

impl RotationReport {
    fn new(target_key: KeyId) -> Self {
        Self {
            target_key,
            batches: 0,
            examined: 0,
            resealed: 0,
            replaced_concurrently: 0,
            undecryptable: Vec::new(),
            contended: Vec::new(),
        }
    }

    /// True when every row that was found is now under the target key (or was replaced): the
    /// older keys may be removed once no process writes with them any more.
    pub fn is_complete(&self) -> bool {
        self.undecryptable.is_empty() && self.contended.is_empty()
    }
}

impl fmt::Display for RotationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rotation to key {}: {} found under older keys, {} re-sealed, {} replaced \
             concurrently, {} undecryptable, {} contended ({} batches)",
            self.target_key,
            self.examined,
            self.resealed,
            self.replaced_concurrently,
            self.undecryptable.len(),
            self.contended.len(),
            self.batches
        )
    }
}

/// A rotation in progress, one batch per [`Rotation::step`]. Dropping it midway is safe: a new
/// rotation picks up what is left.
#[derive(Debug)]
pub struct Rotation<'vault> {
    vault: &'vault Vault,
    cursor: Option<RotationCursor>,
    finished: bool,
    report: RotationReport,
}

impl Rotation<'_> {
    /// Re-seals one batch of at most `batch_size` rows (at least 1). Returns `false` once
    /// nothing is left.
    ///
    /// # Errors
    /// [`VaultError::Storage`] when the store fails; the rotation can be run again.
    pub async fn step(&mut self, batch_size: usize) -> Result<bool, VaultError> {
        if self.finished {
            return Ok(false);
        }
        let batch = self
            .vault
            .store
            .list_for_rotation(
                self.report.target_key.as_str(),
                self.cursor,
                batch_size.max(1),
            )
            .await
            .map_err(VaultError::Storage)?;
        let Some(last) = batch.last() else {
            self.finished = true;
            return Ok(false);
        };
        self.cursor = Some((last.tenant, last.kind));
        self.report.batches += 1;
        self.report.examined += batch.len();
        for row in batch {
            self.reseal(row).await?;
        }
        tracing::info!(
            vault.key_id = %self.report.target_key,
            rotation.batches = self.report.batches,
            rotation.resealed = self.report.resealed,
            "vault rotation batch done"
        );
        Ok(true)
    }

    /// What was done so far.
    pub fn report(&self) -> &RotationReport {
        &self.report
    }

    /// What was done, ending the rotation.
    pub fn into_report(self) -> RotationReport {
        self.report
    }

    async fn reseal(&mut self, mut row: SealedCredential) -> Result<(), VaultError> {
        let vault = self.vault;
        let target = &self.report.target_key;
        let (tenant, kind) = (row.tenant, row.kind);
        for _ in 0..MAX_ATTEMPTS {
            let secret = match vault.keyring.open(tenant, kind, &row.ciphertext) {
                Ok(secret) => secret,
                Err(error) => {
                    tracing::warn!(
                        tenant.id = %tenant,
                        credential.kind = %kind,
                        error = %error,
                        "vault rotation cannot open a credential; left as it is"
                    );
                    self.report.undecryptable.push((tenant, kind));
                    return Ok(());
                }
            };
            let sealed = vault
                .keyring
                .seal(tenant, kind, &secret)
                .map_err(seal_failure)?;
            let swapped = vault
                .store
                .reseal(
                    tenant,
                    kind,
                    &row.ciphertext,
                    sealed,
                    target.as_str().to_owned(),
                    vault.clock.now(),
                )
                .await
                .map_err(VaultError::Storage)?;
            if swapped {
                // The secret is unchanged, but the cache promise is simple: any write clears.
                vault.invalidate(tenant, kind);
                self.report.resealed += 1;
                return Ok(());
            }
            // Someone wrote this row since it was listed: look at what is there now.
            match vault
                .store
                .get(tenant, kind)
                .await
                .map_err(VaultError::Storage)?
            {
                Some(fresh) if fresh.key_id != target.as_str() => row = fresh,
                _ => {
                    self.report.replaced_concurrently += 1;
                    return Ok(());
                }
            }
        }
        self.report.contended.push((tenant, kind));
        Ok(())
    }
}

impl Vault {
    /// Starts a rotation towards the keyring's newest key; drive it with [`Rotation::step`].
    pub fn start_rotation(&self) -> Rotation<'_> {
        Rotation {
            vault: self,
            cursor: None,
            finished: false,
            report: RotationReport::new(self.keyring.newest_id().clone()),
        }
    }

    /// Re-seals every credential not under the newest key, `batch_size` rows at a time: the
    /// entry point of `wa vault rotate`. Check [`RotationReport::is_complete`] before removing
    /// an old key.
    ///
    /// # Errors
    /// [`VaultError::Storage`] when the store fails; running it again resumes.
    pub async fn rotate(&self, batch_size: usize) -> Result<RotationReport, VaultError> {
        let mut rotation = self.start_rotation();
        while rotation.step(batch_size).await? {}
        let report = rotation.into_report();
        tracing::info!(
            vault.key_id = %report.target_key,
            rotation.resealed = report.resealed,
            rotation.undecryptable = report.undecryptable.len(),
            rotation.contended = report.contended.len(),
            "vault rotation finished"
        );
        Ok(report)
    }
}
