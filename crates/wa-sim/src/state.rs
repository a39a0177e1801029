//! The simulation's shared state: settings, numbers (with their rate and window state), tokens,
//! WABAs, customers, media, faults and records.
//!
//! Request handling takes read locks on maps that change only through the control API, and
//! per-number locks or atomics for what a send changes; there is no global lock on the send path.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use crate::clock::{Clock, OffsetClock, nanos};
use crate::config::{Faults, Limits, NumberConfig, OutageMode, SimConfig, WebhookBehaviour};
use crate::customer::CustomerRef;
use crate::gcra::Gcra;
use crate::ids::{derived_user_id, digits};
use crate::records::Records;
use crate::template::Template;
use crate::webhook::WebhookQueue;

/// Reads a lock, ignoring poisoning: every critical section here leaves consistent data.
pub(crate) fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Writes a lock, ignoring poisoning (see [`read`]).
pub(crate) fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// Locks a mutex, ignoring poisoning (see [`read`]).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Settings that requests read as one snapshot.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) app_id: String,
    pub(crate) app_secret: Option<String>,
    pub(crate) require_proof: bool,
    pub(crate) callback_url: Option<String>,
    pub(crate) limits: Limits,
    pub(crate) pair: Gcra,
    pub(crate) webhooks: WebhookBehaviour,
    /// The app's pinned webhook version as (major, minor).
    pub(crate) webhook_version: (u32, u32),
    pub(crate) template_review: crate::config::TemplateReview,
}

/// `v24.0` → (24, 0); anything else reads as the default version.
pub(crate) fn parse_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.strip_prefix('v')?.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

impl Settings {
    pub(crate) fn from_config(config: &SimConfig) -> Self {
        Self {
            app_id: config.app_id.clone(),
            app_secret: config.app_secret.clone(),
            require_proof: config.require_appsecret_proof && config.app_secret.is_some(),
            callback_url: config.callback_url.clone(),
            pair: pair_gcra(&config.limits),
            limits: config.limits.clone(),
            webhooks: config.webhooks.clone(),
            webhook_version: parse_version(&config.webhook_version)
                .or_else(|| parse_version(crate::config::DEFAULT_WEBHOOK_VERSION))
                .unwrap_or((25, 0)),
            template_review: config.template_review.clone(),
        }
    }
}

pub(crate) fn pair_gcra(limits: &Limits) -> Gcra {
    Gcra::new(
        1,
        Duration::from_millis(limits.pair_interval_ms.max(1)),
        limits.pair_burst,
    )
}

/// Pair-rate entries per number above which expired ones are pruned.
const PAIR_PRUNE_AT: usize = 100_000;

/// A business number and what sends change about it.
#[derive(Debug)]
pub(crate) struct NumberState {
    pub(crate) config: NumberConfig,
    pub(crate) display_digits: String,
    pub(crate) registered: AtomicBool,
    throughput_tat: AtomicU64,
    pair_tats: Mutex<(HashMap<String, u64>, usize)>,
    /// Last inbound message per customer (BSUID), in simulator nanoseconds.
    windows: Mutex<HashMap<String, u64>>,
}

impl NumberState {
    /// The same number with a changed configuration: its open windows, rate state and
    /// registration carry over (a quality or limit change closes no conversation).
    pub(crate) fn reconfigured(&self, config: NumberConfig) -> Self {
        let next = Self::new(config);
        next.registered
            .store(self.registered.load(Ordering::Relaxed), Ordering::Relaxed);
        next.throughput_tat.store(
            self.throughput_tat.load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        *lock(&next.pair_tats) = lock(&self.pair_tats).clone();
        *lock(&next.windows) = lock(&self.windows).clone();
        next
    }

    pub(crate) fn new(config: NumberConfig) -> Self {
        Self {
            display_digits: digits(&config.display_phone_number),
            registered: AtomicBool::new(config.registered),
            config,
            throughput_tat: AtomicU64::new(0),
            pair_tats: Mutex::new((HashMap::new(), PAIR_PRUNE_AT)),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one message from this number's throughput.
    pub(crate) fn take_throughput(&self, limits: &Limits, now_ns: u64) -> Result<(), Duration> {
        let mps = self
            .config
            .throughput_mps
            .unwrap_or(limits.throughput_per_number);
        // A burst of one second's worth: Meta states a per-second rate.
        Gcra::new(mps, Duration::from_secs(1), mps).check(&self.throughput_tat, now_ns)
    }

    /// Takes one message from the pair rate to `user_id`.
    pub(crate) fn take_pair(
        &self,
        gcra: &Gcra,
        user_id: &str,
        now_ns: u64,
    ) -> Result<(), Duration> {
        let mut guard = lock(&self.pair_tats);
        let (tats, prune_at) = &mut *guard;
        if tats.len() >= *prune_at {
            // A TAT in the past is the same as no entry, so load tests to many users stay
            // bounded. The next prune waits until the map doubles: amortised O(1) per send.
            tats.retain(|_, tat| *tat > now_ns);
            *prune_at = (tats.len() * 2).max(PAIR_PRUNE_AT);
        }
        let tat = tats.get(user_id).copied().unwrap_or(0);
        let next = gcra.step(tat, now_ns)?;
        tats.insert(user_id.to_owned(), next);
        Ok(())
    }

    pub(crate) fn open_window(&self, user_id: &str, at_ns: u64) {
        let mut windows = lock(&self.windows);
        let last = windows.entry(user_id.to_owned()).or_insert(0);
        *last = (*last).max(at_ns);
    }

    pub(crate) fn close_window(&self, user_id: &str) {
        lock(&self.windows).remove(user_id);
    }

    pub(crate) fn move_window(&self, from_user_id: &str, to_user_id: &str) {
        let mut windows = lock(&self.windows);
        if let Some(at) = windows.remove(from_user_id) {
            windows.insert(to_user_id.to_owned(), at);
        }
    }

    pub(crate) fn window_open(&self, user_id: &str, now_ns: u64, window: Duration) -> bool {
        lock(&self.windows)
            .get(user_id)
            .is_some_and(|last| now_ns < last.saturating_add(nanos(window)))
    }
}

/// What a token may do.
#[derive(Debug, Clone, Default)]
pub(crate) struct TokenGrant {
    pub(crate) revoked: bool,
    pub(crate) numbers: HashSet<String>,
    pub(crate) wabas: HashSet<String>,
}

/// A WhatsApp Business Account.
#[derive(Debug, Clone, Default)]
pub(crate) struct WabaState {
    pub(crate) subscribed: bool,
    pub(crate) callback_override: Option<String>,
}

/// A user on WhatsApp, as the simulator knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Customer {
    pub(crate) wa_id: Option<String>,
    pub(crate) user_id: String,
    pub(crate) parent_user_id: Option<String>,
    pub(crate) name: String,
    pub(crate) username: Option<String>,
}

impl Customer {
    /// A customer for a phone number nobody described: named after the number, BSUID derived.
    pub(crate) fn implicit(phone_digits: &str) -> Self {
        Self {
            wa_id: Some(phone_digits.to_owned()),
            user_id: derived_user_id(phone_digits),
            parent_user_id: None,
            name: format!("User {phone_digits}"),
            username: None,
        }
    }
}

/// Known customers, by BSUID and by phone.
#[derive(Debug, Default)]
pub(crate) struct Customers {
    by_user_id: HashMap<String, Customer>,
    user_id_by_phone: HashMap<String, String>,
}

impl Customers {
    pub(crate) fn by_phone(&self, phone_digits: &str) -> Customer {
        self.user_id_by_phone
            .get(phone_digits)
            .and_then(|user_id| self.by_user_id.get(user_id))
            .cloned()
            .unwrap_or_else(|| Customer::implicit(phone_digits))
    }

    pub(crate) fn by_user_id(&self, user_id: &str) -> Option<Customer> {
        self.by_user_id.get(user_id).cloned()
    }

    /// Registers or updates a customer from a reference; returns the stored customer.
    pub(crate) fn upsert(&mut self, reference: &CustomerRef) -> Result<Customer, String> {
        let wa_id = reference.wa_id.as_deref().map(digits);
        let known = match (&reference.user_id, &wa_id) {
            (Some(user_id), _) => self.by_user_id.get(user_id).cloned(),
            (None, Some(phone)) => Some(self.by_phone(phone)),
            (None, None) => {
                return Err("a customer needs a wa_id (phone) or a user_id (BSUID)".into());
            }
        };
        let mut customer = known.unwrap_or_else(|| match &wa_id {
            Some(phone) => Customer::implicit(phone),
            None => Customer {
                wa_id: None,
                user_id: String::new(),
                parent_user_id: None,
                name: String::new(),
                username: None,
            },
        });
        if let Some(user_id) = &reference.user_id {
            customer.user_id.clone_from(user_id);
        }
        if wa_id.is_some() {
            customer.wa_id = wa_id;
        }
        if reference.parent_user_id.is_some() {
            customer
                .parent_user_id
                .clone_from(&reference.parent_user_id);
        }
        if let Some(name) = &reference.name {
            customer.name.clone_from(name);
        }
        if reference.username.is_some() {
            customer.username.clone_from(&reference.username);
        }
        if customer.name.is_empty() {
            customer.name = customer
                .username
                .clone()
                .unwrap_or_else(|| customer.user_id.clone());
        }
        self.store(customer.clone());
        Ok(customer)
    }

    pub(crate) fn store(&mut self, customer: Customer) {
        if let Some(phone) = &customer.wa_id {
            self.user_id_by_phone
                .insert(phone.clone(), customer.user_id.clone());
        }
        self.by_user_id.insert(customer.user_id.clone(), customer);
    }

    pub(crate) fn forget_phone(&mut self, phone: &str) {
        self.user_id_by_phone.remove(phone);
    }

    pub(crate) fn forget_user_id(&mut self, user_id: &str) {
        self.by_user_id.remove(user_id);
    }
}

/// A media object (uploaded by the business or sent by a customer).
#[derive(Debug, Clone)]
pub(crate) struct MediaObject {
    pub(crate) id: String,
    pub(crate) owner: String,
    pub(crate) mime_type: String,
    pub(crate) bytes: Bytes,
    pub(crate) sha256: [u8; 32],
    pub(crate) filename: Option<String>,
}

/// An authorisation code from Embedded Signup, waiting to be exchanged.
#[derive(Debug, Clone)]
pub(crate) struct SignupCode {
    pub(crate) access_token: String,
    pub(crate) expires_ns: u64,
}

/// Faults with their outage end resolved to simulator time.
#[derive(Debug, Clone, Default)]
pub(crate) struct ActiveFaults {
    pub(crate) config: Faults,
    pub(crate) outage_until_ns: Option<u64>,
}

impl ActiveFaults {
    pub(crate) fn new(config: Faults, now_ns: u64) -> Self {
        let outage_until_ns = config
            .outage
            .as_ref()
            .and_then(|outage| outage.duration_ms)
            .map(|ms| now_ns.saturating_add(ms.saturating_mul(1_000_000)));
        Self {
            config,
            outage_until_ns,
        }
    }

    /// The outage in force at `now_ns`, if any.
    pub(crate) fn outage(&self, now_ns: u64) -> Option<OutageMode> {
        let outage = self.config.outage.as_ref()?;
        match self.outage_until_ns {
            Some(until) if now_ns >= until => None,
            _ => Some(outage.mode),
        }
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.config.outage.is_none()
            && self.config.error_rates.is_empty()
            && self.config.latency_ms == 0
            && self.config.latency_jitter_ms == 0
            && self.config.step_errors.is_empty()
            && self.config.lost_answer_rate <= 0.0
    }
}

/// Everything a simulation shares between its handlers, its webhook queue and its control handle.
pub(crate) struct Sim {
    pub(crate) clock: Arc<OffsetClock<Arc<dyn Clock>>>,
    pub(crate) initial: SimConfig,
    pub(crate) settings: RwLock<Arc<Settings>>,
    pub(crate) numbers: RwLock<HashMap<String, Arc<NumberState>>>,
    pub(crate) tokens: RwLock<HashMap<String, TokenGrant>>,
    pub(crate) wabas: RwLock<HashMap<String, WabaState>>,
    pub(crate) templates: RwLock<Vec<Arc<Template>>>,
    pub(crate) customers: RwLock<Customers>,
    pub(crate) media: RwLock<HashMap<String, Arc<MediaObject>>>,
    /// Business profiles by phone number id (fields as Meta answers them).
    pub(crate) profiles: RwLock<HashMap<String, serde_json::Map<String, serde_json::Value>>>,
    /// Conversational automation (welcome message, prompts, commands) by phone number id.
    pub(crate) automation: RwLock<HashMap<String, serde_json::Value>>,
    /// Resumable uploads in progress (`upload:…`).
    pub(crate) uploads: Mutex<crate::upload_session::Sessions>,
    pub(crate) inbound_ids: Mutex<HashSet<String>>,
    pub(crate) signup_codes: Mutex<HashMap<String, SignupCode>>,
    pub(crate) faults: RwLock<Arc<ActiveFaults>>,
    /// Set when no fault is configured, so the request path can skip the faults lock entirely.
    pub(crate) faults_idle: AtomicBool,
    pub(crate) records: Records,
    pub(crate) webhooks: WebhookQueue,
    pub(crate) base_url: String,
    pub(crate) shutdown: CancellationToken,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Sim {
    pub(crate) fn new(
        config: SimConfig,
        clock: Arc<OffsetClock<Arc<dyn Clock>>>,
        webhooks: WebhookQueue,
        base_url: String,
        shutdown: CancellationToken,
    ) -> Result<Self, String> {
        let sim = Self {
            clock,
            settings: RwLock::new(Arc::new(Settings::from_config(&config))),
            numbers: RwLock::default(),
            tokens: RwLock::default(),
            wabas: RwLock::default(),
            templates: RwLock::default(),
            customers: RwLock::default(),
            media: RwLock::default(),
            profiles: RwLock::default(),
            automation: RwLock::default(),
            uploads: Mutex::default(),
            inbound_ids: Mutex::default(),
            signup_codes: Mutex::default(),
            faults: RwLock::default(),
            faults_idle: AtomicBool::new(true),
            records: Records::new(config.record_capacity),
            webhooks,
            base_url,
            shutdown,
            initial: config,
        };
        sim.load_scenario()?;
        Ok(sim)
    }

    /// (Re)loads the initial scenario, forgetting everything that happened since.
    pub(crate) fn load_scenario(&self) -> Result<(), String> {
        let config = self.initial.clone();
        *write(&self.settings) = Arc::new(Settings::from_config(&config));
        write(&self.numbers).clear();
        write(&self.tokens).clear();
        write(&self.wabas).clear();
        write(&self.templates).clear();
        *write(&self.customers) = Customers::default();
        write(&self.media).clear();
        write(&self.profiles).clear();
        write(&self.automation).clear();
        lock(&self.uploads).clear();
        lock(&self.inbound_ids).clear();
        lock(&self.signup_codes).clear();
        self.records.clear();
        for number in config.numbers {
            self.add_number(number);
        }
        for template in config.templates {
            self.add_template(template)?;
        }
        for customer in &config.customers {
            write(&self.customers).upsert(customer)?;
        }
        self.set_faults(config.faults);
        Ok(())
    }

    pub(crate) fn now(&self) -> Duration {
        self.clock.now()
    }

    pub(crate) fn now_ns(&self) -> u64 {
        nanos(self.clock.now())
    }

    pub(crate) fn now_ms(&self) -> u64 {
        u64::try_from(self.clock.now().as_millis()).unwrap_or(u64::MAX)
    }

    pub(crate) fn settings(&self) -> Arc<Settings> {
        Arc::clone(&read(&self.settings))
    }

    pub(crate) fn update_settings(&self, change: impl FnOnce(&mut Settings)) {
        let mut guard = write(&self.settings);
        let mut settings = Settings::clone(&guard);
        change(&mut settings);
        settings.pair = pair_gcra(&settings.limits);
        *guard = Arc::new(settings);
    }

    pub(crate) fn number(&self, phone_number_id: &str) -> Option<Arc<NumberState>> {
        read(&self.numbers).get(phone_number_id).cloned()
    }

    pub(crate) fn add_number(&self, config: NumberConfig) {
        {
            let mut tokens = write(&self.tokens);
            let grant = tokens.entry(config.access_token.clone()).or_default();
            grant.numbers.insert(config.phone_number_id.clone());
            grant.wabas.insert(config.waba_id.clone());
        }
        write(&self.wabas)
            .entry(config.waba_id.clone())
            .or_default()
            .subscribed |= config.subscribed;
        let state = Arc::new(NumberState::new(config));
        write(&self.numbers).insert(state.config.phone_number_id.clone(), state);
    }

    pub(crate) fn add_template(&self, config: crate::config::TemplateConfig) -> Result<(), String> {
        let mut template = Template::from_config(config)?;
        template.updated_s = self.now().as_secs();
        let template = Arc::new(template);
        let mut templates = write(&self.templates);
        templates.retain(|t| {
            !(t.config.name == template.config.name
                && t.config.language == template.config.language
                && t.config.waba_id == template.config.waba_id)
        });
        templates.push(template);
        Ok(())
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        let active = ActiveFaults::new(faults, self.now_ns());
        self.faults_idle.store(active.is_idle(), Ordering::Release);
        *write(&self.faults) = Arc::new(active);
    }

    pub(crate) fn faults(&self) -> Option<Arc<ActiveFaults>> {
        if self.faults_idle.load(Ordering::Acquire) {
            return None;
        }
        Some(Arc::clone(&read(&self.faults)))
    }

    /// The customer a send addresses: by `recipient` (BSUID) or by `to` (phone digits).
    pub(crate) fn customer_for_send(
        &self,
        to_digits: Option<&str>,
        recipient: Option<&str>,
    ) -> Customer {
        let customers = read(&self.customers);
        if let Some(phone) = to_digits {
            return customers.by_phone(phone);
        }
        let user_id = recipient.unwrap_or_default();
        customers.by_user_id(user_id).unwrap_or_else(|| Customer {
            wa_id: None,
            user_id: user_id.to_owned(),
            parent_user_id: None,
            name: user_id.to_owned(),
            username: None,
        })
    }

    /// The callback URL for a WABA's webhooks, if it is subscribed and one is configured.
    pub(crate) fn callback_for(&self, waba_id: &str) -> Option<String> {
        let wabas = read(&self.wabas);
        let waba = wabas.get(waba_id)?;
        if !waba.subscribed {
            return None;
        }
        waba.callback_override
            .clone()
            .or_else(|| self.settings().callback_url.clone())
    }
}
