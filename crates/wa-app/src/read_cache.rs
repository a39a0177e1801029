//! Read-mostly state kept in memory for a moment: the reads every send repeats.
//!
//! Each message costs the same few lookups twice, once when it is accepted and once when it is
//! delivered: the API key's tenant, the tenant (enabled?), its connection (active? which
//! number?), and whether its templates were ever synced. They change rarely and each is a round
//! trip to the database, so under load they were a third of all statements. The decorators here
//! answer them from memory for at most [`FRESH_FOR`].
//!
//! # Rules
//! - Only what was found is kept: an unknown tenant, a missing connection, an unknown key are
//!   read from the database every time, so anything created is seen at once.
//! - A write through a decorator drops what it changes before it returns, so this process sees
//!   its own changes at once (disabling a tenant, marking a connection invalid, a template sync).
//!   A read that raced with such a write is not kept (each map has a generation, bumped by every
//!   drop, and a read keeps its answer only if the generation did not move meanwhile).
//! - A change made elsewhere (another `wa serve` process, or by hand in the database) is seen
//!   after at most [`FRESH_FOR`]. The outbox's own checks do not depend on this: claims read the
//!   tenant and connection state in the database, and Meta answers a revoked token with 190,
//!   which marks the connection invalid again.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use async_trait::async_trait;
use time::OffsetDateTime;
use wa_domain::{
    connection::{Connection, ConnectionHealth, PhoneNumberInfo},
    ids::{PhoneNumberId, TenantId},
    message::Page,
    ports::{ConnectionRepository, StoreError, TemplateRepository, TenantRepository},
    template_catalog::{SyncedTemplate, TemplateStatusChange},
    tenant::Tenant,
};

use wa_domain::ports::ApiKeyRepository;

/// How long a read is answered from memory.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Entries kept at most per map; past it, expired entries are swept, and if none were, the map
/// starts over (a bound on memory, not an eviction policy: it only matters beyond this many
/// active tenants within one [`FRESH_FOR`]).
const MAX_ENTRIES: usize = 100_000;

/// Expired entries are swept at most this many answer lifetimes apart, when an answer is kept:
/// an idle tenant costs no memory here for long.
const SWEEP_EVERY: u32 = 10;

/// A map of fresh answers.
struct Fresh<K, V> {
    entries: Mutex<Entries<K, V>>,
    generation: AtomicU64,
    ttl: Duration,
}

/// The answers, and when expired ones were last swept out.
struct Entries<K, V> {
    map: HashMap<K, (Instant, V)>,
    swept: Instant,
}

impl<K: Eq + Hash + Clone, V: Clone> Fresh<K, V> {
    fn new() -> Self {
        Self::with_ttl(FRESH_FOR)
    }

    fn with_ttl(ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                swept: Instant::now(),
            }),
            generation: AtomicU64::new(0),
            ttl,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        // A panic while holding the lock leaves nothing half-written: the map is still usable.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The fresh answer for `key`, if any.
    fn get(&self, key: &K) -> Option<V> {
        let entries = self.lock();
        let (at, value) = entries.map.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// Answers from memory, or reads and keeps the answer when it is worth keeping.
    async fn get_or_read<F, Fut>(
        &self,
        key: &K,
        keep: impl Fn(&V) -> bool,
        read: F,
    ) -> Result<V, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, StoreError>>,
    {
        if let Some(value) = self.get(key) {
            return Ok(value);
        }
        let generation = self.generation.load(Ordering::Acquire);
        let read_at = Instant::now();
        let value = read().await?;
        if keep(&value) {
            let mut entries = self.lock();
            // A drop since the read began may have been for this very key: keep nothing.
            if self.generation.load(Ordering::Acquire) == generation {
                let ttl = self.ttl;
                if entries.map.len() >= MAX_ENTRIES || entries.swept.elapsed() > ttl * SWEEP_EVERY {
                    entries.map.retain(|_, (at, _)| at.elapsed() < ttl);
                    entries.swept = Instant::now();
                    if entries.map.len() >= MAX_ENTRIES {
                        entries.map.clear();
                    }
                }
                entries.map.insert(key.clone(), (read_at, value.clone()));
            }
        }
        Ok(value)
    }

    fn drop_key(&self, key: &K) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.map.remove(key);
    }

    fn drop_all(&self) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.map.clear();
    }
}

/// Tenants, answered from memory for a moment.
pub struct CachedTenants {
    inner: Arc<dyn TenantRepository>,
    fresh: Fresh<TenantId, Option<Tenant>>,
}

impl CachedTenants {
    /// Wraps the store's tenants.
    pub fn new(inner: Arc<dyn TenantRepository>) -> Self {
        Self {
            inner,
            fresh: Fresh::new(),
        }
    }
}

#[async_trait]
impl TenantRepository for CachedTenants {
    async fn create(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let result = self.inner.create(tenant).await;
        self.fresh.drop_key(&tenant.id);
        result
    }

    async fn get(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        self.fresh
            .get_or_read(&id, Option::is_some, || self.inner.get(id))
            .await
    }

    async fn list(&self, page: Page<TenantId>) -> Result<Vec<Tenant>, StoreError> {
        self.inner.list(page).await
    }

    async fn set_enabled(&self, id: TenantId, enabled: bool) -> Result<(), StoreError> {
        let result = self.inner.set_enabled(id, enabled).await;
        self.fresh.drop_key(&id);
        result
    }
}

/// Connections (a tenant's default number, one number, a tenant's numbers), answered from
/// memory for a moment; so is the number → tenant routing of webhooks.
pub struct CachedConnections {
    inner: Arc<dyn ConnectionRepository>,
    fresh: Fresh<TenantId, Option<Connection>>,
    numbers: Fresh<(TenantId, PhoneNumberId), Option<Connection>>,
    lists: Fresh<TenantId, Vec<Connection>>,
    routes: Fresh<PhoneNumberId, Option<TenantId>>,
}

impl CachedConnections {
    /// Wraps the store's connections.
    pub fn new(inner: Arc<dyn ConnectionRepository>) -> Self {
        Self {
            inner,
            fresh: Fresh::new(),
            numbers: Fresh::new(),
            lists: Fresh::new(),
            routes: Fresh::new(),
        }
    }

    fn changed(&self, tenant: TenantId) {
        self.fresh.drop_key(&tenant);
        self.lists.drop_key(&tenant);
        // Changes are rare (connecting, health): every number is read again.
        self.numbers.drop_all();
        // A number may have moved to another tenant: routing is read again.
        self.routes.drop_all();
    }
}

#[async_trait]
impl ConnectionRepository for CachedConnections {
    async fn get(&self, tenant: TenantId) -> Result<Option<Connection>, StoreError> {
        self.fresh
            .get_or_read(&tenant, Option::is_some, || self.inner.get(tenant))
            .await
    }

    async fn get_number(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
    ) -> Result<Option<Connection>, StoreError> {
        self.numbers
            .get_or_read(&(tenant, number.clone()), Option::is_some, || {
                self.inner.get_number(tenant, number)
            })
            .await
    }

    async fn list(&self, tenant: TenantId) -> Result<Vec<Connection>, StoreError> {
        self.lists
            .get_or_read(
                &tenant,
                |numbers| !numbers.is_empty(),
                || self.inner.list(tenant),
            )
            .await
    }

    async fn upsert(&self, connection: &Connection) -> Result<(), StoreError> {
        let result = self.inner.upsert(connection).await;
        self.changed(connection.tenant_id);
        result
    }

    async fn set_default(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
    ) -> Result<(), StoreError> {
        let result = self.inner.set_default(tenant, number).await;
        self.changed(tenant);
        result
    }

    async fn remove(&self, tenant: TenantId, number: &PhoneNumberId) -> Result<(), StoreError> {
        let result = self.inner.remove(tenant, number).await;
        self.changed(tenant);
        result
    }

    async fn set_health(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        health: ConnectionHealth,
        reason: Option<String>,
        at: OffsetDateTime,
        verified_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let result = self
            .inner
            .set_health(tenant, number, health, reason, at, verified_at)
            .await;
        self.changed(tenant);
        result
    }

    async fn update_number_info(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        info: &PhoneNumberInfo,
    ) -> Result<(), StoreError> {
        let result = self.inner.update_number_info(tenant, number, info).await;
        self.changed(tenant);
        result
    }

    async fn resolve_tenant(
        &self,
        phone_number_id: &PhoneNumberId,
    ) -> Result<Option<TenantId>, StoreError> {
        self.routes
            .get_or_read(phone_number_id, Option::is_some, || {
                self.inner.resolve_tenant(phone_number_id)
            })
            .await
    }
}

/// Templates: when the tenant's templates were last synced is answered from memory for a
/// moment (every template message asks); the templates themselves are read each time.
pub struct CachedTemplates {
    inner: Arc<dyn TemplateRepository>,
    synced: Fresh<TenantId, Option<OffsetDateTime>>,
}

impl CachedTemplates {
    /// Wraps the store's templates.
    pub fn new(inner: Arc<dyn TemplateRepository>) -> Self {
        Self {
            inner,
            synced: Fresh::new(),
        }
    }
}

#[async_trait]
impl TemplateRepository for CachedTemplates {
    async fn replace_all(
        &self,
        tenant: TenantId,
        templates: &[SyncedTemplate],
    ) -> Result<usize, StoreError> {
        let result = self.inner.replace_all(tenant, templates).await;
        self.synced.drop_key(&tenant);
        result
    }

    async fn find_by_name(
        &self,
        tenant: TenantId,
        name: &str,
    ) -> Result<Vec<SyncedTemplate>, StoreError> {
        self.inner.find_by_name(tenant, name).await
    }

    async fn list(&self, tenant: TenantId) -> Result<Vec<SyncedTemplate>, StoreError> {
        self.inner.list(tenant).await
    }

    async fn last_synced(&self, tenant: TenantId) -> Result<Option<OffsetDateTime>, StoreError> {
        // "Never synced" is kept too: a sync through this process drops it, and one elsewhere
        // only tightens the check a moment later.
        self.synced
            .get_or_read(&tenant, |_| true, || self.inner.last_synced(tenant))
            .await
    }

    async fn set_status(
        &self,
        tenant: TenantId,
        change: &TemplateStatusChange,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.inner.set_status(tenant, change, at).await
    }

    async fn upsert(&self, tenant: TenantId, template: &SyncedTemplate) -> Result<(), StoreError> {
        self.inner.upsert(tenant, template).await
    }

    async fn remove(
        &self,
        tenant: TenantId,
        name: &str,
        meta_id: Option<String>,
    ) -> Result<usize, StoreError> {
        self.inner.remove(tenant, name, meta_id).await
    }
}

/// API keys: a key's tenant is answered from memory for a moment. Keys are never revoked through
/// the service; one revoked in the database stops working within [`FRESH_FOR`].
pub struct CachedApiKeys {
    inner: Arc<dyn ApiKeyRepository>,
    fresh: Fresh<[u8; 32], Option<TenantId>>,
}

impl CachedApiKeys {
    /// Wraps the store's API keys.
    pub fn new(inner: Arc<dyn ApiKeyRepository>) -> Self {
        Self {
            inner,
            fresh: Fresh::new(),
        }
    }
}

#[async_trait]
impl ApiKeyRepository for CachedApiKeys {
    async fn insert(
        &self,
        tenant: TenantId,
        hash: [u8; 32],
        prefix: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let result = self.inner.insert(tenant, hash, prefix, at).await;
        self.fresh.drop_key(&hash);
        result
    }

    async fn find_tenant(&self, hash: &[u8; 32]) -> Result<Option<TenantId>, StoreError> {
        self.fresh
            .get_or_read(hash, Option::is_some, || self.inner.find_tenant(hash))
            .await
    }
}

#[cfg(test)]
mod tests;
