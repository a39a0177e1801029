//! The ports: what the domain needs from the outside world, as async traits.
//!
//! Adapters implement them (`wa-store` the repositories, `wa-vault` the credential vault,
//! `wa-graph` the Graph gateway); the app holds them as `Arc<dyn Port>`. Every trait is
//! `Send + Sync + 'static` so it can be shared across tokio tasks. Each has a mockall mock
//! (`MockMessageRepository`, ...) in this crate's tests and, behind the `mock` feature, for
//! other crates' tests.
//!
//! Every repository method takes the [`TenantId`] and must scope its query to it: a tenant can
//! never read or change another tenant's rows, even knowing their ids. The one exception is
//! [`ConnectionRepository::resolve_tenant`], which is how a webhook finds its tenant, and
//! [`Outbox::claim_due`], which is how a worker finds work across tenants (each message it
//! returns names its tenant, and everything after is scoped to that tenant again).

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{
    connection::PhoneNumberInfo,
    connection::{Connection, ConnectionHealth},
    conversation::{Conversation, CustomerActivity, IdentityChange},
    credential::{CredentialKind, CredentialMetadata, SecretString},
    customer::CustomerIdentity,
    event::{Event, NewEvent},
    graph::{GraphError, MarkRead, MediaDownload, MediaInfo, MediaUpload, SendReceipt, Sender},
    ids::{MessageId, PhoneNumberId, TenantId, WaMessageId},
    inbound::InboundMessage,
    message::{
        MessageFailure, MessageFilter, NewOutbound, OutboundMessage, Page, StatusOutcome,
        StatusUpdate, StoredMessage,
    },
    status::Transition,
    tenant::Tenant,
};

/// Why a repository call failed. No database error type crosses the port.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (for this tenant).
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write.
    #[error("already exists")]
    Duplicate,
    /// The database cannot be reached or is overloaded: try again later.
    #[error("database unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else: a bug or corrupt data.
    #[error("database error")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Why a vault call failed. Never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No such credential for this tenant, or it was revoked.
    #[error("no {0} stored for this tenant")]
    NotFound(CredentialKind),
    /// The ciphertext does not open with any configured key: tampered, moved to another
    /// tenant's row, or sealed by a key that was removed.
    #[error("the stored {0} cannot be decrypted with the configured keys")]
    Undecryptable(CredentialKind),
    /// The storage behind the vault failed.
    #[error("credential storage failed")]
    Storage(#[source] StoreError),
}

/// Whether an inbound insert stored a new message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundInsert {
    /// Stored with this id.
    Inserted(MessageId),
    /// Already stored (a replay): nothing changed.
    Duplicate,
}

/// Whether an outbound insert stored a new message or found the one with the same idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub enum OutboundInsert {
    /// Stored as `pending`.
    Inserted(StoredMessage),
    /// A message with the same idempotency key exists: this is it, nothing was stored.
    Existing(StoredMessage),
}

/// The tenants' event logs (see [`crate::event`]).
///
/// Events are appended by the adapters' own writes, in the same transaction as the state change
/// they report (storing an inbound message, applying a status, …); this port reads the log,
/// appends the events that have no state change of their own, and prunes.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait EventLog: Send + Sync + 'static {
    /// The tenant's events with `seq > after`, in `seq` order, at most `limit`.
    ///
    /// # Errors
    /// Only storage failures; an unknown tenant has no events.
    async fn read(
        &self,
        tenant: TenantId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError>;

    /// The highest `seq` written for the tenant (0 before its first event).
    ///
    /// # Errors
    /// Only storage failures.
    async fn head(&self, tenant: TenantId) -> Result<u64, StoreError>;

    /// Appends events in one transaction, numbered in order; returns them as stored.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] for an unknown tenant.
    async fn append(&self, tenant: TenantId, events: &[NewEvent])
    -> Result<Vec<Event>, StoreError>;

    /// Deletes up to `limit` events (of all tenants) recorded before `before`, oldest first;
    /// returns how many. Called in a loop by the retention worker, so each call is short.
    ///
    /// # Errors
    /// Only storage failures.
    async fn prune(&self, before: OffsetDateTime, limit: u32) -> Result<u64, StoreError>;
}

/// What one [`WindowDeadlines::announce_due`] call wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowAnnouncements {
    /// `window.closing` events appended.
    pub closing: u64,
    /// `window.closed` events appended.
    pub closed: u64,
}

impl WindowAnnouncements {
    /// Events appended in all.
    pub fn total(&self) -> u64 {
        self.closing + self.closed
    }
}

/// The windows' deadlines: `window.closing` and `window.closed` have no state change of their
/// own (time passes), so a worker asks the store to announce them.
///
/// Cross-tenant by nature, like [`Outbox::claim_due`]: each event it appends is written to the
/// log of the conversation's own tenant.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WindowDeadlines: Send + Sync + 'static {
    /// In one short transaction, takes up to `limit` open windows that expire before
    /// `now + lead` and whose expiry was not announced yet: appends `window.closed` for those
    /// already expired at `now`, `window.closing` for the others, and records the expiry
    /// announced so it is never announced twice (a window the customer extends is announced
    /// again for its new expiry).
    ///
    /// # Errors
    /// Only storage failures.
    async fn announce_due(
        &self,
        now: OffsetDateTime,
        lead: time::Duration,
        limit: u32,
    ) -> Result<WindowAnnouncements, StoreError>;
}

/// Tenants.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TenantRepository: Send + Sync + 'static {
    /// Stores a new tenant.
    ///
    /// # Errors
    /// MUST return [`StoreError::Duplicate`] when the id exists.
    async fn create(&self, tenant: &Tenant) -> Result<(), StoreError>;

    /// One tenant, or `None`.
    ///
    /// # Errors
    /// Only storage failures.
    async fn get(&self, id: TenantId) -> Result<Option<Tenant>, StoreError>;

    /// Tenants in id order after the cursor.
    ///
    /// # Errors
    /// Only storage failures.
    async fn list(&self, page: Page<TenantId>) -> Result<Vec<Tenant>, StoreError>;

    /// Enables or disables a tenant.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] for an unknown tenant.
    async fn set_enabled(&self, id: TenantId, enabled: bool) -> Result<(), StoreError>;
}

/// Tenants' WhatsApp connections: one per business number, a tenant may have several, one of
/// them its default.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ConnectionRepository: Send + Sync + 'static {
    /// The tenant's default number, or `None` when it has no number.
    ///
    /// # Errors
    /// Only storage failures.
    async fn get(&self, tenant: TenantId) -> Result<Option<Connection>, StoreError>;

    /// One number of the tenant, or `None` (another tenant's number is `None` too).
    ///
    /// # Errors
    /// Only storage failures.
    async fn get_number(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
    ) -> Result<Option<Connection>, StoreError>;

    /// Every number of the tenant, the default first, then by when they were added.
    ///
    /// # Errors
    /// Only storage failures.
    async fn list(&self, tenant: TenantId) -> Result<Vec<Connection>, StoreError>;

    /// Adds the number to its tenant, or updates it when the tenant has it already (its id and
    /// when it was added stay). The tenant's first number becomes its default whatever
    /// `is_default` says; a number stored with `is_default` becomes the default in the same
    /// transaction (the previous default stays, as an ordinary number).
    ///
    /// # Errors
    /// MUST return [`StoreError::Duplicate`] when another tenant already uses the phone number id,
    /// and [`StoreError::NotFound`] when the tenant does not exist.
    async fn upsert(&self, connection: &Connection) -> Result<(), StoreError>;

    /// Makes one of the tenant's numbers its default.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant has no such number.
    async fn set_default(&self, tenant: TenantId, number: &PhoneNumberId)
    -> Result<(), StoreError>;

    /// Removes a number from the tenant; its messages and conversations stay, naming it. When it
    /// was the default, the oldest remaining number becomes the default.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant has no such number.
    async fn remove(&self, tenant: TenantId, number: &PhoneNumberId) -> Result<(), StoreError>;

    /// Records a health change of one number; `verified_at` is set when given, kept otherwise.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant has no such number.
    async fn set_health(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        health: ConnectionHealth,
        reason: Option<String>,
        at: OffsetDateTime,
        verified_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError>;

    /// Stores what Meta said about the number (quality, throughput, limit, names).
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant has no such number.
    async fn update_number_info(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        info: &PhoneNumberInfo,
    ) -> Result<(), StoreError>;

    /// Which tenant owns a business number: how webhooks are routed. Not tenant-scoped by nature.
    ///
    /// # Errors
    /// Only storage failures; an unknown number is `Ok(None)`.
    async fn resolve_tenant(
        &self,
        phone_number_id: &PhoneNumberId,
    ) -> Result<Option<TenantId>, StoreError>;
}

/// Messages, in and out, with their lifecycle.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait MessageRepository: Send + Sync + 'static {
    /// Stores an outbound message as `pending`. When the idempotency key was used before by this
    /// tenant, stores nothing and returns the existing message.
    ///
    /// # Errors
    /// MUST return [`StoreError::Duplicate`] when the message id exists.
    async fn insert_outbound(&self, message: &NewOutbound) -> Result<OutboundInsert, StoreError>;

    /// One message of the tenant.
    ///
    /// # Errors
    /// Only storage failures; another tenant's message is `Ok(None)`.
    async fn get(
        &self,
        tenant: TenantId,
        id: MessageId,
    ) -> Result<Option<StoredMessage>, StoreError>;

    /// The tenant's outbound message stored under an idempotency key.
    ///
    /// # Errors
    /// Only storage failures.
    async fn find_by_idempotency_key(
        &self,
        tenant: TenantId,
        key: &str,
    ) -> Result<Option<StoredMessage>, StoreError>;

    /// One message of the tenant by Meta's id.
    ///
    /// # Errors
    /// Only storage failures.
    async fn find_by_wamid(
        &self,
        tenant: TenantId,
        wamid: &WaMessageId,
    ) -> Result<Option<StoredMessage>, StoreError>;

    /// Records Meta's acceptance: sets the wamid and moves the state to `accepted` if it is lower
    /// (a status webhook may have overtaken the send response).
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] for an unknown message, [`StoreError::Duplicate`]
    /// when the wamid belongs to another message of the tenant.
    async fn mark_accepted(
        &self,
        tenant: TenantId,
        id: MessageId,
        wamid: &WaMessageId,
        at: OffsetDateTime,
    ) -> Result<Transition, StoreError>;

    /// Records a final failure to send: state `failed` (if not already higher), the failure kept.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] for an unknown message.
    async fn mark_failed(
        &self,
        tenant: TenantId,
        id: MessageId,
        failure: &MessageFailure,
        at: OffsetDateTime,
    ) -> Result<Transition, StoreError>;

    /// Counts a send attempt that will be retried, keeping the last error.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] for an unknown message.
    async fn record_attempt(
        &self,
        tenant: TenantId,
        id: MessageId,
        failure: Option<MessageFailure>,
    ) -> Result<(), StoreError>;

    /// Applies one status atomically and monotonically: the state moves only to a higher rank,
    /// per-state timestamps keep the earliest time. Matches by wamid, else by callback id (which
    /// then also records the wamid).
    ///
    /// # Errors
    /// Only storage failures; an unknown message is [`StatusOutcome::UnknownMessage`].
    async fn apply_status(
        &self,
        tenant: TenantId,
        update: &StatusUpdate,
    ) -> Result<StatusOutcome, StoreError>;

    /// [`Self::apply_status`] for many updates in one transaction; outcomes in input order.
    ///
    /// # Errors
    /// Only storage failures; on error nothing is applied.
    async fn apply_statuses(
        &self,
        tenant: TenantId,
        updates: &[StatusUpdate],
    ) -> Result<Vec<StatusOutcome>, StoreError>;

    /// Stores an inbound message received at the tenant's business number `number`, idempotent on
    /// (tenant, wamid).
    ///
    /// # Errors
    /// Only storage failures; a replay is [`InboundInsert::Duplicate`].
    async fn insert_inbound(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        id: MessageId,
        message: &InboundMessage,
    ) -> Result<InboundInsert, StoreError>;

    /// [`Self::insert_inbound`] for many messages to one number in one transaction; outcomes in
    /// input order.
    ///
    /// # Errors
    /// Only storage failures; on error nothing is stored.
    async fn insert_inbound_batch(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        messages: &[(MessageId, InboundMessage)],
    ) -> Result<Vec<InboundInsert>, StoreError>;

    /// The tenant's messages matching the filter, newest first, after the cursor.
    ///
    /// # Errors
    /// Only storage failures.
    async fn list(
        &self,
        tenant: TenantId,
        filter: &MessageFilter,
        page: Page<MessageId>,
    ) -> Result<Vec<StoredMessage>, StoreError>;
}

/// What a worker asks of [`Outbox::claim_due`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// The time: messages due at or before it, with no live claim, are eligible.
    pub now: OffsetDateTime,
    /// The claim lasts until then; after that another worker may take the message.
    pub lease_until: OffsetDateTime,
    /// At most this many messages in all.
    pub limit: u32,
    /// At most this many per business number of a tenant, so one burst cannot fill a round.
    pub per_tenant: u32,
    /// Tenants to leave out (their lanes are full in this process).
    pub skip_tenants: Vec<TenantId>,
    /// The claiming process. A number's throughput is one budget at Meta, so one process paces
    /// it at a time: the claim takes only numbers that are free, lapsed or already this owner's,
    /// takes their lease until `lease_until`, and renews the leases this owner still needs.
    pub owner: PacerId,
}

/// The id of a pacing process (random per process start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PacerId(pub uuid::Uuid);

impl PacerId {
    /// A fresh id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

/// A message a worker has claimed: enough to pace it without reading it first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMessage {
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The message.
    pub id: MessageId,
    /// Attempts made before this one.
    pub attempts: u32,
    /// When it was accepted into the outbox.
    pub created_at: OffsetDateTime,
    /// The business number it goes from.
    pub phone_number_id: PhoneNumberId,
    /// That number's throughput in messages per second.
    pub throughput_mps: u32,
    /// The customer it goes to (BSUID or phone digits), for the pair-rate limit.
    pub customer_key: String,
    /// An earlier claim of it lapsed unfinished: the process holding it died or hung, maybe
    /// mid-send, so Meta may have it already. The worker waits for its status webhook (the
    /// in-doubt grace) before sending it.
    pub lapsed: bool,
}

/// How much work waits for one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantBacklog {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Pending outbound messages, due or not.
    pub pending: u64,
    /// When the oldest of them was accepted.
    pub oldest: Option<OffsetDateTime>,
}

/// The durable outbox: `pending` outbound messages waiting to be sent.
///
/// Claims are leases (`claimed_until`), so a crashed worker's messages come back by themselves;
/// on PostgreSQL they are taken with `FOR UPDATE SKIP LOCKED`, so any number of processes can
/// share the outbox and no message is claimed by two of them at once. Only messages of enabled
/// tenants with an `active` connection are claimed: a held tenant's messages wait in place.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Outbox: Send + Sync + 'static {
    /// Claims due messages, oldest due first, fairly across tenants.
    ///
    /// # Errors
    /// Only storage failures; nothing is claimed then.
    async fn claim_due(&self, request: &ClaimRequest) -> Result<Vec<ClaimedMessage>, StoreError>;

    /// Puts a claimed message back, due at `at` (a retry or a pacing delay). No effect once the
    /// message has left `pending`.
    ///
    /// # Errors
    /// Only storage failures.
    async fn schedule(
        &self,
        tenant: TenantId,
        id: MessageId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Ends a claim without changing when the message is due (a held tenant, a shutdown).
    ///
    /// # Errors
    /// Only storage failures.
    async fn release(&self, tenant: TenantId, id: MessageId) -> Result<(), StoreError>;

    /// Gives up every pacing lease the owner holds (a clean shutdown), so another process may
    /// take those numbers at once instead of after the lease lapses.
    ///
    /// # Errors
    /// Only storage failures.
    async fn release_leases(&self, owner: PacerId) -> Result<(), StoreError>;

    /// Pending messages per tenant that has any, for metrics and operators.
    ///
    /// # Errors
    /// Only storage failures.
    async fn backlog(&self) -> Result<Vec<TenantBacklog>, StoreError>;
}

/// Customers and their customer-service windows, one conversation per (tenant, business number,
/// customer): Meta opens a window per business number.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ConversationRepository: Send + Sync + 'static {
    /// The conversation of a business number with a customer, found by BSUID first, then by
    /// phone number.
    ///
    /// # Errors
    /// Only storage failures.
    async fn find(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        customer: &CustomerIdentity,
    ) -> Result<Option<Conversation>, StoreError>;

    /// Records customer activity atomically: creates the conversation or merges the identity and
    /// profile name, counts the message, and (when it opens the window) moves the window's expiry
    /// forward, never backwards.
    ///
    /// # Errors
    /// Only storage failures.
    async fn record_activity(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        activity: &CustomerActivity,
    ) -> Result<Conversation, StoreError>;

    /// Counts an outbound message against the conversation (creating it without a window).
    ///
    /// # Errors
    /// Only storage failures.
    async fn record_outbound(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        customer: &CustomerIdentity,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Moves the customer's conversations (with every number of the tenant) to the customer's new
    /// number or user id.
    ///
    /// # Errors
    /// Only storage failures; when no conversation matches `previous`, nothing changes.
    async fn change_identity(
        &self,
        tenant: TenantId,
        change: &IdentityChange,
    ) -> Result<(), StoreError>;

    /// Conversations whose window is open at `now`, with any of the tenant's numbers, soonest
    /// expiry first, after the cursor.
    ///
    /// # Errors
    /// Only storage failures.
    async fn list_open(
        &self,
        tenant: TenantId,
        now: OffsetDateTime,
        page: Page<crate::conversation::ConversationId>,
    ) -> Result<Vec<Conversation>, StoreError>;
}

/// Tenants' secrets, encrypted at rest.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CredentialVault: Send + Sync + 'static {
    /// Stores (or replaces) a tenant's secret.
    ///
    /// # Errors
    /// [`VaultError::Storage`] when it cannot be stored.
    async fn store(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        secret: SecretString,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<(), VaultError>;

    /// The tenant's secret.
    ///
    /// # Errors
    /// MUST return [`VaultError::NotFound`] when absent or revoked, [`VaultError::Undecryptable`]
    /// when no configured key opens it.
    async fn get(&self, tenant: TenantId, kind: CredentialKind)
    -> Result<SecretString, VaultError>;

    /// What is known about the secret, without decrypting it.
    ///
    /// # Errors
    /// MUST return [`VaultError::NotFound`] when absent.
    async fn metadata(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
    ) -> Result<CredentialMetadata, VaultError>;

    /// Records that a Graph call succeeded with the secret.
    ///
    /// # Errors
    /// MUST return [`VaultError::NotFound`] when absent.
    async fn mark_verified(
        &self,
        tenant: TenantId,
        kind: CredentialKind,
        at: OffsetDateTime,
    ) -> Result<(), VaultError>;

    /// Revokes the secret: kept for audit, never handed out again.
    ///
    /// # Errors
    /// MUST return [`VaultError::NotFound`] when absent.
    async fn revoke(&self, tenant: TenantId, kind: CredentialKind) -> Result<(), VaultError>;
}

/// Meta's Graph API, as the use cases need it.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait GraphGateway: Send + Sync + 'static {
    /// Sends a message; `callback` goes to Meta as `biz_opaque_callback_data`.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn send(
        &self,
        sender: &Sender,
        message: &OutboundMessage,
        callback: MessageId,
    ) -> Result<SendReceipt, GraphError>;

    /// Marks a customer's message read.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn mark_read(&self, sender: &Sender, read: &MarkRead) -> Result<(), GraphError>;

    /// Reads the business number's details; also proves the token works.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn phone_number_info(&self, sender: &Sender) -> Result<PhoneNumberInfo, GraphError>;

    /// Uploads a media file, returning its media id.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn upload_media(
        &self,
        sender: &Sender,
        upload: &MediaUpload,
    ) -> Result<String, GraphError>;

    /// Looks a media id up.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn media_info(&self, sender: &Sender, media_id: &str) -> Result<MediaInfo, GraphError>;

    /// Downloads a media file.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn download_media(
        &self,
        sender: &Sender,
        media_id: &str,
    ) -> Result<MediaDownload, GraphError>;

    /// Deletes an uploaded media file.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn delete_media(&self, sender: &Sender, media_id: &str) -> Result<(), GraphError>;
}

/// The time. A port so tests can pin it.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Embedded Signup progress, one row per tenant (see [`crate::onboarding`]).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SignupRepository: Send + Sync + 'static {
    /// The tenant's signup progress, or `None` before its first signup.
    ///
    /// # Errors
    /// Only storage failures.
    async fn get(
        &self,
        tenant: TenantId,
    ) -> Result<Option<crate::onboarding::SignupState>, StoreError>;

    /// Stores the progress, replacing the tenant's previous row.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant does not exist.
    async fn save(&self, state: &crate::onboarding::SignupState) -> Result<(), StoreError>;
}

/// Tenants' message templates as synced from Meta.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TemplateRepository: Send + Sync + 'static {
    /// Replaces the tenant's templates with a fresh copy of its WABA's (templates no longer at
    /// Meta are deleted); returns how many are stored.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant does not exist.
    async fn replace_all(
        &self,
        tenant: TenantId,
        templates: &[crate::template_catalog::SyncedTemplate],
    ) -> Result<usize, StoreError>;

    /// The tenant's templates of one name, every language.
    ///
    /// # Errors
    /// Only storage failures.
    async fn find_by_name(
        &self,
        tenant: TenantId,
        name: &str,
    ) -> Result<Vec<crate::template_catalog::SyncedTemplate>, StoreError>;

    /// Every template of the tenant, by name then language.
    ///
    /// # Errors
    /// Only storage failures.
    async fn list(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<crate::template_catalog::SyncedTemplate>, StoreError>;

    /// When the tenant's templates were last synced; `None` if they never were.
    ///
    /// # Errors
    /// Only storage failures.
    async fn last_synced(&self, tenant: TenantId) -> Result<Option<OffsetDateTime>, StoreError>;

    /// Sets the status of the template matched by Meta's id, else by name and language; returns
    /// whether one matched.
    ///
    /// # Errors
    /// Only storage failures.
    async fn set_status(
        &self,
        tenant: TenantId,
        change: &crate::template_catalog::TemplateStatusChange,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Stores one template (created or edited through wa), replacing the tenant's template of
    /// the same name and language.
    ///
    /// # Errors
    /// MUST return [`StoreError::NotFound`] when the tenant does not exist.
    async fn upsert(
        &self,
        tenant: TenantId,
        template: &crate::template_catalog::SyncedTemplate,
    ) -> Result<(), StoreError>;

    /// Removes the tenant's templates of `name` (only the one with Meta's id `meta_id` when
    /// given); returns how many went.
    ///
    /// # Errors
    /// Only storage failures.
    async fn remove(
        &self,
        tenant: TenantId,
        name: &str,
        meta_id: Option<String>,
    ) -> Result<usize, StoreError>;
}

/// Connections across tenants, for the health worker and for webhooks addressed to a WABA.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ConnectionDirectory: Send + Sync + 'static {
    /// Every connected number with its tenant, in phone number id order after the cursor.
    ///
    /// # Errors
    /// Only storage failures.
    async fn connected_numbers(
        &self,
        after: Option<PhoneNumberId>,
        limit: u32,
    ) -> Result<Vec<(TenantId, PhoneNumberId)>, StoreError>;

    /// The tenant whose numbers belong to this WABA (how account webhooks find their tenant).
    /// Not tenant-scoped by nature.
    ///
    /// # Errors
    /// Only storage failures; an unknown WABA is `Ok(None)`.
    async fn tenant_for_waba(
        &self,
        waba_id: &crate::ids::WabaId,
    ) -> Result<Option<TenantId>, StoreError>;
}

/// Meta's account and onboarding calls (cloud-api.md §6).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AccountGateway: Send + Sync + 'static {
    /// Exchanges an Embedded Signup code for the business token.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn exchange_code(
        &self,
        code: &SecretString,
    ) -> Result<crate::onboarding::ExchangedToken, GraphError>;

    /// What Meta says about a business token, including the WABAs shared with the app.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn debug_token(
        &self,
        token: &SecretString,
    ) -> Result<crate::onboarding::TokenGrant, GraphError>;

    /// The business numbers of a WABA.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn phone_numbers(
        &self,
        token: &SecretString,
        waba_id: &crate::ids::WabaId,
    ) -> Result<Vec<crate::onboarding::BusinessNumber>, GraphError>;

    /// Subscribes the app to a WABA's webhooks.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn subscribe_app(
        &self,
        token: &SecretString,
        waba_id: &crate::ids::WabaId,
    ) -> Result<(), GraphError>;

    /// Registers the number on the Cloud API with its two-step PIN.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn register_number(&self, sender: &Sender, pin: &SecretString) -> Result<(), GraphError>;

    /// Every message template of a WABA, read into our form.
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn message_templates(
        &self,
        token: &SecretString,
        waba_id: &crate::ids::WabaId,
    ) -> Result<Vec<crate::template_catalog::SyncedTemplate>, GraphError>;

    /// Submits a new template for review (`POST /{waba_id}/message_templates`); returns it as
    /// stored from then on (Meta's id and status, usually `PENDING`).
    ///
    /// # Errors
    /// A classified [`GraphError`] (Meta's refusal names the rule in its message).
    async fn create_template(
        &self,
        token: &SecretString,
        waba_id: &crate::ids::WabaId,
        draft: &crate::template_draft::TemplateDraft,
    ) -> Result<crate::template_catalog::SyncedTemplate, GraphError>;

    /// Edits a template (`POST /{template_id}`); returns `current` as changed (back in review).
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn edit_template(
        &self,
        token: &SecretString,
        current: &crate::template_catalog::SyncedTemplate,
        edit: &crate::template_draft::TemplateEdit,
    ) -> Result<crate::template_catalog::SyncedTemplate, GraphError>;

    /// Deletes a template: one language by Meta's id, or every language of the name
    /// (`DELETE /{waba_id}/message_templates?name=…[&hsm_id=…]`).
    ///
    /// # Errors
    /// A classified [`GraphError`].
    async fn delete_template(
        &self,
        token: &SecretString,
        waba_id: &crate::ids::WabaId,
        name: &str,
        meta_id: Option<String>,
    ) -> Result<(), GraphError>;
}
