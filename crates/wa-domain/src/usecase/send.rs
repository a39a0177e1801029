//! Sending a message, in two steps: accept it into the queue, then deliver it to Meta.
//!
//! [`enqueue`] runs on the API request: it picks the business number the message goes from (the
//! one the caller names, else the tenant's default), checks everything that can be checked
//! without Meta (content limits, tenant enabled, that number active, that number's window with
//! the customer), honours the idempotency key,
//! and stores the message as `pending` before anything is sent. [`deliver`] runs later, in a
//! worker (or right away for [`send_now`]): it checks the tenant, connection and window again,
//! because time has passed, calls Meta with our message id as callback data, and records the
//! wamid or the classified failure. `AuthInvalid` holds the message (it stays `pending`) and marks
//! the connection `invalid`; sending resumes when the credentials are replaced. A temporary
//! failure is retried or given up here, by [`RetryPolicy`]: the worker only schedules the time
//! [`deliver`] gives.

use crate::{
    connection::{Connection, ConnectionHealth, names_number},
    content::check_reply_context,
    credential::CredentialKind,
    error_class::ErrorClass,
    graph::{GraphError, Sender},
    ids::{MessageId, PhoneNumberId, TenantId, WaMessageId},
    message::{MessageBody, MessageFailure, NewOutbound, OutboundMessage, StoredMessage},
    ports::{OutboundInsert, StoreError, VaultError},
    retry::{Failed, RetryDecision, RetryPolicy},
    status::MessageStatus,
    validation::{ValidationError, Violation},
    window::{WindowClosed, check_send},
};

use super::Ports;

/// Longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Why a message cannot be accepted or delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The request itself is invalid.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// No such tenant.
    #[error("tenant not found")]
    TenantNotFound,
    /// The tenant is disabled.
    #[error("tenant is disabled")]
    TenantDisabled,
    /// The tenant has no WhatsApp connection.
    #[error("tenant has no WhatsApp connection")]
    NotConnected,
    /// `from` names no number of this tenant.
    #[error("`{0}` is not a WhatsApp number of this tenant")]
    UnknownNumber(String),
    /// The connection cannot send now.
    #[error("the WhatsApp connection is {} and cannot send", .0.as_str())]
    ConnectionNotActive(ConnectionHealth),
    /// Outside the customer-service window and not a template.
    #[error(transparent)]
    WindowClosed(#[from] WindowClosed),
    /// No such message for this tenant.
    #[error("message not found")]
    MessageNotFound,
    /// A template message that does not fit the tenant's synced template.
    #[error(transparent)]
    TemplateMismatch(#[from] crate::template_catalog::TemplateMismatch),
    /// The vault could not provide the token.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A message accepted into the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Enqueued {
    /// The stored message.
    pub message: StoredMessage,
    /// True when the idempotency key matched an earlier request: nothing new was stored.
    pub replayed: bool,
}

/// Accepts a message: validates, checks the rules, stores it as `pending`.
///
/// `from` names the business number to send from (its phone number id or its display number);
/// `None` is the tenant's default number.
///
/// # Errors
/// [`SendError::Invalid`], [`SendError::TenantNotFound`], [`SendError::TenantDisabled`],
/// [`SendError::NotConnected`], [`SendError::UnknownNumber`],
/// [`SendError::ConnectionNotActive`], [`SendError::WindowClosed`], or a store failure.
pub async fn enqueue(
    ports: &Ports,
    tenant_id: TenantId,
    message: OutboundMessage,
    from: Option<&str>,
    idempotency_key: Option<String>,
) -> Result<Enqueued, SendError> {
    check_reply_context(&message.content, message.reply_to.as_ref())?;
    if let Some(key) = &idempotency_key {
        check_idempotency_key(key)?;
        // A retried request returns what the first one got, whatever changed since.
        if let Some(existing) = ports
            .messages
            .find_by_idempotency_key(tenant_id, key)
            .await?
        {
            return Ok(Enqueued {
                message: existing,
                replayed: true,
            });
        }
    }
    let connection = require_sendable(ports, tenant_id, from).await?;
    let now = ports.clock.now();
    check_window(ports, tenant_id, &connection.phone_number_id, &message, now).await?;
    match super::templates::check_template_message(
        ports,
        tenant_id,
        &connection.waba_id,
        &message.content,
    )
    .await
    {
        Ok(()) => {}
        Err(super::templates::TemplateCheckError::Mismatch(mismatch)) => {
            return Err(mismatch.into());
        }
        Err(super::templates::TemplateCheckError::Store(store)) => return Err(store.into()),
    }
    let new = NewOutbound {
        id: MessageId::generate(),
        tenant_id,
        from: connection.phone_number_id,
        message,
        idempotency_key,
        created_at: now,
    };
    match ports.messages.insert_outbound(&new).await? {
        OutboundInsert::Inserted(message) => Ok(Enqueued {
            message,
            replayed: false,
        }),
        // Two requests with the same key raced; the other one stored first.
        OutboundInsert::Existing(message) => Ok(Enqueued {
            message,
            replayed: true,
        }),
    }
}

/// What happened when a worker tried to deliver a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// Meta accepted it.
    Accepted {
        /// Meta's id.
        wamid: WaMessageId,
    },
    /// A temporary failure, to be tried again: the caller schedules the next attempt at `at`.
    Retry {
        /// What went wrong (its class said how to back off).
        failure: MessageFailure,
        /// Meta may have accepted it all the same (the answer was lost): `at` leaves time for
        /// the status webhook to arrive first (see `retry`).
        in_doubt: bool,
        /// Attempts made so far, this one included.
        attempts: u32,
        /// When to try again, by the [`RetryPolicy`].
        at: time::OffsetDateTime,
    },
    /// A temporary failure once attempts or age ran out: stored as `failed` with it.
    GaveUp {
        /// The last failure.
        failure: MessageFailure,
        /// Attempts made, this one included.
        attempts: u32,
    },
    /// It will never be sent; stored as `failed`.
    Failed {
        /// Why.
        failure: MessageFailure,
    },
    /// The tenant cannot send right now (credentials invalid, connection or tenant not active):
    /// the message stays `pending` until that changes.
    Held {
        /// Why, for logs and the API.
        reason: String,
    },
    /// The message had already left `pending` (a duplicate claim): nothing was sent.
    AlreadyProcessed {
        /// Its current state.
        status: MessageStatus,
    },
}

/// How [`deliver`] decides about a temporary failure: the outbox's policy, and a number in
/// `[0, 1)` from the caller's random source that spreads the wait (see [`RetryPolicy::decide`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retrying {
    /// Attempt and age limits, back-off.
    pub policy: RetryPolicy,
    /// The jitter.
    pub jitter: f64,
}

/// Delivers a stored `pending` message to Meta and records the outcome, a temporary failure
/// included: retried at a later time or, once the policy gives up, marked `failed`.
///
/// # Errors
/// [`SendError::MessageNotFound`], or store and vault failures that leave the message as it was
/// (the caller retries later). Meta's failures are not errors here: they are [`Delivery`] outcomes.
pub async fn deliver(
    ports: &Ports,
    tenant_id: TenantId,
    message_id: MessageId,
    retry: Retrying,
) -> Result<Delivery, SendError> {
    let stored = ports
        .messages
        .get(tenant_id, message_id)
        .await?
        .ok_or(SendError::MessageNotFound)?;
    if stored.lifecycle.status != MessageStatus::Pending {
        return Ok(Delivery::AlreadyProcessed {
            status: stored.lifecycle.status,
        });
    }
    let MessageBody::Outbound(content) = stored.body.clone() else {
        return Ok(Delivery::AlreadyProcessed {
            status: stored.lifecycle.status,
        });
    };
    let connection = match require_number_sendable(ports, tenant_id, &stored.phone_number_id).await
    {
        Ok(connection) => connection,
        Err(
            held @ (SendError::TenantDisabled
            | SendError::NotConnected
            | SendError::ConnectionNotActive(_)),
        ) => {
            return Ok(Delivery::Held {
                reason: held.to_string(),
            });
        }
        Err(other) => return Err(other),
    };
    let message = OutboundMessage {
        recipient: stored.customer.recipient(),
        content,
        reply_to: stored.reply_to.clone(),
    };
    let now = ports.clock.now();
    if let Err(closed) =
        check_window(ports, tenant_id, &connection.phone_number_id, &message, now).await
    {
        let SendError::WindowClosed(closed) = closed else {
            return Err(closed);
        };
        let failure = MessageFailure {
            class: ErrorClass::WindowClosed,
            code: None,
            title: closed.to_string(),
            details: None,
            fbtrace_id: None,
        };
        ports
            .messages
            .mark_failed(tenant_id, message_id, &failure, now)
            .await?;
        return Ok(Delivery::Failed { failure });
    }
    let token = match ports
        .vault
        .get(tenant_id, CredentialKind::AccessToken)
        .await
    {
        Ok(token) => token,
        Err(VaultError::NotFound(_) | VaultError::Undecryptable(_)) => {
            let reason = "the access token is missing or cannot be decrypted".to_owned();
            mark_invalid(ports, tenant_id, &connection.phone_number_id, &reason).await?;
            return Ok(Delivery::Held { reason });
        }
        Err(other) => return Err(other.into()),
    };
    let sender = Sender {
        phone_number_id: connection.phone_number_id.clone(),
        token,
    };
    match ports.graph.send(&sender, &message, message_id).await {
        Ok(receipt) => {
            let at = ports.clock.now();
            ports
                .messages
                .mark_accepted(tenant_id, message_id, &receipt.wamid, at)
                .await?;
            ports
                .conversations
                .record_outbound(tenant_id, &connection.phone_number_id, &stored.customer, at)
                .await?;
            Ok(Delivery::Accepted {
                wamid: receipt.wamid,
            })
        }
        Err(error) => {
            let number = &connection.phone_number_id;
            record_graph_failure(ports, tenant_id, number, &stored, &error, retry).await
        }
    }
}

/// Enqueues and delivers at once: for the CLI and for callers without a worker.
///
/// A temporary failure is not scheduled here (there is no outbox at hand): the message stays
/// `pending` for the outbox's worker, and [`Delivery::Retry`] says the default policy's
/// shortest wait (no jitter).
///
/// # Errors
/// As [`enqueue`] and [`deliver`].
pub async fn send_now(
    ports: &Ports,
    tenant_id: TenantId,
    message: OutboundMessage,
    from: Option<&str>,
    idempotency_key: Option<String>,
) -> Result<(Enqueued, Delivery), SendError> {
    let enqueued = enqueue(ports, tenant_id, message, from, idempotency_key).await?;
    let retry = Retrying {
        policy: RetryPolicy::default(),
        jitter: 0.0,
    };
    let delivery = deliver(ports, tenant_id, enqueued.message.id, retry).await?;
    Ok((enqueued, delivery))
}

async fn record_graph_failure(
    ports: &Ports,
    tenant_id: TenantId,
    number: &PhoneNumberId,
    stored: &StoredMessage,
    error: &GraphError,
    retry: Retrying,
) -> Result<Delivery, SendError> {
    let message_id = stored.id;
    let failure = error.to_failure();
    match error.class {
        ErrorClass::Retryable | ErrorClass::RateLimited { .. } => {
            ports
                .messages
                .record_attempt(tenant_id, message_id, Some(failure.clone()))
                .await?;
            let attempts = stored.attempts.saturating_add(1);
            let failed = Failed {
                class: failure.class,
                in_doubt: error.in_doubt,
            };
            let now = ports.clock.now();
            match retry
                .policy
                .decide(failed, attempts, stored.created_at, now, retry.jitter)
            {
                RetryDecision::At(at) => Ok(Delivery::Retry {
                    failure,
                    in_doubt: error.in_doubt,
                    attempts,
                    at,
                }),
                RetryDecision::GiveUp => {
                    ports
                        .messages
                        .mark_failed(tenant_id, message_id, &failure, now)
                        .await?;
                    Ok(Delivery::GaveUp { failure, attempts })
                }
            }
        }
        ErrorClass::Permanent | ErrorClass::WindowClosed => {
            ports
                .messages
                .mark_failed(tenant_id, message_id, &failure, ports.clock.now())
                .await?;
            Ok(Delivery::Failed { failure })
        }
        ErrorClass::AuthInvalid => {
            let reason = format!("Meta rejected the credentials: {error}");
            ports
                .messages
                .record_attempt(tenant_id, message_id, Some(failure))
                .await?;
            mark_invalid(ports, tenant_id, number, &reason).await?;
            Ok(Delivery::Held { reason })
        }
    }
}

async fn mark_invalid(
    ports: &Ports,
    tenant_id: TenantId,
    number: &PhoneNumberId,
    reason: &str,
) -> Result<(), SendError> {
    let now = ports.clock.now();
    ports
        .connections
        .set_health(
            tenant_id,
            number,
            ConnectionHealth::Invalid,
            Some(reason.to_owned()),
            now,
            None,
        )
        .await?;
    Ok(())
}

/// The tenant must exist and be enabled.
async fn require_enabled(ports: &Ports, tenant_id: TenantId) -> Result<(), SendError> {
    let tenant = ports
        .tenants
        .get(tenant_id)
        .await?
        .ok_or(SendError::TenantNotFound)?;
    if !tenant.enabled {
        return Err(SendError::TenantDisabled);
    }
    Ok(())
}

/// The number a send goes from: the one `from` names (by phone number id or display number),
/// else the tenant's default. The tenant must be enabled and the number active.
async fn require_sendable(
    ports: &Ports,
    tenant_id: TenantId,
    from: Option<&str>,
) -> Result<Connection, SendError> {
    require_enabled(ports, tenant_id).await?;
    let connection = match from {
        None => ports
            .connections
            .get(tenant_id)
            .await?
            .ok_or(SendError::NotConnected)?,
        Some(from) => ports
            .connections
            .list(tenant_id)
            .await?
            .into_iter()
            .find(|connection| names_number(connection, from))
            .ok_or_else(|| SendError::UnknownNumber(from.to_owned()))?,
    };
    require_active(connection)
}

/// A stored message's number, which must still be the tenant's and active (it may have been
/// removed or disabled since the message was accepted).
async fn require_number_sendable(
    ports: &Ports,
    tenant_id: TenantId,
    number: &PhoneNumberId,
) -> Result<Connection, SendError> {
    require_enabled(ports, tenant_id).await?;
    let connection = ports
        .connections
        .get_number(tenant_id, number)
        .await?
        .ok_or(SendError::NotConnected)?;
    require_active(connection)
}

fn require_active(connection: Connection) -> Result<Connection, SendError> {
    if connection.health != ConnectionHealth::Active {
        return Err(SendError::ConnectionNotActive(connection.health));
    }
    Ok(connection)
}

/// Free-form content needs the sending number's window with the customer to be open.
async fn check_window(
    ports: &Ports,
    tenant_id: TenantId,
    number: &PhoneNumberId,
    message: &OutboundMessage,
    now: time::OffsetDateTime,
) -> Result<(), SendError> {
    if message.content.is_template() {
        return Ok(());
    }
    let customer = message.recipient.clone().into();
    let conversation = ports
        .conversations
        .find(tenant_id, number, &customer)
        .await?;
    let window = conversation.and_then(|conversation| conversation.window);
    check_send(&message.content, window.as_ref(), now)?;
    Ok(())
}

fn check_idempotency_key(key: &str) -> Result<(), ValidationError> {
    if key.is_empty() {
        return Err(ValidationError::new("idempotency_key", Violation::Empty));
    }
    if key.len() > MAX_IDEMPOTENCY_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ValidationError::new(
            "idempotency_key",
            Violation::Format {
                expected: "at most 255 printable ASCII characters",
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
