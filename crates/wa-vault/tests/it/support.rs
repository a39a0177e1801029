//! Shared fixtures: fixed key material, a clock the test sets, and vault constructors.

use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use time::{OffsetDateTime, macros::datetime};
use uuid::Uuid;
use wa_domain::ports::SealedCredentialStore;
use wa_domain::{ids::TenantId, ports::Clock};
use wa_vault::{Keyring, MemoryStore, Vault};

/// 32 bytes 0..=31, base64.
pub(crate) const KEY_1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// 32 bytes of 0xff, base64.
pub(crate) const KEY_2: &str = "//////////////////////////////////////////8=";
/// 32 bytes of 0x11, base64.
pub(crate) const KEY_3: &str = "ERERERERERERERERERERERERERERERERERERERERERE=";

/// The start time of every test clock.
pub(crate) const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

/// A clock that stays where the test puts it.
#[derive(Debug)]
pub(crate) struct TestClock(Mutex<OffsetDateTime>);

impl TestClock {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(T0)))
    }

    pub(crate) fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap() = at;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

pub(crate) fn keyring(spec: &str) -> Keyring {
    Keyring::parse(spec).expect("test keys parse")
}

/// `k1` only.
pub(crate) fn keys_k1() -> Keyring {
    keyring(&format!("k1:{KEY_1}"))
}

/// `k2` newest, `k1` still known.
pub(crate) fn keys_k2_k1() -> Keyring {
    keyring(&format!("k2:{KEY_2},k1:{KEY_1}"))
}

/// `k2` only: `k1` removed.
pub(crate) fn keys_k2() -> Keyring {
    keyring(&format!("k2:{KEY_2}"))
}

pub(crate) fn tenant(n: u128) -> TenantId {
    TenantId::from_uuid(Uuid::from_u128(n))
}

/// A recognisable token for tenant `n`: long, so any 8-byte window is distinctive.
pub(crate) fn token(n: u128) -> String {
    format!("EAAGtoken{n:04}ZCZBxQ7wL3kP9sV2mN8rT5yU1iO6aS4dF0gH")
}

pub(crate) fn secret(text: &str) -> SecretString {
    SecretString::from(text)
}

/// A vault without cache over `store`, so every read goes to the store.
pub(crate) fn uncached(keyring: Keyring, store: Arc<dyn SealedCredentialStore>) -> Vault {
    Vault::new(keyring, store, TestClock::new()).without_cache()
}

/// A vault with the default cache over a fresh in-memory store, and that store.
pub(crate) fn cached_with_store(keyring: Keyring) -> (Vault, Arc<MemoryStore>, Arc<TestClock>) {
    let store = Arc::new(MemoryStore::new());
    let clock = TestClock::new();
    let vault = Vault::new(keyring, store.clone(), clock.clone());
    (vault, store, clock)
}

/// True when any 8-byte window of `needle` occurs in `haystack`.
pub(crate) fn shares_a_window(haystack: &[u8], needle: &[u8]) -> bool {
    needle
        .windows(8)
        .any(|window| haystack.windows(8).any(|candidate| candidate == window))
}
