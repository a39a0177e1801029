//! [`MessageRepository`] over `whatsapp_messages`.
//!
//! # Status updates
//! One status at a time (a send's outcome, a status whose message is found by our callback id)
//! takes `status_one`; a webhook's many statuses take the batched path (`status_batch`): one
//! locking read and one set-based `UPDATE` per 500 messages, with the same outcomes and guards.
//!
//! # Events
//! Each write appends its events in its own transaction, last (`event_log::append_in`): a new
//! outbound message `message.status` `pending`; every transition that advances the state one
//! `message.status` (with the failure and the pricing the update carried); a new inbound message
//! `message.received` (or `message.reaction`). Duplicates, stale statuses and replays append
//! nothing, so the log holds exactly the changes that happened.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Value,
    sea_query::{Expr, ExprTrait, OnConflict, Query, UpdateStatement},
};
use time::OffsetDateTime;
use uuid::Uuid;
use wa_domain::{
    customer::CustomerIdentity,
    event::{EventPayload, MessageStatusChanged, NewEvent},
    ids::{MessageId, PhoneNumberId, Recipient, TenantId, WaMessageId},
    inbound::InboundMessage,
    message::{
        Direction, MessageFailure, MessageFilter, NewOutbound, Page, StatusOutcome, StatusUpdate,
        StoredMessage,
    },
    ports::{InboundInsert, MessageRepository, OutboundInsert, StoreError},
    status::{MessageStatus, Transition, transition},
};

use crate::{
    convert::{
        self,
        message::{ContentColumns, content_json, direction_name},
        timestamp,
    },
    entity::whatsapp_message::{self, Column},
    error::{classify, corrupt},
    group_commit::{GroupCommit, Write, WriteFuture, Written},
    repo::{
        begin_write,
        conversation::ensure_conversation,
        event_log::append_in,
        finish, insert_row, status_batch,
        status_one::{
            Target, accept_pending, advance, apply_status_in, find_row, set_failure, touch,
        },
    },
};

const TABLE: &str = "whatsapp_messages";

/// Messages in the database.
#[derive(Debug, Clone)]
pub struct SqlMessages {
    db: DatabaseConnection,
    commits: GroupCommit,
}

impl SqlMessages {
    pub(crate) fn new(db: DatabaseConnection, commits: GroupCommit) -> Self {
        Self { db, commits }
    }
}

async fn find_message<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    condition: Expr,
) -> Result<Option<StoredMessage>, StoreError> {
    find_row(conn, tenant, condition)
        .await?
        .map(convert::message::to_domain)
        .transpose()
}

/// The customer columns of a message: phone (outbound `recipient_phone`, inbound
/// `sender_phone`) and BSUID.
fn customer_columns(direction: Direction, customer: &CustomerIdentity) -> Vec<(Column, Value)> {
    let phone: Value = customer.phone().map(|p| p.as_str().to_owned()).into();
    let (recipient, sender) = match direction {
        Direction::Outbound => (phone, Value::String(None)),
        Direction::Inbound => (Value::String(None), phone),
    };
    vec![
        (Column::RecipientPhone, recipient),
        (Column::SenderPhone, sender),
        (
            Column::CustomerBsuid,
            customer.bsuid().map(|b| b.as_str().to_owned()).into(),
        ),
    ]
}

fn content_columns(columns: ContentColumns) -> Vec<(Column, Value)> {
    vec![
        (Column::MediaId, columns.media_id.into()),
        (Column::TemplateName, columns.template_name.into()),
        (Column::MimeType, columns.mime_type.into()),
        (Column::Sha256, columns.sha256.into()),
        (Column::Caption, columns.caption.into()),
        (Column::Filename, columns.filename.into()),
        (Column::RawPayload, columns.raw_payload.into()),
        (
            Column::ReactionMessageId,
            columns.reaction_message_id.into(),
        ),
        (Column::ReactionEmoji, columns.reaction_emoji.into()),
    ]
}

/// Stores a new outbound message in the caller's transaction; returns the outcome and, for a
/// new row, its `pending` event (which the caller appends last).
async fn insert_outbound_in<C: ConnectionTrait>(
    conn: &C,
    message: &NewOutbound,
) -> Result<(OutboundInsert, Vec<NewEvent>), StoreError> {
    let backend = conn.get_database_backend();
    let tenant = message.tenant_id;
    let now = OffsetDateTime::now_utc();
    let customer = CustomerIdentity::from(message.message.recipient.clone());
    let conversation = ensure_conversation(conn, tenant, &message.from, &customer, now).await?;
    let content = &message.message.content;
    let mut row = vec![
        (Column::Id, Value::from(message.id.as_uuid())),
        (Column::TenantId, tenant.as_uuid().into()),
        (Column::PhoneNumberId, message.from.as_str().into()),
        (Column::ConversationId, conversation.into()),
        (
            Column::Direction,
            direction_name(Direction::Outbound).into(),
        ),
        (Column::Type, content.kind().as_str().into()),
        (Column::Content, content_json(content)?.into()),
        (Column::Status, MessageStatus::Pending.as_str().into()),
        (Column::StatusRank, MessageStatus::Pending.rank().into()),
        (
            Column::ReplyToWamid,
            message
                .message
                .reply_to
                .as_ref()
                .map(|w| w.as_str().to_owned())
                .into(),
        ),
        (
            Column::IdempotencyKey,
            message.idempotency_key.clone().into(),
        ),
        (Column::Attempts, 0_i32.into()),
        // Due at once: the outbox sends pending messages whose next attempt has come.
        (
            Column::NextAttemptAt,
            timestamp::value(backend, message.created_at),
        ),
        (
            Column::CreatedAt,
            timestamp::value(backend, message.created_at),
        ),
        (Column::UpdatedAt, timestamp::value(backend, now)),
    ];
    row.extend(customer_columns(Direction::Outbound, &customer));
    row.extend(content_columns(ContentColumns::outbound(content)));
    let mut stmt = insert_row(whatsapp_message::Entity, row);
    // A concurrent insert with the same key makes this one a no-op; a reused message id still
    // violates the primary key and is reported as `Duplicate`.
    stmt.on_conflict(
        OnConflict::columns([Column::TenantId, Column::IdempotencyKey])
            .do_nothing()
            .to_owned(),
    )
    .returning_all();
    // The new row comes back whole: no second statement to read it.
    if let Some(row) = conn.query_one(&stmt).await.map_err(classify)? {
        let row = whatsapp_message::Model::from_query_result(&row, "")
            .map_err(|e| corrupt("whatsapp_messages", e))?;
        let stored = convert::message::to_domain(row)?;
        let pending = NewEvent::new(
            message.created_at,
            EventPayload::MessageStatus(MessageStatusChanged {
                message_id: message.id,
                wamid: None,
                customer,
                status: MessageStatus::Pending,
                previous: None,
                failure: None,
                pricing: None,
            }),
        );
        return Ok((OutboundInsert::Inserted(stored), vec![pending]));
    }
    let key = message.idempotency_key.as_deref().unwrap_or_default();
    find_message(conn, tenant, Column::IdempotencyKey.eq(key))
        .await?
        .map(|existing| (OutboundInsert::Existing(existing), Vec::new()))
        .ok_or(StoreError::Duplicate)
}

/// [`MessageRepository::insert_outbound`] as a grouped write.
struct InsertOutbound(NewOutbound);

impl Write for InsertOutbound {
    type Output = OutboundInsert;

    fn apply<'a>(&'a self, txn: &'a DatabaseTransaction) -> WriteFuture<'a, Written<Self::Output>> {
        Box::pin(async move {
            let (value, events) = insert_outbound_in(txn, &self.0).await?;
            Ok(Written {
                value,
                tenant: self.0.tenant_id,
                events,
            })
        })
    }
}

/// [`MessageRepository::mark_accepted`] as a grouped write.
struct MarkAccepted {
    tenant: TenantId,
    id: MessageId,
    wamid: WaMessageId,
    at: OffsetDateTime,
}

impl Write for MarkAccepted {
    type Output = Transition;

    fn apply<'a>(&'a self, txn: &'a DatabaseTransaction) -> WriteFuture<'a, Written<Self::Output>> {
        Box::pin(async move {
            let Self {
                tenant,
                id,
                wamid,
                at,
            } = self;
            let accepted = MessageStatus::Accepted;
            // The usual case, a pending message, in one statement; anything else (a status
            // webhook settled it first, no such message) takes the general two-statement path.
            if let Some(found) = accept_pending(txn, *tenant, *id, wamid, *at).await? {
                // `RETURNING` gives the row as updated: the wamid is already there.
                let event = found.status_event(MessageStatus::Pending, accepted, *at, None, None);
                return Ok(Written {
                    value: Transition::Advanced {
                        from: MessageStatus::Pending,
                        to: accepted,
                    },
                    tenant: *tenant,
                    events: vec![event],
                });
            }
            let set_wamid = |stmt: &mut UpdateStatement| {
                stmt.value(Column::WaMessageId, wamid.as_str());
            };
            let mut found = touch(txn, *tenant, &Target::Id(*id), accepted, *at, set_wamid)
                .await?
                .ok_or(StoreError::NotFound)?;
            found.wamid = Some(wamid.clone());
            let step = transition(found.current, accepted);
            let mut events = Vec::new();
            if let Transition::Advanced { from, to } = step {
                advance(txn, *tenant, *id, to, |_| {}).await?;
                events.push(found.status_event(from, to, *at, None, None));
            }
            Ok(Written {
                value: step,
                tenant: *tenant,
                events,
            })
        })
    }
}

/// Stores inbound messages in the caller's transaction; outcomes in input order.
///
/// Replays are answered from one lookup of the batch's wamids; each customer's conversation is
/// looked up once per batch; rows are written in wamid order, so two webhooks carrying the same
/// messages in different orders cannot deadlock on PostgreSQL. The unique (tenant, wamid) index
/// with `ON CONFLICT DO NOTHING` settles races with concurrent deliveries of the same message.
async fn insert_inbound_in<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    number: &PhoneNumberId,
    messages: &[(MessageId, InboundMessage)],
) -> Result<(Vec<InboundInsert>, Vec<NewEvent>), StoreError> {
    let backend = conn.get_database_backend();
    let mut known: HashSet<String> = HashSet::new();
    for chunk in messages.chunks(500) {
        let wamids: Vec<String> = chunk
            .iter()
            .map(|(_, m)| m.wamid.as_str().to_owned())
            .collect();
        let stored: Vec<Option<String>> = whatsapp_message::Entity::find()
            .select_only()
            .column(Column::WaMessageId)
            .filter(Column::TenantId.eq(tenant.as_uuid()))
            .filter(Column::WaMessageId.is_in(wamids))
            .into_tuple()
            .all(conn)
            .await
            .map_err(classify)?;
        known.extend(stored.into_iter().flatten());
    }
    let mut order: Vec<usize> = (0..messages.len()).collect();
    order.sort_by(|&a, &b| messages[a].1.wamid.cmp(&messages[b].1.wamid));
    let now = OffsetDateTime::now_utc();
    let mut conversations: HashMap<&CustomerIdentity, Uuid> = HashMap::new();
    let mut outcomes = vec![InboundInsert::Duplicate; messages.len()];
    for index in order {
        let (id, message) = &messages[index];
        // `insert` is false for a wamid stored before or earlier in this batch: a replay.
        if !known.insert(message.wamid.as_str().to_owned()) {
            continue;
        }
        let conversation = match conversations.get(&message.customer) {
            Some(conversation) => *conversation,
            None => {
                let conversation =
                    ensure_conversation(conn, tenant, number, &message.customer, now).await?;
                conversations.insert(&message.customer, conversation);
                conversation
            }
        };
        let row = InboundRow {
            id: *id,
            number,
            message,
            conversation,
        };
        outcomes[index] = insert_inbound_row(conn, tenant, row, now, backend).await?;
    }
    // New rows only, in the order Meta sent them.
    let events = outcomes
        .iter()
        .zip(messages)
        .filter_map(|(outcome, (_, message))| match outcome {
            InboundInsert::Inserted(id) => Some(NewEvent::new(
                message.sent_at,
                EventPayload::for_inbound(*id, message),
            )),
            InboundInsert::Duplicate => None,
        })
        .collect();
    Ok((outcomes, events))
}

/// [`MessageRepository::insert_inbound_batch`] as a grouped write.
struct InsertInbound {
    tenant: TenantId,
    number: PhoneNumberId,
    messages: Vec<(MessageId, InboundMessage)>,
}

impl Write for InsertInbound {
    type Output = Vec<InboundInsert>;

    fn apply<'a>(&'a self, txn: &'a DatabaseTransaction) -> WriteFuture<'a, Written<Self::Output>> {
        Box::pin(async move {
            let (value, events) =
                insert_inbound_in(txn, self.tenant, &self.number, &self.messages).await?;
            Ok(Written {
                value,
                tenant: self.tenant,
                events,
            })
        })
    }
}

/// [`MessageRepository::apply_statuses`] as a grouped write.
struct ApplyStatuses {
    tenant: TenantId,
    updates: Vec<StatusUpdate>,
}

impl Write for ApplyStatuses {
    type Output = Vec<StatusOutcome>;

    fn apply<'a>(&'a self, txn: &'a DatabaseTransaction) -> WriteFuture<'a, Written<Self::Output>> {
        Box::pin(async move {
            let (value, events) = status_batch::apply(txn, self.tenant, &self.updates).await?;
            Ok(Written {
                value,
                tenant: self.tenant,
                events,
            })
        })
    }
}

/// One inbound message to store: our id, the business number it reached, the message and its
/// conversation.
struct InboundRow<'a> {
    id: MessageId,
    number: &'a PhoneNumberId,
    message: &'a InboundMessage,
    conversation: Uuid,
}

async fn insert_inbound_row<C: ConnectionTrait>(
    conn: &C,
    tenant: TenantId,
    row: InboundRow<'_>,
    now: OffsetDateTime,
    backend: DbBackend,
) -> Result<InboundInsert, StoreError> {
    let InboundRow {
        id,
        number,
        message,
        conversation,
    } = row;
    let delivered = MessageStatus::Delivered;
    let mut row = vec![
        (Column::Id, Value::from(id.as_uuid())),
        (Column::TenantId, tenant.as_uuid().into()),
        (Column::PhoneNumberId, number.as_str().into()),
        (Column::ConversationId, conversation.into()),
        (Column::WaMessageId, message.wamid.as_str().into()),
        (Column::Direction, direction_name(Direction::Inbound).into()),
        (Column::Type, message.content.kind().as_str().into()),
        (Column::Content, content_json(&message.content)?.into()),
        // An inbound message has reached us: it is delivered, sent when the customer sent it.
        (Column::Status, delivered.as_str().into()),
        (Column::StatusRank, delivered.rank().into()),
        (Column::SentAt, timestamp::value(backend, message.sent_at)),
        (
            Column::DeliveredAt,
            timestamp::value(backend, message.sent_at),
        ),
        (
            Column::ReplyToWamid,
            message
                .context
                .as_ref()
                .and_then(|c| c.message_id.as_ref())
                .map(|w| w.as_str().to_owned())
                .into(),
        ),
        (Column::Attempts, 0_i32.into()),
        (Column::CreatedAt, timestamp::value(backend, now)),
        (Column::UpdatedAt, timestamp::value(backend, now)),
    ];
    row.extend(customer_columns(Direction::Inbound, &message.customer));
    row.extend(content_columns(ContentColumns::inbound(&message.content)));
    let mut stmt = insert_row(whatsapp_message::Entity, row);
    // The unique (tenant, wamid) index is what makes a concurrent replay a no-op.
    stmt.on_conflict(
        OnConflict::columns([Column::TenantId, Column::WaMessageId])
            .do_nothing()
            .to_owned(),
    )
    .returning_col(Column::Id);
    Ok(match conn.query_one(&stmt).await.map_err(classify)? {
        Some(_) => InboundInsert::Inserted(id),
        None => InboundInsert::Duplicate,
    })
}

#[async_trait]
impl MessageRepository for SqlMessages {
    async fn insert_outbound(&self, message: &NewOutbound) -> Result<OutboundInsert, StoreError> {
        self.commits.run(InsertOutbound(message.clone())).await
    }

    async fn get(
        &self,
        tenant: TenantId,
        id: MessageId,
    ) -> Result<Option<StoredMessage>, StoreError> {
        find_message(&self.db, tenant, Column::Id.eq(id.as_uuid())).await
    }

    async fn find_by_idempotency_key(
        &self,
        tenant: TenantId,
        key: &str,
    ) -> Result<Option<StoredMessage>, StoreError> {
        find_message(&self.db, tenant, Column::IdempotencyKey.eq(key)).await
    }

    async fn find_by_wamid(
        &self,
        tenant: TenantId,
        wamid: &WaMessageId,
    ) -> Result<Option<StoredMessage>, StoreError> {
        find_message(&self.db, tenant, Column::WaMessageId.eq(wamid.as_str())).await
    }

    async fn mark_accepted(
        &self,
        tenant: TenantId,
        id: MessageId,
        wamid: &WaMessageId,
        at: OffsetDateTime,
    ) -> Result<Transition, StoreError> {
        self.commits
            .run(MarkAccepted {
                tenant,
                id,
                wamid: wamid.clone(),
                at,
            })
            .await
    }

    async fn mark_failed(
        &self,
        tenant: TenantId,
        id: MessageId,
        failure: &MessageFailure,
        at: OffsetDateTime,
    ) -> Result<Transition, StoreError> {
        let txn = begin_write(&self.db).await?;
        let result = async {
            let failed = MessageStatus::Failed;
            let found = touch(&txn, tenant, &Target::Id(id), failed, at, |_| {})
                .await?
                .ok_or(StoreError::NotFound)?;
            let step = transition(found.current, failed);
            if let Transition::Advanced { from, to } = step {
                advance(&txn, tenant, id, to, |stmt| set_failure(stmt, failure)).await?;
                let event = found.status_event(from, to, at, Some(failure), None);
                append_in(&txn, tenant, vec![event]).await?;
            }
            Ok(step)
        }
        .await;
        finish(txn, result).await
    }

    async fn record_attempt(
        &self,
        tenant: TenantId,
        id: MessageId,
        failure: Option<MessageFailure>,
    ) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let mut stmt = Query::update();
        stmt.table(whatsapp_message::Entity)
            .value(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .value(
                Column::UpdatedAt,
                Expr::val(timestamp::value(backend, OffsetDateTime::now_utc())),
            );
        if let Some(failure) = &failure {
            set_failure(&mut stmt, failure);
        }
        stmt.and_where(Expr::col(Column::TenantId).eq(tenant.as_uuid()))
            .and_where(Expr::col(Column::Id).eq(id.as_uuid()));
        let result = self.db.execute(&stmt).await.map_err(classify)?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn apply_status(
        &self,
        tenant: TenantId,
        update: &StatusUpdate,
    ) -> Result<StatusOutcome, StoreError> {
        let txn = begin_write(&self.db).await?;
        let result = async {
            let (outcome, event) = apply_status_in(&txn, tenant, update).await?;
            append_in(&txn, tenant, event.into_iter().collect()).await?;
            Ok(outcome)
        }
        .await;
        finish(txn, result).await
    }

    async fn apply_statuses(
        &self,
        tenant: TenantId,
        updates: &[StatusUpdate],
    ) -> Result<Vec<StatusOutcome>, StoreError> {
        // One locking read and one set-based write per 500 messages (see `status_batch`),
        // sharing a transaction with other tenants' batches (group commit).
        self.commits
            .run(ApplyStatuses {
                tenant,
                updates: updates.to_vec(),
            })
            .await
    }

    async fn insert_inbound(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        id: MessageId,
        message: &InboundMessage,
    ) -> Result<InboundInsert, StoreError> {
        let batch = vec![(id, message.clone())];
        let outcomes = self
            .commits
            .run(InsertInbound {
                tenant,
                number: number.clone(),
                messages: batch,
            })
            .await?;
        let [outcome] = outcomes[..] else {
            return Err(corrupt(
                TABLE,
                "one message gave a different number of outcomes",
            ));
        };
        Ok(outcome)
    }

    async fn insert_inbound_batch(
        &self,
        tenant: TenantId,
        number: &PhoneNumberId,
        messages: &[(MessageId, InboundMessage)],
    ) -> Result<Vec<InboundInsert>, StoreError> {
        self.commits
            .run(InsertInbound {
                tenant,
                number: number.clone(),
                messages: messages.to_vec(),
            })
            .await
    }

    async fn list(
        &self,
        tenant: TenantId,
        filter: &MessageFilter,
        page: Page<MessageId>,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let mut query =
            whatsapp_message::Entity::find().filter(Column::TenantId.eq(tenant.as_uuid()));
        if let Some(customer) = &filter.customer {
            query = query.filter(match customer {
                Recipient::Phone(phone) => Column::Direction
                    .eq("outbound")
                    .and(Column::RecipientPhone.eq(phone.as_str()))
                    .or(Column::Direction
                        .eq("inbound")
                        .and(Column::SenderPhone.eq(phone.as_str()))),
                Recipient::User(bsuid) => Column::CustomerBsuid.eq(bsuid.as_str()),
            });
        }
        if let Some(status) = filter.status {
            query = query.filter(Column::Status.eq(status.as_str()));
        }
        if let Some(direction) = filter.direction {
            query = query.filter(Column::Direction.eq(direction_name(direction)));
        }
        if let Some(after) = page.after {
            query = query.filter(Column::Id.lt(after.as_uuid()));
        }
        query
            .order_by_desc(Column::Id)
            .limit(u64::from(page.limit))
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(convert::message::to_domain)
            .collect()
    }
}
